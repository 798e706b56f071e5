/* test_rtapi.c: lib/rtapi against a scripted server in a child process:
 * Content-Length, chunked and read-until-close bodies, the Lambda
 * headers, keep-alive, reopening a connection the server closed, 1xx,
 * a body over the cap, a timeout, a body cut short, a refused
 * connection. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "rtapi.h"
#include "util.h"

static int failed;

#define CHECK(name, cond) do {						\
	if (cond)							\
		printf("ok rtapi %s\n", (name));			\
	else {								\
		printf("not ok rtapi %s (line %d)\n", (name), __LINE__);\
		failed++;						\
	}								\
} while (0)

/* What the server does for each request, in order. */
struct step {
	const char	*resp;	/* NULL: say nothing, wait, close */
	int		 close;	/* close the connection after it */
};

static const struct step steps[] = {
	/* 1: Content-Length, the Lambda headers, odd case and spacing */
	{ "HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id:  req-1 \r\n"
	  "Lambda-Runtime-Deadline-Ms: 1700000000123\r\n"
	  "Content-Length: 11\r\n\r\n{\"a\":\"b c\"}", 0 },
	/* 2: a POST on the same connection */
	{ "HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n"
	  "{\"status\":\"OK\"}\n", 0 },
	/* 3: chunked, with an extension and a trailer; then closed */
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	  "Lambda-Runtime-Aws-Request-Id: req-3\r\n\r\n"
	  "4;x=y\r\n{\"k\"\r\n6\r\n:\"v\"}\n\r\n0\r\nX-T: 1\r\n\r\n", 1 },
	/* 4: after the server closed: a new connection; 100 first */
	{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
	  "Content-Length: 2\r\n\r\nok", 0 },
	/* 5: no length: the body ends with the connection */
	{ "HTTP/1.0 200 OK\r\nLambda-Runtime-Aws-Request-Id: req-5\r\n\r\n"
	  "until the end", 1 },
	/* 6: over the cap (16 bytes): read, dropped, flagged */
	{ "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n"
	  "01234567890123456789", 0 },
	/* 7: 500 with a body */
	{ "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\n"
	  "oops", 0 },
	/* 8: silence: the client times out */
	{ NULL, 1 },
	/* 9: a new connection again */
	{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1 },
	/* 10: the connection drops in the middle of the body */
	{ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1 },
	/* 11: a 204: no body */
	{ "HTTP/1.1 204 No Content\r\n\r\n", 0 },
};
#define NSTEPS	(sizeof(steps) / sizeof(steps[0]))

/* Reads one request (head and Content-Length body) into log. */
static int
read_request(int c, FILE *log)
{
	char b[65536];
	size_t n = 0;
	ssize_t k;
	char *e, *cl;
	size_t want;

	for (;;) {
		k = read(c, b + n, sizeof(b) - 1 - n);
		if (k <= 0)
			return -1;
		n += (size_t)k;
		b[n] = '\0';
		e = strstr(b, "\r\n\r\n");
		if (e == NULL)
			continue;
		want = (size_t)(e + 4 - b);
		cl = strstr(b, "Content-Length: ");
		if (cl != NULL && cl < e)
			want += strtoul(cl + 16, NULL, 10);
		if (n >= want)
			break;
	}
	fwrite(b, 1, n, log);
	fputs("\n--\n", log);
	fflush(log);
	return 0;
}

static void
serve(int ls, const char *logpath)
{
	FILE *log = fopen(logpath, "w");
	size_t i;
	int c = -1;

	if (log == NULL)
		_exit(1);
	for (i = 0; i < NSTEPS; i++) {
		if (c == -1) {
			c = accept(ls, NULL, NULL);
			if (c == -1)
				_exit(1);
			fputs("ACCEPT\n", log);
		}
		if (read_request(c, log) == -1) {
			/* the client gave up on this connection: the same
			 * step on the next one */
			close(c);
			c = -1;
			i--;
			continue;
		}
		if (steps[i].resp == NULL)
			nanosleep(&(struct timespec){ 0, 400000000L }, NULL);
		else if (write(c, steps[i].resp, strlen(steps[i].resp)) < 0)
			_exit(1);
		if (steps[i].close) {
			close(c);
			c = -1;
		}
	}
	fclose(log);
	_exit(0);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char b[65536];
	size_t n;

	if (f == NULL)
		return "";
	n = fread(b, 1, sizeof(b) - 1, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

static int
count(const char *s, const char *w)
{
	int n = 0;

	while ((s = strstr(s, w)) != NULL) {
		n++;
		s += strlen(w);
	}
	return n;
}

static int
body_is(struct rtapi *r, const char *want)
{
	return r->body.len == strlen(want) &&
	    memcmp(r->body.p, want, r->body.len) == 0;
}

int
main(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	struct rtapi r;
	volatile int stop = 0;
	char hp[64], logpath[] = "/tmp/test_rtapi.XXXXXX";
	const char *log;
	pid_t pid;
	int ls, st, fd;

	CHECK("init: host:port", rtapi_init(&r, "127.0.0.1:9001", 16,
	    NULL) == 0 && strcmp(r.host, "127.0.0.1") == 0 &&
	    strcmp(r.port, "9001") == 0);
	CHECK("init: [v6]:port", rtapi_init(&r, "[::1]:80", 16, NULL) == 0 &&
	    strcmp(r.host, "::1") == 0 && strcmp(r.port, "80") == 0);
	CHECK("init: no port refused", rtapi_init(&r, "localhost", 16,
	    NULL) == -1);
	CHECK("init: bad port refused", rtapi_init(&r, "h:9x", 16,
	    NULL) == -1);
	CHECK("init: empty host refused", rtapi_init(&r, ":80", 16,
	    NULL) == -1);

	fd = mkstemp(logpath);
	if (fd == -1)
		return 1;
	close(fd);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls == -1 || bind(ls, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(ls, 8) == -1 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) == -1)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid == 0)
		serve(ls, logpath);
	close(ls);
	snprintf(hp, sizeof(hp), "127.0.0.1:%d", ntohs(a.sin_port));
	rtapi_init(&r, hp, 16, &stop);

	st = rtapi_request(&r, "/2018-06-01/runtime/invocation/next", NULL,
	    NULL, 0, 2000);
	CHECK("content-length: status", st == 200);
	CHECK("content-length: body", body_is(&r, "{\"a\":\"b c\"}"));
	CHECK("request id header, any case, trimmed",
	    r.id.len == 5 && memcmp(r.id.p, "req-1", 5) == 0);
	CHECK("deadline header", r.deadline == 1700000000123LL);

	st = rtapi_request(&r, "/2018-06-01/runtime/invocation/req-1/error",
	    "lokipipe.Error", "{\"x\":1}", 7, 2000);
	CHECK("post: 202", st == 202);
	CHECK("post: headers of the last response only", r.id.len == 0 &&
	    r.deadline == 0);

	st = rtapi_request(&r, "/c", NULL, NULL, 0, 2000);
	CHECK("chunked: status", st == 200);
	CHECK("chunked: body", body_is(&r, "{\"k\":\"v\"}\n"));
	CHECK("chunked: header", r.id.len == 5);

	st = rtapi_request(&r, "/d", NULL, NULL, 0, 2000);
	CHECK("1xx skipped; after a close, a new connection", st == 200 &&
	    body_is(&r, "ok"));

	st = rtapi_request(&r, "/e", NULL, NULL, 0, 2000);
	CHECK("no length: body up to the close", st == 200 &&
	    body_is(&r, "until the end"));

	st = rtapi_request(&r, "/f", NULL, NULL, 0, 2000);
	CHECK("over the cap: status", st == 200);
	CHECK("over the cap: flagged, body dropped", r.toobig &&
	    r.body.len == 0);

	st = rtapi_request(&r, "/g", NULL, NULL, 0, 2000);
	CHECK("500 and its body", st == 500 && body_is(&r, "oops") &&
	    !r.toobig);

	st = rtapi_request(&r, "/h", NULL, NULL, 0, 100);
	CHECK("timeout: -1", st == -1 && strstr(r.err, "timed out") != NULL);
	CHECK("timeout: connection closed", r.fd == -1);

	st = rtapi_request(&r, "/i", NULL, NULL, 0, 2000);
	CHECK("after a timeout, a new connection", st == 200 &&
	    r.body.len == 0);

	st = rtapi_request(&r, "/j", NULL, NULL, 0, 2000);
	CHECK("body cut short: -1", st == -1 &&
	    strstr(r.err, "cut short") != NULL);

	st = rtapi_request(&r, "/k", NULL, NULL, 0, 2000);
	CHECK("204: no body", st == 204 && r.body.len == 0);

	rtapi_close(&r);
	waitpid(pid, &st, 0);
	CHECK("server saw every step", WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	log = slurp(logpath);
	CHECK("request line and Host",
	    strstr(log, "GET /2018-06-01/runtime/invocation/next HTTP/1.1"
	    "\r\nHost: 127.0.0.1:") != NULL);
	CHECK("post: content type, length, error type, body", strstr(log,
	    "POST /2018-06-01/runtime/invocation/req-1/error HTTP/1.1\r\n")
	    != NULL && strstr(log, "Content-Type: application/json\r\n"
	    "Content-Length: 7\r\nLambda-Runtime-Function-Error-Type: "
	    "lokipipe.Error\r\n\r\n{\"x\":1}") != NULL);
	/* 1-3 on one, 4-5, 6-8, 9, 10, 11 */
	CHECK("connections kept alive, reopened when closed",
	    count(log, "ACCEPT\n") == 6);
	unlink(logpath);

	/* nobody listens there any more */
	rtapi_init(&r, hp, 16, &stop);
	st = rtapi_request(&r, "/x", NULL, NULL, 0, 1000);
	CHECK("refused: -1 naming the address", st == -1 &&
	    strstr(r.err, hp) != NULL);
	rtapi_close(&r);
	return failed ? 1 : 0;
}
