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
 * Each body is sent as it arrives: protobuf (logproto.PushRequest)
 * compressed with snappy, or JSON with --format json, over kept-alive
 * connections; by default one request at a time, in order (--parallel N:
 * up to N at once, for a distant Loki; Loki must then accept entries out
 * of order, as it does by default since 2.4). 429, 5xx and connection
 * errors are retried with exponential backoff and jitter, honouring
 * Retry-After (up to --max-backoff); other statuses are final (a 400 may
 * be a partial success, so it is never retried).
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
 *   -P, --parallel N          requests in flight at once (default 1)
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

#define MAX_SLOTS	64

struct opts {
	const char	*addr, *tenant, *skip, *ca, *format, *timeout;
	const char	*minb, *maxb, *retries, *maxline, *parallel;
	const char	*headers[MAX_HEADERS];
	size_t		 nheaders;
	int		 check;
};

/* One push in flight, or waiting for its next try. */
struct slot {
	struct lokihttp	 http;
	struct buf	 body;
	struct buf	 tenant;	/* a copy: the parsed body is reused */
	const char	*ctype;
	struct backoff	 bo;
	int		 busy, waiting, attempt, status;
	int64_t		 due, t0;	/* next try; start of this one */
	size_t		 entries;
	uint64_t	 bytes, lineno;
};

struct ctx {
	struct slot	*slots;
	int		 nslots, nbusy;
	struct lokimulti multi;
	struct lokienc	 enc;
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
"                 [--max-backoff DUR] [--max-retries N] [-P N] [-m SIZE]\n"
"                 [--check]\n"
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

static struct str
slot_tenant(struct slot *s)
{
	return (struct str){ s->tenant.p, s->tenant.len };
}

/* Reports a push that failed for good; frees its slot. */
static void
give_up(struct ctx *x, struct slot *s)
{
	struct str msg, tenant = slot_tenant(s);
	char who[200];
	int st = s->status;

	msg = st < 0 ? (struct str){ s->http.err, strlen(s->http.err) } :
	    lokihttp_message(&s->http, 512);
	if (msg.n == 0)
		msg = STR_LIT("(empty response)");
	who[0] = '\0';
	if (tenant.n > 0)
		snprintf(who, sizeof(who), " (tenant %.*s)",
		    (int)(tenant.n < 150 ? tenant.n : 150), tenant.p);
	log_msg(LOG_ERROR, st == -2 || !http_retryable(st) ?
	    "push refused" : "push failed, gave up", "status=%d attempts=%d "
	    "entries=%zu err=%.*s tenant=%.*s", st, s->attempt, s->entries,
	    (int)msg.n, msg.p, (int)tenant.n, tenant.p);
	if (st == -2)
		errs_add(&x->errs, "loki-push: line %llu not sent%s: %.*s",
		    (unsigned long long)s->lineno, who, (int)msg.n, msg.p);
	else if (st < 0)
		errs_add(&x->errs, "loki: gave up after %d attempts%s: %.*s",
		    s->attempt, who, (int)msg.n, msg.p);
	else if (http_retryable(st))
		errs_add(&x->errs, "loki: HTTP %d, gave up after %d "
		    "attempts%s: %.*s", st, s->attempt, who, (int)msg.n,
		    msg.p);
	else
		errs_add(&x->errs, "loki: HTTP %d%s: %.*s", st, who,
		    (int)msg.n, msg.p);
	x->failed += s->entries;
	s->busy = s->waiting = 0;
	x->nbusy--;
}

/* A try of s has ended with status st: count it, retry, or give up. */
static void
ended(struct ctx *x, struct slot *s, int st)
{
	struct str msg, tenant = slot_tenant(s);
	int64_t d = -1;

	s->status = st;
	if (st >= 200 && st <= 299) {
		log_msg(LOG_DEBUG, "pushed", "status=%d entries=%zu "
		    "bytes=%zu ms=%lld tenant=%.*s", st, s->entries,
		    s->body.len, (long long)(now_ms() - s->t0),
		    (int)tenant.n, tenant.p);
		x->entries += s->entries;
		x->bytes += s->bytes;
		x->total += s->entries;
		x->pushes++;
		s->busy = 0;
		x->nbusy--;
		return;
	}
	if (st != -2 && http_retryable(st) && !sig_term)
		d = backoff_next(&s->bo, s->http.retry_after);
	if (d < 0) {
		give_up(x, s);
		return;
	}
	msg = st < 0 ? (struct str){ s->http.err, strlen(s->http.err) } :
	    lokihttp_message(&s->http, 512);
	log_msg(LOG_WARN, "push failed, will retry", "status=%d "
	    "attempt=%d delay_ms=%lld err=%.*s tenant=%.*s", st, s->attempt,
	    (long long)d, (int)msg.n, msg.p, (int)tenant.n, tenant.p);
	s->waiting = 1;
	s->due = now_ms() + d;
}

/* Starts the next try of s. */
static void
send_try(struct ctx *x, struct slot *s)
{
	int r;

	s->waiting = 0;
	s->attempt++;
	s->t0 = now_ms();
	r = lokihttp_start(&s->http, &x->multi, s->ctype, slot_tenant(s),
	    s->body.p, s->body.len);
	if (r < 0)
		ended(x, s, r);
}

/*
 * Lets the requests in flight progress for up to ms, watching fd (>= 0)
 * for input too; then handles every request that ended and starts the
 * retries that are due (or gives them up after SIGTERM).
 */
static void
drive(struct ctx *x, int fd, int64_t ms)
{
	struct lokihttp *h;
	int64_t now = now_ms();
	int i, st;

	for (i = 0; i < x->nslots; i++) {
		if (!x->slots[i].waiting)
			continue;
		if (sig_term || x->slots[i].due - now < ms)
			ms = sig_term ? 0 : x->slots[i].due - now;
	}
	if (ms < 0)
		ms = 0;
	h = lokimulti_wait(&x->multi, fd, (int)ms, &st);
	while (h != NULL) {
		/* the client is the first member of its slot */
		ended(x, (struct slot *)(void *)h, st);
		h = lokimulti_wait(&x->multi, -1, 0, &st);
	}
	now = now_ms();
	for (i = 0; i < x->nslots; i++) {
		if (!x->slots[i].waiting)
			continue;
		if (sig_term)
			give_up(x, &x->slots[i]);
		else if (x->slots[i].due <= now)
			send_try(x, &x->slots[i]);
	}
}

/* Waits until every push has ended (before an ack, at the end). */
static void
drain(struct ctx *x)
{
	while (x->nbusy > 0)
		drive(x, -1, 1000);
}

/* Starts sending one push body, in a free slot. */
static void
push_one(struct ctx *x, struct push *p, uint64_t lineno)
{
	struct str tenant = p->tenant.n > 0 ? p->tenant : x->tenant;
	struct slot *s = NULL;
	const char *err;
	int i;

	if (p->nvalues == 0)
		return;
	while (x->nbusy == x->nslots)
		drive(x, -1, 1000);
	for (i = 0; i < x->nslots && s == NULL; i++)
		if (!x->slots[i].busy)
			s = &x->slots[i];
	if (x->json) {
		lokienc_json(p, &s->body);
		s->ctype = "application/json";
	} else {
		if (lokienc_proto(&x->enc, p, &s->body, &err) < 0) {
			log_msg(LOG_ERROR, "cannot encode push", "line=%llu "
			    "err=%s", (unsigned long long)lineno, err);
			errs_add(&x->errs, "loki-push: line %llu: %s",
			    (unsigned long long)lineno, err);
			x->failed += p->nvalues;
			return;
		}
		s->ctype = "application/x-protobuf";
	}
	s->tenant.len = 0;
	buf_put(&s->tenant, tenant.p, tenant.n);
	s->entries = p->nvalues;
	s->bytes = p->line_bytes;
	s->lineno = lineno;
	s->attempt = 0;
	s->busy = 1;
	x->nbusy++;
	backoff_init(&s->bo, x->minb, x->maxb, x->retries);
	send_try(x, s);
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
		drain(x);
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
		{ "parallel", required_argument, NULL, 'P' },
		{ "min-backoff", required_argument, NULL, O_MINB },
		{ "max-backoff", required_argument, NULL, O_MAXB },
		{ "max-retries", required_argument, NULL, O_RETRIES },
		{ "check", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	for (;;) {
		c = getopt_long(argc, argv, "a:t:kC:H:f:T:m:P:", lo, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'a': o->addr = optarg; break;
		case 't': o->tenant = optarg; break;
		case 'k': o->skip = "true"; break;
		case 'C': o->ca = optarg; break;
		case 'f': o->format = optarg; break;
		case 'T': o->timeout = optarg; break;
		case 'm': o->maxline = optarg; break;
		case 'P': o->parallel = optarg; break;
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
	x->nslots = 1;
	if (o->parallel != NULL) {
		if (parse_u64(o->parallel, strlen(o->parallel), &n) < 0 ||
		    n < 1 || n > MAX_SLOTS)
			die(EX_USAGE, "invalid parallel, want 1 to 64",
			    "value=%s", o->parallel);
		x->nslots = (int)n;
	}
	*maxline = 64u << 20;
	if (o->maxline != NULL && (parse_size(o->maxline, maxline) < 0 ||
	    *maxline == 0))
		die(EX_USAGE, "invalid max-line", "value=%s", o->maxline);
}

/* Reads and handles input lines while requests run; 0 at EOF. */
static void
run(struct ctx *x, struct rd *in, struct wr *out)
{
	struct rec_parser rp = {0};
	struct push p = {0};
	struct str l;
	int r;

	for (;;) {
		/* read when a slot is free and a line is there (or nothing
		 * else is going on); else let the requests progress */
		r = 0;
		if (x->nbusy < x->nslots)
			r = x->nbusy == 0 ? 1 : rd_wait(in, 0);
		if (r < 0)
			die(EX_SYS, "unable to read", "stream=stdin err=%s",
			    strerror(errno));
		if (r == 0) {
			drive(x, x->nbusy < x->nslots ? in->fd : -1, 1000);
			continue;
		}
		r = rd_line(in, &l);
		if (r == RD_EOF)
			break;
		if (r == RD_ERR)
			die(EX_SYS, "unable to read", "stream=stdin err=%s",
			    strerror(errno));
		if (r == RD_LONG)
			bad_line(x, in->lineno, "line too long, skipped",
			    "over --max-line");
		else
			one_line(x, out, &rp, &p, l, in->lineno);
	}
	drain(x);
	rec_parser_free(&rp);
	push_free(&p);
}

int
main(int argc, char **argv)
{
	static struct ctx x;
	struct opts o = {0};
	struct lokihttp_conf cf;
	struct wr out;
	struct rd in;
	uint64_t maxline, conns = 0;
	int i;

	if (log_init("loki-push", getenv("LOG_LEVEL")) < 0)
		die(EX_USAGE, "invalid LOG_LEVEL (debug, info, warn, error)",
		    "value=%s", getenv("LOG_LEVEL"));
	get_opts(argc, argv, &o);
	configure(&o, &x, &cf, &maxline);
	x.slots = xcalloc((size_t)x.nslots, sizeof(*x.slots));
	for (i = 0; i < x.nslots; i++)
		if (lokihttp_init(&x.slots[i].http, &cf) < 0)
			die(EX_USAGE, "cannot set up the HTTP client",
			    "err=%s", x.slots[i].http.err);
	if (lokimulti_init(&x.multi) < 0)
		die(EX_SYS, "cannot set up the HTTP client", NULL);
	if (o.check)
		return EX_OK;
	sig_setup();
	wr_init(&out, 1, "stdout");
	rd_init(&in, 0, (size_t)maxline, &out);
	run(&x, &in, &out);
	if (wr_flush(&out) < 0)
		die(EX_SYS, "unable to write", "stream=stdout err=%s",
		    strerror(errno));
	for (i = 0; i < x.nslots; i++) {
		conns += x.slots[i].http.connects;
		lokihttp_free(&x.slots[i].http);
		buf_free(&x.slots[i].body);
		buf_free(&x.slots[i].tenant);
	}
	log_msg(LOG_INFO, "done", "pushes=%llu entries=%llu failed=%llu "
	    "invalid=%llu connections=%llu", (unsigned long long)x.pushes,
	    (unsigned long long)x.total, (unsigned long long)x.failed,
	    (unsigned long long)x.invalid, (unsigned long long)conns);
	lokimulti_free(&x.multi);
	free(x.slots);
	lokienc_free(&x.enc);
	buf_free(&x.errs.b);
	rd_free(&in);
	buf_free(&out.b);
	return x.failed > 0 || x.invalid > 0 ? EX_LOST : EX_OK;
}
