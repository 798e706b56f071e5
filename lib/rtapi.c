/* rtapi.c: HTTP/1.1 over one kept-alive TCP connection, as much of it as
 * the Lambda Runtime API needs. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "rtapi.h"

#define LINE_MAX_	(64 * 1024)	/* a status or header line */
#define SLICE_MS	250		/* how often *stop is looked at */

/* A read or write did not happen: why, for err. */
enum { R_EOF = -2, R_ERR = -1 };

int
rtapi_init(struct rtapi *r, const char *hostport, size_t body_max,
    volatile int *stop)
{
	const char *h, *he, *p;
	size_t hn, pn;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->body_max = body_max;
	r->stop = stop;
	if (hostport == NULL)
		return -1;
	if (hostport[0] == '[') {
		h = hostport + 1;
		he = strchr(h, ']');
		if (he == NULL || he[1] != ':')
			return -1;
		p = he + 2;
	} else {
		h = hostport;
		he = strrchr(hostport, ':');
		if (he == NULL)
			return -1;
		p = he + 1;
	}
	hn = (size_t)(he - h);
	pn = strlen(p);
	if (hn == 0 || hn >= sizeof(r->host) || pn == 0 ||
	    pn >= sizeof(r->port) || strspn(p, "0123456789") != pn)
		return -1;
	memcpy(r->host, h, hn);
	memcpy(r->port, p, pn);
	return 0;
}

static void
hangup(struct rtapi *r)
{
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	r->in.len = 0;
	r->off = 0;
}

void
rtapi_close(struct rtapi *r)
{
	hangup(r);
	buf_free(&r->in);
	buf_free(&r->body);
	buf_free(&r->id);
}

static int
fail(struct rtapi *r, const char *what, int e)
{
	snprintf(r->err, sizeof(r->err), "%s %s:%s: %s", what, r->host,
	    r->port, e == 0 ? "connection closed" : strerror(e));
	hangup(r);
	errno = e;
	return -1;
}

static int
dial(struct rtapi *r)
{
	struct addrinfo hints, *res, *ai;
	int e, fd, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	/* a numeric address, as Lambda gives, needs no resolver */
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	e = getaddrinfo(r->host, r->port, &hints, &res);
	if (e == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		e = getaddrinfo(r->host, r->port, &hints, &res);
	}
	if (e != 0) {
		snprintf(r->err, sizeof(r->err), "cannot resolve %s: %s",
		    r->host, gai_strerror(e));
		errno = EINVAL;
		return -1;
	}
	e = 0;
	fd = -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			e = errno;
			continue;
		}
		while (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			if (errno == EINTR && (r->stop == NULL ||
			    !*r->stop))
				continue;
			e = errno;
			close(fd);
			fd = -1;
			break;
		}
		if (fd != -1)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return fail(r, "cannot connect to", e);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r->fd = fd;
	return 0;
}

/* Waits until fd is ready for ev, the deadline end (0: none) passes or
 * *stop is set. 0, or -1 with errno (ETIMEDOUT, EINTR). */
static int
await(struct rtapi *r, short ev, int64_t end)
{
	struct pollfd p;
	int64_t left;
	int ms, n;

	for (;;) {
		if (r->stop != NULL && *r->stop) {
			errno = EINTR;
			return -1;
		}
		ms = SLICE_MS;
		if (end != 0) {
			left = end - now_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			if (left < ms)
				ms = (int)left;
		}
		p.fd = r->fd;
		p.events = ev;
		p.revents = 0;
		n = poll(&p, 1, ms);
		if (n == -1 && errno != EINTR)
			return -1;
		if (n == 1)
			return 0;
	}
}

static int
send_all(struct rtapi *r, const char *p, size_t n, int64_t end)
{
	ssize_t w;

	while (n > 0) {
		w = send(r->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return R_ERR;
			if (await(r, POLLOUT, end) == -1)
				return R_ERR;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads more into r->in. >0 bytes, R_EOF, or R_ERR with errno. */
static int
fill(struct rtapi *r, int64_t end)
{
	ssize_t n;
	char *p;

	if (r->off > 0 && r->off == r->in.len) {
		r->in.len = 0;
		r->off = 0;
	} else if (r->off > 64 * 1024) {
		memmove(r->in.p, r->in.p + r->off, r->in.len - r->off);
		r->in.len -= r->off;
		r->off = 0;
	}
	p = buf_grow(&r->in, 64 * 1024);
	for (;;) {
		n = recv(r->fd, p, 64 * 1024, MSG_DONTWAIT);
		if (n > 0) {
			r->in.len += (size_t)n;
			return (int)n;
		}
		if (n == 0)
			return R_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return R_ERR;
		if (await(r, POLLIN, end) == -1)
			return R_ERR;
	}
}

/* The next line (without its CRLF) into *l. 0, or R_EOF / R_ERR. */
static int
get_line(struct rtapi *r, int64_t end, struct str *l)
{
	char *nl;
	size_t n;
	int k;

	for (;;) {
		n = r->in.len - r->off;
		nl = n > 0 ? memchr(r->in.p + r->off, '\n', n) : NULL;
		if (nl != NULL) {
			l->p = r->in.p + r->off;
			l->n = (size_t)(nl - l->p);
			r->off += l->n + 1;
			if (l->n > 0 && l->p[l->n - 1] == '\r')
				l->n--;
			return 0;
		}
		if (n > LINE_MAX_) {
			errno = EPROTO;
			return R_ERR;
		}
		k = fill(r, end);
		if (k < 0)
			return k;
	}
}

static void
body_put(struct rtapi *r, const char *p, size_t n)
{
	if (r->toobig || r->body.len + n > r->body_max) {
		r->toobig = 1;
		return;
	}
	buf_put(&r->body, p, n);
}

/* Reads n body bytes. 0, or R_EOF / R_ERR. */
static int
get_bytes(struct rtapi *r, int64_t end, uint64_t n)
{
	size_t have;
	int k;

	while (n > 0) {
		have = r->in.len - r->off;
		if (have == 0) {
			k = fill(r, end);
			if (k < 0)
				return k;
			continue;
		}
		if (have > n)
			have = (size_t)n;
		body_put(r, r->in.p + r->off, have);
		r->off += have;
		n -= have;
	}
	return 0;
}

static int
hdr_is(struct str l, const char *name, struct str *v)
{
	size_t k = strlen(name);

	if (l.n <= k || l.p[k] != ':' || strncasecmp(l.p, name, k) != 0)
		return 0;
	k++;
	while (k < l.n && (l.p[k] == ' ' || l.p[k] == '\t'))
		k++;
	v->p = l.p + k;
	v->n = l.n - k;
	while (v->n > 0 && (v->p[v->n - 1] == ' ' || v->p[v->n - 1] == '\t'))
		v->n--;
	return 1;
}

static int
has_token(struct str v, const char *tok)
{
	size_t k = strlen(tok), i;

	for (i = 0; i + k <= v.n; i++)
		if (strncasecmp(v.p + i, tok, k) == 0)
			return 1;
	return 0;
}

static int
hex_size(struct str l, uint64_t *v)
{
	size_t i;
	int d;

	*v = 0;
	for (i = 0; i < l.n; i++) {
		if (l.p[i] >= '0' && l.p[i] <= '9')
			d = l.p[i] - '0';
		else if ((l.p[i] | 0x20) >= 'a' && (l.p[i] | 0x20) <= 'f')
			d = (l.p[i] | 0x20) - 'a' + 10;
		else
			break;
		if (*v > (UINT64_MAX >> 4))
			return -1;
		*v = *v << 4 | (uint64_t)d;
	}
	return i == 0 ? -1 : 0;
}

/* Reads a chunked body, trailers included. 0, or R_EOF / R_ERR. */
static int
get_chunked(struct rtapi *r, int64_t end)
{
	struct str l;
	uint64_t n;
	int k;

	for (;;) {
		k = get_line(r, end, &l);
		if (k < 0)
			return k;
		if (hex_size(l, &n) == -1) {
			errno = EPROTO;
			return R_ERR;
		}
		if (n == 0)
			break;
		k = get_bytes(r, end, n);
		if (k < 0)
			return k;
		k = get_line(r, end, &l);
		if (k < 0)
			return k;
	}
	do {
		k = get_line(r, end, &l);
		if (k < 0)
			return k;
	} while (l.n > 0);
	return 0;
}

/* Reads the response. The status, or R_EOF / R_ERR; *started is set
 * once a byte of it has arrived. */
static int
response(struct rtapi *r, int64_t end, int *started)
{
	struct str l, v;
	uint64_t clen, u;
	int chunked, closing, k, st;

	for (;;) {
		if (r->in.len == r->off) {
			k = fill(r, end);
			if (k < 0)
				return k;
		}
		*started = 1;
		k = get_line(r, end, &l);
		if (k < 0)
			return k;
		if (l.n < 12 || memcmp(l.p, "HTTP/1.", 7) != 0 ||
		    l.p[8] != ' ' || parse_u64(l.p + 9, 3, &u) == -1) {
			errno = EPROTO;
			return R_ERR;
		}
		st = (int)u;
		closing = l.p[7] == '0';
		chunked = 0;
		clen = UINT64_MAX;
		r->body.len = 0;
		r->id.len = 0;
		r->deadline = 0;
		r->toobig = 0;
		for (;;) {
			k = get_line(r, end, &l);
			if (k < 0)
				return k;
			if (l.n == 0)
				break;
			if (hdr_is(l, "content-length", &v)) {
				if (parse_u64(v.p, v.n, &clen) == -1) {
					errno = EPROTO;
					return R_ERR;
				}
			} else if (hdr_is(l, "transfer-encoding", &v))
				chunked = has_token(v, "chunked");
			else if (hdr_is(l, "connection", &v))
				closing = has_token(v, "close") ? 1 :
				    has_token(v, "keep-alive") ? 0 : closing;
			else if (hdr_is(l, "lambda-runtime-aws-request-id",
			    &v)) {
				r->id.len = 0;
				buf_put(&r->id, v.p, v.n);
			} else if (hdr_is(l, "lambda-runtime-deadline-ms",
			    &v) && parse_u64(v.p, v.n, &u) == 0)
				r->deadline = (int64_t)u;
		}
		if (st >= 100 && st < 200)
			continue;
		break;
	}
	if (st == 204 || st == 304)
		k = 0;
	else if (chunked)
		k = get_chunked(r, end);
	else if (clen != UINT64_MAX)
		k = get_bytes(r, end, clen);
	else {
		/* no length: the body ends with the connection */
		closing = 1;
		for (;;) {
			k = get_bytes(r, end, r->in.len - r->off);
			if (k < 0)
				return k;
			k = fill(r, end);
			if (k == R_EOF)
				break;
			if (k < 0)
				return k;
		}
		k = 0;
	}
	if (k < 0)
		return k;
	if (closing || r->off != r->in.len)
		hangup(r);
	r->in.len = 0;
	r->off = 0;
	return st;
}

int
rtapi_request(struct rtapi *r, const char *path, const char *errtype,
    const char *body, size_t n, int timeout_ms)
{
	struct buf q = { 0 };
	int64_t end;
	int reused, started, st, tries;

	buf_puts(&q, body != NULL ? "POST " : "GET ");
	buf_puts(&q, path);
	buf_puts(&q, " HTTP/1.1\r\nHost: ");
	buf_puts(&q, r->host);
	buf_putc(&q, ':');
	buf_puts(&q, r->port);
	buf_puts(&q, "\r\nUser-Agent: lokipipe\r\n");
	if (body != NULL) {
		buf_puts(&q, "Content-Type: application/json\r\n"
		    "Content-Length: ");
		buf_putu64(&q, n);
		buf_puts(&q, "\r\n");
		if (errtype != NULL) {
			buf_puts(&q, "Lambda-Runtime-Function-Error-Type: ");
			buf_puts(&q, errtype);
			buf_puts(&q, "\r\n");
		}
	}
	buf_puts(&q, "\r\n");
	if (body != NULL)
		buf_put(&q, body, n);
	end = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	st = -1;
	for (tries = 0; tries < 2; tries++) {
		reused = r->fd != -1;
		if (!reused && dial(r) == -1)
			break;
		started = 0;
		if (send_all(r, q.p, q.len, end) == 0) {
			st = response(r, end, &started);
			if (st >= 0)
				break;
		}
		/* a kept-alive connection the server closed while idle:
		 * it saw nothing of this request, ask again on a new one */
		if (reused && !started && (st == R_EOF ||
		    errno == ECONNRESET || errno == EPIPE)) {
			hangup(r);
			st = -1;
			continue;
		}
		if (st == R_EOF)
			fail(r, "response cut short by", 0);
		else
			fail(r, errno == ETIMEDOUT ? "timed out talking to" :
			    "cannot talk to", errno);
		st = -1;
		break;
	}
	buf_free(&q);
	return st;
}
