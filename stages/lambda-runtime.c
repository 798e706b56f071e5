/*
 * lambda-runtime: the head of the Lambda pipeline.
 *
 * Reads	the Lambda Runtime API (GET .../invocation/next), and acks and
 *		crash notices from the ack FIFO (--acks).
 * Writes	each event, compacted to one line, then {"flush":"<request
 *		id>"} on stdout; POSTs .../response when the ack says ok:true,
 *		.../error when it says ok:false, when a stage crashed (a crash
 *		notice, written by an s6 finish script) or when the deadline
 *		passed. Acks for other request ids are stale and ignored.
 *
 * Options
 *   -a, --acks PATH		the ack FIFO (opened read-write)
 *   -m, --margin DURATION	answer this long before the deadline (1s)
 *   -b, --batch-item-failures	answer SQS/Kinesis events whose failures
 *				all name items with {"batchItemFailures":..}
 *				(needs ReportBatchItemFailures on the event
 *				source mapping; without it, an error)
 *   --ready PATH		wait until PATH exists before the first GET
 *				(the entry point creates it once every
 *				stage's settings are checked)
 *   --check			validate the settings and exit
 *   --init-error MSG		POST MSG to .../init/error and exit
 *   --crash STAGE STATUS SIG	write a crash notice to --acks (an s6
 *				finish script); exits 125 when STATUS is 100
 *
 * Environment: AWS_LAMBDA_RUNTIME_API (host:port; plain HTTP/1.1 through
 * lib/rtapi, so that this program, started at every cold start, loads no
 * libcurl), REPORT_BATCH_ITEM_FAILURES, LAMBDA_DEADLINE_MARGIN, LOG_LEVEL
 * (an invalid one is a settings error, except for --init-error and
 * --crash, which must still get their message through).
 * Secrets given as ARNs are resolved by lambda-secrets.
 *
 * Exit codes: 0 on SIGTERM; 100 usage or settings; 111 the Runtime API
 * failed or the output could not be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "entry.h"
#include "io.h"
#include "lambda.h"
#include "log.h"
#include "rtapi.h"
#include "settings.h"
#include "util.h"

#define API		"/2018-06-01/runtime"
#define EVENT_MAX	(16 * 1024 * 1024)

struct rt {
	struct rtapi	 c;	/* body, toobig: the event */
	struct buf	 id;	/* its request id */
	int64_t		 deadline;	/* Unix ms; 0: none given */
	int		 items;		/* --batch-item-failures */
	int64_t		 margin;
};

static const char usage[] =
    "usage: lambda-runtime --acks PATH [-b] [-m DURATION] [--ready PATH]\n"
    "                      [--check]\n"
    "       lambda-runtime --init-error MESSAGE\n"
    "       lambda-runtime --acks PATH --crash STAGE STATUS SIGNAL\n";

static long
request(struct rt *rt, const char *path, const struct buf *post,
    const char *errtype)
{
	int st;

	if (post != NULL)
		st = rtapi_request(&rt->c, path, errtype,
		    post->p != NULL ? post->p : "", post->len, 30000);
	else
		st = rtapi_request(&rt->c, path, NULL, NULL, 0, 0);
	if (st == -1 && !sig_term)
		log_msg(LOG_WARN, "Runtime API request failed",
		    "path=%s err=%s", path, rt->c.err);
	return st;
}

static void
rt_open(struct rt *rt, const char *api)
{
	memset(rt, 0, sizeof(*rt));
	if (rtapi_init(&rt->c, api, EVENT_MAX, &sig_term) == -1)
		die(EX_USAGE, "AWS_LAMBDA_RUNTIME_API is not host:port",
		    "value=%s", api);
}

/* POSTs the outcome of the invocation. */
static void
answer(struct rt *rt, int ok, const char *errtype, struct str msg)
{
	struct buf b = { 0 }, path = { 0 };
	long st;
	int n;

	buf_puts(&path, API "/invocation/");
	buf_put(&path, rt->id.p, rt->id.len);
	n = -1;
	if (ok)
		buf_puts(&b, "null");
	else if (rt->items && msg.n > 0)
		n = lambda_item_failures(&b, msg);
	if (ok || n > 0) {
		buf_puts(&path, "/response");
		if (n > 0)
			log_msg(LOG_WARN, "partial batch failure",
			    "request_id=%.*s items=%d", (int)rt->id.len,
			    rt->id.p, n);
		st = request(rt, buf_cstr(&path), &b, NULL);
	} else {
		buf_puts(&path, "/error");
		lambda_error_body(&b, errtype, msg);
		st = request(rt, buf_cstr(&path), &b, errtype);
	}
	buf_free(&b);
	buf_free(&path);
	if (st == -1 && sig_term)
		return;
	if (st == 500 || st == -1)
		die(EX_SYS, "Runtime API refused the answer", "status=%ld",
		    st);
	if (st != 202)
		log_msg(LOG_ERROR, "Runtime API refused the answer",
		    "request_id=%.*s status=%ld", (int)rt->id.len, rt->id.p,
		    st);
}

/* Waits for this invocation's ack; answers it. */
static void
await(struct rt *rt, struct rd *acks, int64_t start)
{
	struct buf scratch = { 0 };
	struct lambda_ack a;
	struct str line, msg = { "", 0 };
	const char *err, *res;
	int64_t left, wait;
	int r;
	char m[256];

	res = "error";
	memset(&a, 0, sizeof(a));
	for (;;) {
		left = rt->deadline > 0 ? rt->deadline - now_ns() / 1000000 -
		    rt->margin : 900000;
		if (left <= 0) {
			snprintf(m, sizeof(m), "lokipipe: no ack from the "
			    "pipeline before the deadline (margin %lld ms)",
			    (long long)rt->margin);
			msg.p = m;
			msg.n = strlen(m);
			answer(rt, 0, "lokipipe.Timeout", msg);
			break;
		}
		wait = left > 1000 ? 1000 : left;
		r = rd_wait(acks, (int)wait);
		if (sig_term)
			goto out;
		if (r == -1)
			die(EX_SYS, "cannot read the ack FIFO", "err=%s",
			    strerror(errno));
		if (r == 0)
			continue;
		r = rd_line(acks, &line);
		if (r == RD_ERR)
			die(EX_SYS, "cannot read the ack FIFO", "err=%s",
			    strerror(errno));
		if (r != RD_LINE)
			continue;
		scratch.len = 0;
		if (lambda_ack_parse(line.p, line.n, &scratch, &a,
		    &err) == -1) {
			log_msg(LOG_WARN, "bad line on the ack FIFO, skipped",
			    "err=%s", err);
			continue;
		}
		if (a.kind == LA_CRASH) {
			snprintf(m, sizeof(m), "lokipipe: stage %.*s died "
			    "(status %llu, signal %llu); its records were "
			    "lost", (int)a.stage.n, a.stage.p,
			    (unsigned long long)a.status,
			    (unsigned long long)a.sig);
			msg.p = m;
			msg.n = strlen(m);
			answer(rt, 0, "lokipipe.StageCrash", msg);
			break;
		}
		if (a.token.n != rt->id.len ||
		    memcmp(a.token.p, rt->id.p, a.token.n) != 0) {
			log_msg(LOG_DEBUG, "stale ack ignored", "ack=%.*s",
			    (int)a.token.n, a.token.p);
			continue;
		}
		if (a.ok)
			res = "ok";
		msg = a.error;
		answer(rt, a.ok, "lokipipe.Error", msg);
		break;
	}
	log_msg(LOG_INFO, "invocation", "request_id=%.*s entries=%llu "
	    "bytes=%llu duration_ms=%lld result=%s error=%.*s",
	    (int)rt->id.len, rt->id.p, (unsigned long long)a.entries,
	    (unsigned long long)a.bytes, (long long)(now_ms() - start), res,
	    a.kind == LA_CRASH || res[0] == 'o' ? 0 : (int)a.error.n,
	    a.error.p != NULL ? a.error.p : "");
out:
	buf_free(&scratch);
}

/* Drops what the ack FIFO holds from before this invocation. */
static void
drain(struct rd *acks)
{
	struct str line;

	while (rd_wait(acks, 0) == 1)
		if (rd_line(acks, &line) != RD_LINE)
			break;
}

static void
loop(struct rt *rt, int ackfd)
{
	struct rd acks;
	struct wr out;
	int64_t start;
	long st;
	int fails;

	wr_init(&out, 1, "stdout");
	rd_init(&acks, ackfd, 1024 * 1024, NULL);
	fails = 0;
	while (!sig_term) {
		st = request(rt, API "/invocation/next", NULL, NULL);
		if (sig_term)
			break;
		/* the answer's response overwrites the headers */
		rt->id.len = 0;
		if (st == 200)
			buf_put(&rt->id, rt->c.id.p, rt->c.id.len);
		rt->deadline = rt->c.deadline;
		if (st != 200 || rt->id.len == 0) {
			if (st == -1 && ++fails < 10) {
				nanosleep(&(struct timespec){ 0, 100000000L },
				    NULL);
				continue;
			}
			die(EX_SYS, "Runtime API: no next invocation",
			    "status=%ld", st);
		}
		fails = 0;
		start = now_ms();
		drain(&acks);
		if (rt->c.toobig) {
			answer(rt, 0, "lokipipe.EventTooLarge",
			    STR_LIT("lokipipe: event over 16 MiB"));
			continue;
		}
		if (lambda_compact(&out.b, rt->c.body.p, rt->c.body.len) == -1)
			log_msg(LOG_WARN, "event ends inside a string",
			    "request_id=%s", buf_cstr(&rt->id));
		if (out.b.len > 0) {
			buf_putc(&out.b, '\n');
			wr_end(&out);
		}
		rec_write_flush(&out.b, (struct str){ rt->id.p, rt->id.len },
		    (struct str){ NULL, 0 });
		if (wr_end(&out) == -1 || wr_flush(&out) == -1)
			die(EX_SYS, "cannot write", "stream=stdout err=%s",
			    strerror(out.err));
		await(rt, &acks, start);
	}
	rd_free(&acks);
	buf_free(&out.b);
}

/* --crash: one write of a crash notice; the exit code s6 wants. */
static int
crash(const char *acks, const char *stage, char **argv)
{
	struct buf b = { 0 };
	uint64_t status = 0, sig = 0;
	int fd;

	if (argv[0] != NULL)
		parse_u64(argv[0], strlen(argv[0]), &status);
	if (argv[0] != NULL && argv[1] != NULL)
		parse_u64(argv[1], strlen(argv[1]), &sig);
	lambda_crash_write(&b, stage, status, sig);
	/* ENXIO: nobody reads the FIFO, lambda-runtime is not running
	 * (shutting down): nothing to tell */
	fd = open(acks, O_WRONLY | O_NONBLOCK | O_APPEND | O_CLOEXEC);
	if ((fd == -1 || fd_write_all(fd, b.p, b.len) == -1) &&
	    errno != ENXIO)
		log_msg(LOG_WARN, "cannot write the crash notice",
		    "path=%s err=%s", acks, strerror(errno));
	if (fd != -1)
		close(fd);
	log_msg(status == 0 || (status == 256 && sig == 15) ? LOG_INFO :
	    LOG_ERROR, "stage ended", "name=%s status=%llu signal=%llu",
	    stage, (unsigned long long)status, (unsigned long long)sig);
	buf_free(&b);
	return status == 100 ? 125 : 0;
}

static int
init_error(struct rt *rt, const char *msg)
{
	struct buf b = { 0 };
	long st;

	lambda_error_body(&b, "Runtime.ConfigError",
	    (struct str){ msg, strlen(msg) });
	st = request(rt, API "/init/error", &b, "Runtime.ConfigError");
	buf_free(&b);
	log_msg(LOG_ERROR, "init error reported", "status=%ld msg=%s", st,
	    msg);
	return st == 202 ? 0 : EX_SYS;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "acks", required_argument, NULL, 'a' },
		{ "margin", required_argument, NULL, 'm' },
		{ "batch-item-failures", no_argument, NULL, 'b' },
		{ "check", no_argument, NULL, 'C' },
		{ "init-error", required_argument, NULL, 'I' },
		{ "crash", required_argument, NULL, 'K' },
		{ "ready", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rt rt;
	const char *acks = NULL, *margin = NULL, *initerr = NULL;
	const char *crashed = NULL, *ready = NULL, *api, *v;
	int c, check = 0, items = -1, fd, badlevel;
	int64_t ms;

	badlevel = log_init("lambda-runtime", getenv("LOG_LEVEL")) < 0;
	while ((c = getopt_long(argc, argv, "a:m:bh", lopts, NULL)) != -1) {
		switch (c) {
		case 'a': acks = optarg; break;
		case 'm': margin = optarg; break;
		case 'b': items = 1; break;
		case 'C': check = 1; break;
		case 'I': initerr = optarg; break;
		case 'K': crashed = optarg; break;
		case 'R': ready = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EX_USAGE;
		}
	}
	if (crashed != NULL) {
		if (acks == NULL)
			die(EX_USAGE, "--crash needs --acks", NULL);
		return crash(acks, crashed, argv + optind);
	}
	if (badlevel && initerr == NULL)
		die(EX_USAGE, "invalid LOG_LEVEL (debug, info, warn, error)",
		    "value=%s", getenv("LOG_LEVEL"));
	if (optind != argc)
		die(EX_USAGE, "unexpected argument", "arg=%s", argv[optind]);
	api = setting(NULL, "AWS_LAMBDA_RUNTIME_API");
	if (api == NULL)
		die(EX_USAGE, "AWS_LAMBDA_RUNTIME_API is not set", NULL);
	rt_open(&rt, api);
	if (initerr != NULL) {
		c = init_error(&rt, initerr);
		rtapi_close(&rt.c);
		return c;
	}
	ms = 1000;
	v = setting(margin, "LAMBDA_DEADLINE_MARGIN");
	if (v != NULL && (parse_duration_ms(v, &ms) == -1 || ms < 0))
		die(EX_USAGE, "invalid deadline margin", "value=%s", v);
	v = setting(NULL, "REPORT_BATCH_ITEM_FAILURES");
	if (items == -1 && v != NULL && parse_bool(v, &items) == -1)
		die(EX_USAGE, "REPORT_BATCH_ITEM_FAILURES is not a boolean",
		    "value=%s", v);
	if (acks == NULL)
		die(EX_USAGE, "--acks PATH is required", NULL);
	if (check)
		return 0;
	fd = open(acks, O_RDWR | O_CLOEXEC);
	if (fd == -1)
		die(EX_SYS, "cannot open the ack FIFO", "path=%s err=%s", acks,
		    strerror(errno));
	sig_setup();
	/* a 1 ms poll: it lasts as long as the slowest stage's --check */
	while (ready != NULL && access(ready, F_OK) == -1 && !sig_term)
		nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	rt.margin = ms;
	rt.items = items == 1;
	loop(&rt, fd);
	rtapi_close(&rt.c);
	buf_free(&rt.id);
	return 0;
}
