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
 *   --secrets DIR		resolve USERNAME, PASSWORD, BEARER_TOKEN
 *				given as ARNs into DIR/NAME (mode 0600) for
 *				s6-envdir; failures name the ARN, exit 100
 *
 * Environment: AWS_LAMBDA_RUNTIME_API, REPORT_BATCH_ITEM_FAILURES,
 * LAMBDA_DEADLINE_MARGIN, LOG_LEVEL; for --secrets also AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_SECRETS_MANAGER,
 * AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL, SSL_CERT_FILE.
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

#include <curl/curl.h>

#include "entry.h"
#include "io.h"
#include "lambda.h"
#include "log.h"
#include "secrets.h"
#include "settings.h"
#include "util.h"

#define API		"/2018-06-01/runtime"
#define EVENT_MAX	(16 * 1024 * 1024)

struct rt {
	CURL		*curl;
	const char	*api;
	struct buf	 url, body, id, resp;
	int64_t		 deadline;	/* Unix ms; 0: none given */
	int		 toobig;
	int		 items;		/* --batch-item-failures */
	int64_t		 margin;
};

static const char usage[] =
    "usage: lambda-runtime --acks PATH [-b] [-m DURATION] [--ready PATH]\n"
    "                      [--check]\n"
    "       lambda-runtime --init-error MESSAGE\n"
    "       lambda-runtime --acks PATH --crash STAGE STATUS SIGNAL\n"
    "       lambda-runtime --secrets DIR\n";

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct rt *rt = arg;
	static const char hid[] = "lambda-runtime-aws-request-id:";
	static const char hdl[] = "lambda-runtime-deadline-ms:";
	size_t len = size * n, k;
	uint64_t v;

	if (len > sizeof(hid) - 1 &&
	    strncasecmp(p, hid, sizeof(hid) - 1) == 0) {
		k = sizeof(hid) - 1;
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		rt->id.len = 0;
		while (k < len && p[k] != '\r' && p[k] != '\n')
			buf_putc(&rt->id, p[k++]);
	} else if (len > sizeof(hdl) - 1 &&
	    strncasecmp(p, hdl, sizeof(hdl) - 1) == 0) {
		k = sizeof(hdl) - 1;
		while (k < len && p[k] == ' ')
			k++;
		n = k;
		while (n < len && p[n] >= '0' && p[n] <= '9')
			n++;
		if (parse_u64(p + k, n - k, &v) == 0)
			rt->deadline = (int64_t)v;
	}
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct rt *rt = arg;

	if (rt->body.len + n > EVENT_MAX) {
		rt->toobig = 1;
		return n;	/* read on, keep the connection */
	}
	buf_put(&rt->body, p, size * n);
	return size * n;
}

static int
on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
    curl_off_t d)
{
	return sig_term ? 1 : 0;
}

static long
request(struct rt *rt, const char *path, const struct buf *post,
    const char *errtype)
{
	struct curl_slist *h = NULL;
	long status = 0;
	CURLcode cr;
	char hdr[128];

	rt->url.len = 0;
	buf_puts(&rt->url, "http://");
	buf_puts(&rt->url, rt->api);
	buf_puts(&rt->url, path);
	curl_easy_setopt(rt->curl, CURLOPT_URL, buf_cstr(&rt->url));
	if (post != NULL) {
		if (errtype != NULL) {
			snprintf(hdr, sizeof(hdr),
			    "Lambda-Runtime-Function-Error-Type: %s", errtype);
			h = curl_slist_append(h, hdr);
		}
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDS, post->p);
		curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDSIZE,
		    (long)post->len);
		curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT_MS, 30000L);
	} else {
		curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(rt->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT_MS, 0L);
		rt->body.len = 0;
		rt->id.len = 0;
		rt->deadline = 0;
		rt->toobig = 0;
	}
	curl_easy_setopt(rt->curl, CURLOPT_WRITEDATA, rt);
	cr = curl_easy_perform(rt->curl);
	curl_slist_free_all(h);
	if (cr != CURLE_OK) {
		if (!sig_term)
			log_msg(LOG_WARN, "Runtime API request failed",
			    "path=%s err=%s", path, curl_easy_strerror(cr));
		return -1;
	}
	curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static void
rt_open(struct rt *rt, const char *api)
{
	memset(rt, 0, sizeof(*rt));
	rt->api = api;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die(EX_SYS, "cannot initialise libcurl", NULL);
	rt->curl = curl_easy_init();
	if (rt->curl == NULL)
		die(EX_SYS, "cannot initialise libcurl", NULL);
	curl_easy_setopt(rt->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(rt->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(rt->curl, CURLOPT_HEADERDATA, rt);
	curl_easy_setopt(rt->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(rt->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(rt->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(rt->curl, CURLOPT_TCP_NODELAY, 1L);
}

static void
rt_close(struct rt *rt)
{
	curl_easy_cleanup(rt->curl);
	buf_free(&rt->url);
	buf_free(&rt->body);
	buf_free(&rt->id);
	buf_free(&rt->resp);
	curl_global_cleanup();
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
		if (rt->toobig) {
			answer(rt, 0, "lokipipe.EventTooLarge",
			    STR_LIT("lokipipe: event over 16 MiB"));
			continue;
		}
		if (lambda_compact(&out.b, rt->body.p, rt->body.len) == -1)
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

/* --secrets: each ARN in the environment becomes DIR/NAME. */
static int
secrets(const char *dir)
{
	static const char *const names[] = { "USERNAME", "PASSWORD",
	    "BEARER_TOKEN" };
	struct secret_ctx c;
	struct buf v = { 0 }, err = { 0 }, path = { 0 };
	const char *arn, *ep;
	size_t i;
	int fd, ret = 0;

	memset(&c, 0, sizeof(c));
	ep = setting(NULL, "AWS_ENDPOINT_URL");
	c.endpoint_sm = setting(NULL, "AWS_ENDPOINT_URL_SECRETS_MANAGER");
	c.endpoint_ssm = setting(NULL, "AWS_ENDPOINT_URL_SSM");
	c.endpoint_sm = c.endpoint_sm ? c.endpoint_sm : ep;
	c.endpoint_ssm = c.endpoint_ssm ? c.endpoint_ssm : ep;
	c.cafile = setting(NULL, "SSL_CERT_FILE");
	c.creds.key_id = setting(NULL, "AWS_ACCESS_KEY_ID");
	c.creds.secret = setting(NULL, "AWS_SECRET_ACCESS_KEY");
	c.creds.token = setting(NULL, "AWS_SESSION_TOKEN");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		arn = setting(NULL, names[i]);
		if (!secret_is_arn(arn))
			continue;
		if (c.curl == NULL) {
			curl_global_init(CURL_GLOBAL_DEFAULT);
			c.curl = curl_easy_init();
			if (c.curl == NULL)
				die(EX_SYS, "cannot initialise libcurl", NULL);
		}
		if (secret_fetch(&c, arn, &v, &err) == -1) {
			log_msg(LOG_ERROR, "cannot resolve secret",
			    "name=%s err=%s", names[i], buf_cstr(&err));
			ret = EX_USAGE;
			break;
		}
		path.len = 0;
		buf_puts(&path, dir);
		buf_putc(&path, '/');
		buf_puts(&path, names[i]);
		fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0600);
		if (fd == -1 || fchmod(fd, 0600) == -1 ||
		    fd_write_all(fd, v.p, v.len) == -1 || close(fd) == -1)
			die(EX_SYS, "cannot write", "path=%s err=%s",
			    buf_cstr(&path), strerror(errno));
		log_msg(LOG_INFO, "secret resolved", "name=%s arn=%s",
		    names[i], arn);
	}
	if (c.curl != NULL)
		curl_easy_cleanup(c.curl);
	if (v.p != NULL)
		memset(v.p, 0, v.cap);	/* the value does not outlive us */
	buf_free(&v);
	buf_free(&err);
	buf_free(&path);
	return ret;
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
		{ "secrets", required_argument, NULL, 'S' },
		{ "ready", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rt rt;
	const char *acks = NULL, *margin = NULL, *initerr = NULL;
	const char *crashed = NULL, *secdir = NULL, *ready = NULL, *api, *v;
	int c, check = 0, items = -1, fd;
	int64_t ms;

	log_init("lambda-runtime", getenv("LOG_LEVEL"));
	while ((c = getopt_long(argc, argv, "a:m:bh", lopts, NULL)) != -1) {
		switch (c) {
		case 'a': acks = optarg; break;
		case 'm': margin = optarg; break;
		case 'b': items = 1; break;
		case 'C': check = 1; break;
		case 'I': initerr = optarg; break;
		case 'K': crashed = optarg; break;
		case 'S': secdir = optarg; break;
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
	if (optind != argc)
		die(EX_USAGE, "unexpected argument", "arg=%s", argv[optind]);
	if (secdir != NULL)
		return secrets(secdir);
	api = setting(NULL, "AWS_LAMBDA_RUNTIME_API");
	if (api == NULL)
		die(EX_USAGE, "AWS_LAMBDA_RUNTIME_API is not set", NULL);
	if (initerr != NULL) {
		rt_open(&rt, api);
		c = init_error(&rt, initerr);
		rt_close(&rt);
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
	rt_open(&rt, api);
	/* a 1 ms poll: it lasts as long as the slowest stage's --check */
	while (ready != NULL && access(ready, F_OK) == -1 && !sig_term)
		nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	rt.margin = ms;
	rt.items = items == 1;
	loop(&rt, fd);
	rt_close(&rt);
	return 0;
}
