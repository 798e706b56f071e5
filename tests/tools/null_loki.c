/*
 * null_loki: a push endpoint that answers every request with 204 and
 * throws the body away, for benchmarks (fake_loki.py decodes and checks
 * everything, and would measure itself rather than the client).
 *
 * usage: null_loki PORTFILE [DELAY_MS]
 * Listens on 127.0.0.1 (any free port), writes the port to PORTFILE, and
 * serves each connection in a child process (HTTP/1.1, keep-alive,
 * Content-Length bodies), answering each request after DELAY_MS (default
 * 0: a distant Loki is a near one plus a delay). Each child writes
 * "requests=N bytes=N" to stderr when its connection ends; on SIGTERM the
 * server writes "connections=N" and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "io.h"

static volatile sig_atomic_t done;
static unsigned long long nreq, nbytes, nconn;
static long delay_ms;

static void
on_term(int sig)
{
	(void)sig;
	done = 1;
}

/* The end of the header block ("\r\n\r\n"), or NULL. */
static char *
hdr_end(char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (p[i] == '\r' && memcmp(p + i, "\r\n\r\n", 4) == 0)
			return p + i;
	return NULL;
}

/* Content-Length from a header block, -1 when absent. */
static long long
content_length(const char *h, size_t n)
{
	static const char name[] = "\ncontent-length:";
	size_t i, k = sizeof(name) - 1;
	uint64_t v;
	size_t j;

	for (i = 0; i + k <= n; i++) {
		if (strncasecmp(h + i, name, k) != 0)
			continue;
		i += k;
		while (i < n && h[i] == ' ')
			i++;
		for (j = i; j < n && h[j] >= '0' && h[j] <= '9'; j++)
			;
		if (parse_u64(h + i, j - i, &v) < 0)
			return -1;
		return (long long)v;
	}
	return -1;
}

static void
serve(int fd)
{
	static char buf[1 << 16];
	static const char resp[] = "HTTP/1.1 204 No Content\r\n\r\n";
	size_t have = 0;
	ssize_t r;
	char *end;
	long long body, hlen;

	for (;;) {
		end = have > 0 ? hdr_end(buf, have) : NULL;
		if (end == NULL) {
			if (have == sizeof(buf))
				return;		/* headers too long */
			r = read(fd, buf + have, sizeof(buf) - have);
			if (r <= 0)
				return;
			have += (size_t)r;
			continue;
		}
		hlen = end + 4 - buf;
		body = content_length(buf, (size_t)hlen);
		if (body < 0)
			body = 0;
		nreq++;
		nbytes += (unsigned long long)body;
		/* drop the headers and as much body as is here */
		if ((long long)have - hlen >= body) {
			memmove(buf, buf + hlen + body,
			    have - (size_t)(hlen + body));
			have -= (size_t)(hlen + body);
		} else {
			body -= (long long)have - hlen;
			have = 0;
			while (body > 0) {
				r = read(fd, buf, body < (long long)sizeof(buf)
				    ? (size_t)body : sizeof(buf));
				if (r <= 0)
					return;
				body -= r;
			}
		}
		if (delay_ms > 0) {
			struct timespec ts = { delay_ms / 1000,
			    (delay_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
		if (fd_write_all(fd, resp, sizeof(resp) - 1) < 0)
			return;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	struct sigaction sa;
	FILE *f;
	uint64_t d = 0;
	int s, c, one = 1;

	if (argc < 2 || argc > 3 || (argc == 3 &&
	    parse_u64(argv[2], strlen(argv[2]), &d) < 0)) {
		fprintf(stderr, "usage: null_loki PORTFILE [DELAY_MS]\n");
		return 100;
	}
	delay_ms = (long)d;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* children reaped by the kernel */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s, 16) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &al) < 0) {
		perror("null_loki");
		return 111;
	}
	f = fopen(argv[1], "w");
	if (f == NULL || fprintf(f, "%u\n", ntohs(a.sin_port)) < 0 ||
	    fclose(f) != 0) {
		perror("null_loki: port file");
		return 111;
	}
	while (!done) {
		c = accept(s, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("null_loki: accept");
			return 111;
		}
		nconn++;
		if (fork() == 0) {
			close(s);
			serve(c);
			fprintf(stderr, "requests=%llu bytes=%llu\n", nreq,
			    nbytes);
			_exit(0);
		}
		close(c);
	}
	fprintf(stderr, "connections=%llu\n", nconn);
	return 0;
}
