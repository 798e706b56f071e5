/*
 * loki-push: sends push bodies to Loki's push API and acks each flush.
 *
 * Reads  push bodies (Loki's JSON push body, one a line, with an optional
 *        "tenant" field) and control records (DESIGN.md §1).
 * Writes for each {"flush":"id"}, once every push read before it has
 *        ended: {"ack":"id","ok":B,"entries":N,"bytes":N[,"error":"..."]}
 *        (entries and line bytes accepted by Loki since the last flush;
 *        the error joins the marker's own error with every push that
 *        failed). Ack records read are passed on.
 *
 * Each body is sent at once, in order: protobuf (logproto.PushRequest)
 * compressed with snappy, or JSON with --format json, over one kept-alive
 * connection. 429, 5xx and connection errors are retried with exponential
 * backoff and jitter, honouring Retry-After; other statuses are final (a
 * 400 may be a partial success, so it is never retried).
 *
 * Options (a flag wins over its environment variable):
 *   -a, --write-address URL   WRITE_ADDRESS (required), http(s)://
 *   -t, --tenant-id ID        TENANT_ID: X-Scope-OrgID unless a body has
 *                             its own "tenant"
 *   -k, --skip-tls-verify     SKIP_TLS_VERIFY=true
 *   -C, --ca-file FILE        CA bundle for https
 *   -H, --header 'Name: v'    extra request header (repeatable)
 *   -f, --format proto|json   wire format (default proto)
 *   -T, --timeout DUR         per request (default 5s)
 *   --min-backoff DUR, --max-backoff DUR, --max-retries N
 *                             retry policy (100ms, 30s, 10)
 *   -m, --max-line SIZE       longest input line (default 64M)
 *   --check                   validate the settings and exit
 *   --help
 * Environment only (secrets stay off the command line): USERNAME and
 * PASSWORD (basic auth, both or neither), BEARER_TOKEN (not with
 * USERNAME); LOG_LEVEL. Credentials are never logged.
 *
 * Exit: 0 every push accepted; 1 a push was refused or given up on, or an
 * input line was invalid; 100 usage or settings; 111 system error
 * (reading stdin, writing stdout).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "log.h"
#include "io.h"
#include "entry.h"
#include "settings.h"
#include "lokiproto.h"

#define MAX_HEADERS	32

struct opts {
	const char	*addr, *tenant, *skip, *ca, *format, *timeout;
	const char	*minb, *maxb, *retries, *maxline;
	const char	*headers[MAX_HEADERS];
	size_t		 nheaders;
	int		 check;
};

struct ctx {
	struct lokihttp	 http;
	struct lokienc	 enc;
	struct backoff	 bo;
	struct buf	 body;
	struct str	 tenant;	/* default */
	int		 json;
	int64_t		 minb, maxb;
	int		 retries;
	/* this flush window */
	uint64_t	 entries, bytes;
	struct errs	 errs;
	/* the whole run */
	uint64_t	 pushes, total, failed, invalid;
};

static const char usage_text[] =
"usage: loki-push [-k] [-a URL] [-t TENANT] [-C CAFILE] [-H 'Name: value']\n"
"                 [-f proto|json] [-T TIMEOUT] [--min-backoff DUR]\n"
"                 [--max-backoff DUR] [--max-retries N] [-m SIZE] [--check]\n"
"Reads push bodies and flush markers on stdin, POSTs each body to Loki,\n"
"writes one ack per flush marker on stdout.\n"
"Environment: WRITE_ADDRESS, TENANT_ID, SKIP_TLS_VERIFY, USERNAME,\n"
"PASSWORD, BEARER_TOKEN, LOG_LEVEL (flags win over variables).\n";

static void
usage(int code)
{
	if (code == 0)
		(void)!write(1, usage_text, sizeof(usage_text) - 1);
	else
		(void)!write(2, usage_text, sizeof(usage_text) - 1);
	exit(code);
}

static int64_t
dur_or_die(const char *s, const char *name, int64_t def)
{
	int64_t v;

	if (s == NULL)
		return def;
	if (parse_duration_ms(s, &v) < 0 || v < 0)
		die(EX_USAGE, "invalid duration", "option=%s value=%s", name,
		    s);
	return v;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts;
	int64_t end = now_ms() + ms, left = ms;

	/* in slices, so that SIGTERM cuts a long backoff short */
	while (!sig_term && left > 0) {
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
		left = end - now_ms();
	}
}

/* Sends one push body with retries; 0 accepted, -1 failed for good. */
static int
push_one(struct ctx *x, struct push *p, uint64_t lineno)
{
	struct str tenant = p->tenant.n > 0 ? p->tenant : x->tenant, msg;
	const char *ctype, *err;
	char who[200];
	int st, attempt;
	int64_t d, t0;

	if (p->nvalues == 0)
		return 0;
	if (x->json) {
		lokienc_json(p, &x->body);
		ctype = "application/json";
	} else {
		if (lokienc_proto(&x->enc, p, &x->body, &err) < 0) {
			log_msg(LOG_ERROR, "cannot encode push", "line=%llu "
			    "err=%s", (unsigned long long)lineno, err);
			errs_add(&x->errs, "loki-push: line %llu: %s",
			    (unsigned long long)lineno, err);
			x->failed += p->nvalues;
			return -1;
		}
		ctype = "application/x-protobuf";
	}
	backoff_init(&x->bo, x->minb, x->maxb, x->retries);
	for (attempt = 1;; attempt++) {
		t0 = now_ms();
		st = lokihttp_post(&x->http, ctype, tenant, x->body.p,
		    x->body.len);
		if (st >= 200 && st <= 299) {
			log_msg(LOG_DEBUG, "pushed", "status=%d entries=%zu "
			    "bytes=%zu ms=%lld tenant=%.*s", st, p->nvalues,
			    x->body.len, (long long)(now_ms() - t0),
			    (int)tenant.n, tenant.p);
			x->entries += p->nvalues;
			x->bytes += p->line_bytes;
			x->total += p->nvalues;
			x->pushes++;
			return 0;
		}
		msg = st < 0 ? (struct str){ x->http.err,
		    strlen(x->http.err) } : lokihttp_message(&x->http, 512);
		d = -1;
		if (st != -2 && http_retryable(st) && !sig_term)
			d = backoff_next(&x->bo, x->http.retry_after);
		if (d < 0)
			break;
		log_msg(LOG_WARN, "push failed, will retry", "status=%d "
		    "attempt=%d delay_ms=%lld err=%.*s tenant=%.*s", st,
		    attempt, (long long)d, (int)msg.n, msg.p, (int)tenant.n,
		    tenant.p);
		sleep_ms(d);
	}
	if (msg.n == 0)
		msg = STR_LIT("(empty response)");
	who[0] = '\0';
	if (tenant.n > 0)
		snprintf(who, sizeof(who), " (tenant %.*s)",
		    (int)(tenant.n < 150 ? tenant.n : 150), tenant.p);
	log_msg(LOG_ERROR, st == -2 || !http_retryable(st) ?
	    "push refused" : "push failed, gave up", "status=%d attempts=%d "
	    "entries=%zu err=%.*s tenant=%.*s", st, attempt, p->nvalues,
	    (int)msg.n, msg.p, (int)tenant.n, tenant.p);
	if (st == -2)
		errs_add(&x->errs, "loki-push: line %llu not sent%s: %.*s",
		    (unsigned long long)lineno, who, (int)msg.n, msg.p);
	else if (st < 0)
		errs_add(&x->errs, "loki: gave up after %d attempts%s: %.*s",
		    attempt, who, (int)msg.n, msg.p);
	else if (http_retryable(st))
		errs_add(&x->errs, "loki: HTTP %d, gave up after %d "
		    "attempts%s: %.*s", st, attempt, who, (int)msg.n, msg.p);
	else
		errs_add(&x->errs, "loki: HTTP %d%s: %.*s", st, who,
		    (int)msg.n, msg.p);
	x->failed += p->nvalues;
	return -1;
}

/* Writes the ack for a flush marker and starts a new window. */
static void
ack(struct ctx *x, struct wr *out, struct rec *r)
{
	struct str mine = errs_get(&x->errs);
	struct buf e = {0};

	if (r->has_error && r->error.n > 0)
		buf_put(&e, r->error.p, r->error.n);
	if (mine.n > 0) {
		if (e.len > 0)
			buf_put(&e, "; ", 2);
		buf_put(&e, mine.p, mine.n);
	}
	rec_write_ack(&out->b, r->token, e.len == 0, x->entries, x->bytes,
	    (struct str){ e.p, e.len });
	log_msg(e.len == 0 ? LOG_DEBUG : LOG_WARN, "ack", "token=%.*s "
	    "ok=%s entries=%llu bytes=%llu", (int)r->token.n, r->token.p,
	    e.len == 0 ? "true" : "false", (unsigned long long)x->entries,
	    (unsigned long long)x->bytes);
	buf_free(&e);
	errs_clear(&x->errs);
	x->entries = x->bytes = 0;
}

static void
bad_line(struct ctx *x, uint64_t lineno, const char *what, const char *err)
{
	log_msg(LOG_WARN, what, "line=%llu err=%s",
	    (unsigned long long)lineno, err);
	errs_add(&x->errs, "loki-push: line %llu: %s: %s",
	    (unsigned long long)lineno, what, err);
	x->invalid++;
}

static void
one_line(struct ctx *x, struct wr *out, struct rec_parser *rp,
    struct push *p, struct str l, uint64_t lineno)
{
	struct rec r;
	const char *err = NULL;
	size_t i;

	for (i = 0; i < l.n; i++)
		if (l.p[i] != ' ' && l.p[i] != '\t' && l.p[i] != '\r')
			break;
	if (i == l.n)
		return;		/* blank line */
	switch (rec_peek_kind(l.p, l.n)) {
	case REC_FLUSH:
		if (rec_parse(rp, l.p, l.n, &r, &err) != REC_FLUSH) {
			bad_line(x, lineno, "invalid flush marker",
			    err != NULL ? err : "not a flush");
			return;
		}
		ack(x, out, &r);
		break;
	case REC_ACK:
		/* someone else's ack: pass it on */
		buf_put(&out->b, l.p, l.n);
		buf_putc(&out->b, '\n');
		break;
	default:
		if (push_parse(p, l.p, l.n, &err) < 0) {
			bad_line(x, lineno, "invalid push body", err);
			return;
		}
		push_one(x, p, lineno);
		return;
	}
	if (wr_flush(out) < 0)
		die(EX_SYS, "unable to write", "stream=stdout err=%s",
		    strerror(errno));
}

static void
get_opts(int argc, char **argv, struct opts *o)
{
	enum { O_CHECK = 256, O_HELP, O_MINB, O_MAXB, O_RETRIES };
	static const struct option lo[] = {
		{ "write-address", required_argument, NULL, 'a' },
		{ "tenant-id", required_argument, NULL, 't' },
		{ "skip-tls-verify", no_argument, NULL, 'k' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "header", required_argument, NULL, 'H' },
		{ "format", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-line", required_argument, NULL, 'm' },
		{ "min-backoff", required_argument, NULL, O_MINB },
		{ "max-backoff", required_argument, NULL, O_MAXB },
		{ "max-retries", required_argument, NULL, O_RETRIES },
		{ "check", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "a:t:kC:H:f:T:m:", lo,
	    NULL)) != -1) {
		switch (c) {
		case 'a': o->addr = optarg; break;
		case 't': o->tenant = optarg; break;
		case 'k': o->skip = "true"; break;
		case 'C': o->ca = optarg; break;
		case 'f': o->format = optarg; break;
		case 'T': o->timeout = optarg; break;
		case 'm': o->maxline = optarg; break;
		case O_MINB: o->minb = optarg; break;
		case O_MAXB: o->maxb = optarg; break;
		case O_RETRIES: o->retries = optarg; break;
		case O_CHECK: o->check = 1; break;
		case O_HELP: usage(0); break;
		case 'H':
			if (o->nheaders == MAX_HEADERS)
				die(EX_USAGE, "too many headers", "max=%d",
				    MAX_HEADERS);
			o->headers[o->nheaders++] = optarg;
			break;
		default:
			usage(EX_USAGE);
		}
	}
	if (optind < argc)
		usage(EX_USAGE);
}

/* Settings to a client configuration; any problem exits 100. */
static void
configure(struct opts *o, struct ctx *x, struct lokihttp_conf *cf,
    uint64_t *maxline)
{
	const char *why, *s;
	uint64_t n;
	size_t i;
	int b;

	memset(cf, 0, sizeof(*cf));
	cf->url = setting(o->addr, "WRITE_ADDRESS");
	if (cf->url == NULL)
		die(EX_USAGE, "WRITE_ADDRESS is not set", "format=%s",
		    "https://<hostname>/loki/api/v1/push");
	if (lokihttp_url_ok(cf->url, &why) < 0)
		die(EX_USAGE, "invalid WRITE_ADDRESS", "err=%s", why);
	cf->username = setting(NULL, "USERNAME");
	cf->password = setting(NULL, "PASSWORD");
	cf->bearer = setting(NULL, "BEARER_TOKEN");
	if ((cf->username == NULL) != (cf->password == NULL))
		die(EX_USAGE, "USERNAME and PASSWORD must be set together",
		    NULL);
	if (cf->username != NULL && cf->bearer != NULL)
		die(EX_USAGE, "BEARER_TOKEN cannot be used with USERNAME",
		    NULL);
	s = setting(o->skip, "SKIP_TLS_VERIFY");
	if (s != NULL && parse_bool(s, &b) < 0)
		die(EX_USAGE, "invalid SKIP_TLS_VERIFY", "value=%s", s);
	cf->skip_verify = s != NULL && b;
	cf->ca_file = o->ca;
	if (o->ca != NULL && access(o->ca, R_OK) < 0)
		die(EX_USAGE, "cannot read CA file", "file=%s err=%s", o->ca,
		    strerror(errno));
	for (i = 0; i < o->nheaders; i++) {
		s = strchr(o->headers[i], ':');
		if (s == NULL || s == o->headers[i] ||
		    strpbrk(o->headers[i], "\r\n") != NULL)
			die(EX_USAGE, "invalid header, want 'Name: value'",
			    "header=%s", o->headers[i]);
	}
	cf->headers = o->headers;
	cf->nheaders = o->nheaders;
	cf->timeout_ms = dur_or_die(o->timeout, "timeout", 5000);
	cf->user_agent = "lokipipe/" LP_VERSION;
	if (o->format != NULL && strcmp(o->format, "json") != 0 &&
	    strcmp(o->format, "proto") != 0)
		die(EX_USAGE, "invalid format, want proto or json",
		    "format=%s", o->format);
	x->json = o->format != NULL && strcmp(o->format, "json") == 0;
	s = setting(o->tenant, "TENANT_ID");
	x->tenant = s != NULL ? (struct str){ s, strlen(s) } :
	    (struct str){ "", 0 };
	for (i = 0; i < x->tenant.n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			die(EX_USAGE, "control character in TENANT_ID", NULL);
	x->minb = dur_or_die(o->minb, "min-backoff", 100);
	x->maxb = dur_or_die(o->maxb, "max-backoff", 30000);
	x->retries = 10;
	if (o->retries != NULL) {
		if (parse_u64(o->retries, strlen(o->retries), &n) < 0 ||
		    n > 1000)
			die(EX_USAGE, "invalid max-retries", "value=%s",
			    o->retries);
		x->retries = (int)n;
	}
	*maxline = 64u << 20;
	if (o->maxline != NULL && (parse_size(o->maxline, maxline) < 0 ||
	    *maxline == 0))
		die(EX_USAGE, "invalid max-line", "value=%s", o->maxline);
}

int
main(int argc, char **argv)
{
	static struct ctx x;
	struct opts o = {0};
	struct lokihttp_conf cf;
	struct rec_parser rp = {0};
	struct push p = {0};
	struct wr out;
	struct rd in;
	struct str l;
	uint64_t maxline;
	int r;

	if (log_init("loki-push", getenv("LOG_LEVEL")) < 0)
		log_msg(LOG_WARN, "unknown LOG_LEVEL, using info", NULL);
	get_opts(argc, argv, &o);
	configure(&o, &x, &cf, &maxline);
	if (lokihttp_init(&x.http, &cf) < 0)
		die(EX_USAGE, "cannot set up the HTTP client", "err=%s",
		    x.http.err);
	if (o.check) {
		lokihttp_free(&x.http);
		return EX_OK;
	}
	sig_setup();
	wr_init(&out, 1, "stdout");
	rd_init(&in, 0, (size_t)maxline, &out);
	while ((r = rd_line(&in, &l)) != RD_EOF) {
		if (r == RD_ERR)
			die(EX_SYS, "unable to read", "stream=stdin err=%s",
			    strerror(errno));
		if (r == RD_LONG)
			bad_line(&x, in.lineno, "line too long, skipped",
			    "over --max-line");
		else
			one_line(&x, &out, &rp, &p, l, in.lineno);
	}
	if (wr_flush(&out) < 0)
		die(EX_SYS, "unable to write", "stream=stdout err=%s",
		    strerror(errno));
	log_msg(LOG_INFO, "done", "pushes=%llu entries=%llu failed=%llu "
	    "invalid=%llu connections=%llu", (unsigned long long)x.pushes,
	    (unsigned long long)x.total, (unsigned long long)x.failed,
	    (unsigned long long)x.invalid,
	    (unsigned long long)x.http.connects);
	lokihttp_free(&x.http);
	lokienc_free(&x.enc);
	buf_free(&x.body);
	buf_free(&x.errs.b);
	rec_parser_free(&rp);
	push_free(&p);
	rd_free(&in);
	buf_free(&out.b);
	return x.failed > 0 || x.invalid > 0 ? EX_LOST : EX_OK;
}
