/* io.c: line reader and record writer on raw fds; signals. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

#define WR_HIWAT	(64 * 1024)
#define RD_CHUNK	(64 * 1024)

volatile int sig_term;

static void
on_term(int sig)
{
	(void)sig;
	sig_term = 1;
}

static void
on_pipe(int sig)
{
	(void)sig;
}

void
sig_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_pipe;	/* a no-op: writes fail with EPIPE */
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_term;	/* no SA_RESTART: reads return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

int
fd_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

void
wr_init(struct wr *w, int fd, const char *name)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->name = name;
}

int
wr_flush(struct wr *w)
{
	if (w->err) {
		errno = w->err;
		return -1;
	}
	if (w->b.len == 0)
		return 0;
	if (fd_write_all(w->fd, w->b.p, w->b.len) < 0) {
		w->err = errno;
		return -1;
	}
	w->b.len = 0;
	return 0;
}

int
wr_end(struct wr *w)
{
	if (w->b.len >= WR_HIWAT)
		return wr_flush(w);
	if (w->err) {
		errno = w->err;
		return -1;
	}
	return 0;
}

void
rd_init(struct rd *r, int fd, size_t max, struct wr *flush)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->max = max;
	r->flush = flush;
	r->cap = RD_CHUNK;
	r->buf = xmalloc(r->cap);
}

void
rd_free(struct rd *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Flushes the attached writer unless input is ready now. */
static int
flush_before_block(struct rd *r)
{
	struct pollfd p;

	if (r->flush == NULL || r->flush->b.len == 0)
		return 0;
	p.fd = r->fd;
	p.events = POLLIN;
	if (poll(&p, 1, 0) == 1)
		return 0;
	return wr_flush(r->flush);
}

/* Reads more input. 1 read something, 0 EOF (or SIGTERM), -1 error. */
static int
fill(struct rd *r)
{
	ssize_t n;

	if (r->r > 0) {
		memmove(r->buf, r->buf + r->r, r->w - r->r);
		r->w -= r->r;
		r->r = 0;
	}
	if (r->w == r->cap) {
		r->cap *= 2;
		r->buf = xrealloc(r->buf, r->cap);
	}
	if (flush_before_block(r) < 0)
		return -1;
	for (;;) {
		if (sig_term)
			return 0;
		n = read(r->fd, r->buf + r->w, r->cap - r->w);
		if (n >= 0)
			break;
		if (errno != EINTR)
			return -1;
	}
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->w += (size_t)n;
	return 1;
}

int
rd_line(struct rd *r, struct str *line)
{
	size_t scan = r->r;
	size_t skipped = 0;	/* > 0: skipping an over-long line */

	for (;;) {
		char *nl = memchr(r->buf + scan, '\n', r->w - scan);
		int got;

		if (nl != NULL) {
			size_t end = (size_t)(nl - r->buf);

			if (skipped > 0 || end - r->r > r->max) {
				line->p = NULL;
				line->n = skipped + (end - r->r);
				r->r = end + 1;
				r->lineno++;
				return RD_LONG;
			}
			line->p = r->buf + r->r;
			line->n = end - r->r;
			r->r = end + 1;
			r->lineno++;
			return RD_LINE;
		}
		if (r->w - r->r > r->max) {
			/* over the cap: forget what we have, keep counting */
			skipped += r->w - r->r;
			r->r = r->w = 0;
		}
		if (r->eof || sig_term) {
			if (skipped > 0 && !sig_term) {
				line->p = NULL;
				line->n = skipped + (r->w - r->r);
				r->r = r->w;
				r->lineno++;
				return RD_LONG;
			}
			if (r->w > r->r && !sig_term) {
				/* a last line without '\n' */
				line->p = r->buf + r->r;
				line->n = r->w - r->r;
				r->r = r->w;
				r->lineno++;
				return RD_LINE;
			}
			return RD_EOF;
		}
		scan = r->w - r->r;
		got = fill(r);
		if (got < 0)
			return RD_ERR;
		scan += r->r;	/* fill() moved the unread bytes to 0 */
	}
}

int
rd_wait(struct rd *r, int ms)
{
	struct pollfd p;
	int n;

	if (r->eof || memchr(r->buf + r->r, '\n', r->w - r->r) != NULL)
		return 1;
	if (r->flush != NULL && wr_flush(r->flush) < 0)
		return -1;
	if (sig_term)
		return 1;
	p.fd = r->fd;
	p.events = POLLIN;
	n = poll(&p, 1, ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	return n > 0;
}
