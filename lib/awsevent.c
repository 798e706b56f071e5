/*
 * awsevent.c: AWS Lambda events to log lines.
 *
 * An event is recognised by its shape (DESIGN.md §2), as lambda-promtail's
 * event.go does, but record by record:
 *   {"awslogs":{"data":B64}}          CloudWatch Logs subscription
 *   {"Records":[...]}                 S3, Kinesis, SQS, SNS records, each
 *                                     told apart by eventSource (or, for
 *                                     SNS, EventSource) or by its keys
 *   {"detail-type":..,"source":..}    EventBridge
 *   {"Event":"s3:TestEvent"}          S3's probe: nothing, not an error
 *   {"Type":"Notification",..}        an SNS message as SQS receives it
 * SQS bodies and SNS messages are events themselves (S3 -> SNS -> SQS);
 * one that is not is forwarded as a line. Kinesis data is CloudWatch Logs
 * data (gzipped or not), KPL-aggregated records, or lines of text.
 *
 * Events go through libjq, once lib/json.h's cursor has found them valid;
 * a CloudWatch Logs event alone in its text (the hot path) and every
 * CloudWatch payload, where the lines are, through the cursor only.
 * Reasons name where they arose ("sqs:ID: sns:ID: ..."), so that a
 * partial batch failure can name the SQS message or Kinesis record.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jv.h>
#include <openssl/evp.h>

#include "util.h"
#include "json.h"
#include "entry.h"
#include "gz.h"
#include "b64.h"
#include "s3log.h"
#include "awsevent.h"

#define MAX_INFLATE	(64u << 20)	/* a CloudWatch or Kinesis payload */
#define MAX_NEST	8		/* SQS(SNS(S3)) is 3 */
#define MAX_KEYS_MSG	200

static void	decode_value(struct awsev *, jv);

void
awsev_init(struct awsev *a)
{
	memset(a, 0, sizeof(*a));
}

void
awsev_free(struct awsev *a)
{
	buf_free(&a->ctx);
	buf_free(&a->bin);
	buf_free(&a->text);
	buf_free(&a->scratch);
	buf_free(&a->scratch2);
	buf_free(&a->tmp);
	buf_free(&a->vscratch);
	buf_free(&a->kpl);
}

static void
ev_err(struct awsev *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
ev_err(struct awsev *a, const char *fmt, ...)
{
	char	 msg[1024], full[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s%.*s%s",
	    a->prefix != NULL ? a->prefix : "", (int)a->ctx.len,
	    a->ctx.len > 0 ? a->ctx.p : "", msg);
	if (a->errs != NULL)
		errs_add(a->errs, "%s", full);
	if (a->warn != NULL)
		a->warn(a->arg, full);
	a->errors++;
}

/* "sqs:ID: " before the reasons of a nested record; returns the old
 * length for ctx_pop. */
static size_t
ctx_push(struct awsev *a, const char *kind, struct str id)
{
	size_t	 old = a->ctx.len;

	buf_puts(&a->ctx, kind);
	buf_putc(&a->ctx, ':');
	buf_put(&a->ctx, id.p, id.n);
	buf_puts(&a->ctx, ": ");
	return old;
}

static void
ctx_pop(struct awsev *a, size_t old)
{
	a->ctx.len = old;
}

/* jv helpers. get() borrows o and returns a new reference (jv_invalid()
 * when o is not an object or lacks k). */
static jv
get(jv o, const char *k)
{
	if (jv_get_kind(o) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(o), jv_string(k));
}

static int
has(jv o, const char *k)
{
	jv	 v = get(o, k);
	int	 r = jv_is_valid(v);

	jv_free(v);
	return r;
}

/* A string member of o; s points into o and is valid while o is. */
static int
get_str(jv o, const char *k, struct str *s)
{
	jv	 v = get(o, k);

	s->p = "";
	s->n = 0;
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return -1;
	}
	s->p = jv_string_value(v);
	s->n = (size_t)jv_string_length_bytes(jv_copy(v));
	jv_free(v);
	return 0;
}

/* o.k1.k2 as a string, or -1. */
static int
get_str2(jv o, const char *k1, const char *k2, struct str *s)
{
	jv	 v = get(o, k1);
	int	 r;

	r = get_str(v, k2, s);
	jv_free(v);	/* o still holds v, so s stays valid */
	return r;
}

static int
str_is(struct str s, const char *c)
{
	return s.n == strlen(c) && memcmp(s.p, c, s.n) == 0;
}

/* "keys: a, b, c" of an object, for messages; "a JSON array" etc. */
static void
describe(jv v, char *out, size_t len)
{
	static const char *kinds[] = { "invalid", "null", "false", "true",
	    "number", "string", "array", "object" };
	size_t	 n = 0;
	int	 i, k, first = 1;

	k = jv_get_kind(v);
	if (k != JV_KIND_OBJECT) {
		snprintf(out, len, "a JSON %s, not an object",
		    k >= 0 && k < 8 ? kinds[k] : "value");
		return;
	}
	n = (size_t)snprintf(out, len, "keys:");
	for (i = jv_object_iter(v); jv_object_iter_valid(v, i);
	    i = jv_object_iter_next(v, i)) {
		jv	 key = jv_object_iter_key(v, i);
		int	 w;

		if (n < len && n < MAX_KEYS_MSG)
			w = snprintf(out + n, len - n, "%s%s",
			    first ? " " : ", ", jv_string_value(key));
		else
			w = 0;
		if (w > 0)
			n += (size_t)w;
		first = 0;
		jv_free(key);
	}
	if (first)
		snprintf(out, len, "an empty object");
	else if (n >= MAX_KEYS_MSG && n < len)
		snprintf(out + n, len - n, " ...");
}

/* Labels. Values borrow from the event or the payload. */
static void
lab_reset(struct awsev *a)
{
	a->nlab = 0;
	a->lab_fresh = 1;
}

static void
lab_add(struct awsev *a, const char *name, struct str value)
{
	if (a->nlab >= sizeof(a->lab) / sizeof(a->lab[0]))
		return;
	a->lab[a->nlab].name.p = name;
	a->lab[a->nlab].name.n = strlen(name);
	a->lab[a->nlab].value = value;
	a->nlab++;
}

static int
put_line(struct awsev *a, uint64_t ts, struct str line)
{
	if (a->stop)
		return -1;
	if (a->emit(a->arg, ts, a->lab, a->nlab, !a->lab_fresh, line) != 0) {
		a->stop = 1;
		return -1;
	}
	a->lab_fresh = 0;
	a->lines++;
	return 0;
}

static uint64_t
now_u64(void)
{
	int64_t	 t = now_ns();

	return t > 0 ? (uint64_t)t : 0;
}

/* Milliseconds in a string of digits ("1520621625029") to ns. */
static int
ms_str_ns(struct str s, uint64_t *ns)
{
	uint64_t ms;

	if (s.n == 0 || parse_u64(s.p, s.n, &ms) != 0 ||
	    ms > UINT64_MAX / 1000000)
		return -1;
	*ns = ms * 1000000;
	return 0;
}

/* Parses "SECONDS.FRACTION" (1-9 fraction digits) to ns; returns the
 * bytes used, 0 if s does not start with one. */
static size_t
epoch_frac_ns(const char *s, size_t n, uint64_t *ns)
{
	uint64_t sec = 0, frac = 0;
	size_t	 i = 0, d;

	while (i < n && i < 11 && s[i] >= '0' && s[i] <= '9')
		sec = sec * 10 + (uint64_t)(s[i++] - '0');
	if (i < 9 || i >= n || s[i] != '.')
		return 0;
	i++;
	for (d = 0; i < n && d < 9 && s[i] >= '0' && s[i] <= '9'; d++)
		frac = frac * 10 + (uint64_t)(s[i++] - '0');
	if (d == 0)
		return 0;
	for (; d < 9; d++)
		frac *= 10;
	*ns = sec * 1000000000u + frac;
	return i;
}

int
awsev_rfc3339(const char *s, size_t n, uint64_t *ns)
{
	struct tm tm;
	uint64_t frac = 0;
	int64_t	 t, off = 0;
	size_t	 i, d;
	int	 v[6], w[6] = { 4, 2, 2, 2, 2, 2 };
	const char *sep = "--T::";

	if (n < 20)
		return -1;
	for (i = 0, d = 0; d < 6; d++) {
		size_t	 k;

		v[d] = 0;
		for (k = 0; k < (size_t)w[d]; k++, i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v[d] = v[d] * 10 + (s[i] - '0');
		}
		if (d < 5) {
			if (s[i] != sep[d] && !(d == 2 && (s[i] == 't' ||
			    s[i] == ' ')))
				return -1;
			i++;
		}
	}
	if (i < n && s[i] == '.') {
		i++;
		for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
			if (d < 9)
				frac = frac * 10 + (uint64_t)(s[i] - '0');
		if (d == 0)
			return -1;
		for (; d < 9; d++)
			frac *= 10;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n)
		off = 0;
	else if (i + 6 == n && (s[i] == '+' || s[i] == '-') &&
	    s[i + 3] == ':') {
		int hh, mm;

		if (s[i + 1] < '0' || s[i + 1] > '9' || s[i + 2] < '0' ||
		    s[i + 2] > '9' || s[i + 4] < '0' || s[i + 4] > '9' ||
		    s[i + 5] < '0' || s[i + 5] > '9')
			return -1;
		hh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
		mm = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
		off = (int64_t)(hh * 3600 + mm * 60);
		if (s[i] == '-')
			off = -off;
	} else
		return -1;
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	t = (int64_t)timegm(&tm) - off;
	if (t < 0)
		return -1;
	*ns = (uint64_t)t * 1000000000u + frac;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
awsev_url_decode(struct buf *out, const char *s, size_t n)
{
	size_t	 i, start = out->len;
	int	 h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			buf_putc(out, ' ');
		else if (s[i] != '%')
			buf_putc(out, s[i]);
		else {
			if (i + 2 >= n) {
				out->len = start;
				return -1;
			}
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0) {
				out->len = start;
				return -1;
			}
			buf_putc(out, (char)(h << 4 | l));
			i += 2;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* CloudWatch Logs data: {"messageType","owner","logGroup","logStream",
 * "subscriptionFilters","logEvents":[{"id","timestamp","message"}]} */

struct cwhead {
	struct str	 type, owner, group, stream;
	struct str	 events;	/* raw text of logEvents */
	int		 have_events, have_type;
};

/* The first pass: everything but the log events, whose text is kept. */
static int
cw_head(struct awsev *a, const char *p, size_t n, struct cwhead *h,
    const char **err)
{
	struct jr	 j;
	struct str	 k;
	int		 r;

	memset(h, 0, sizeof(*h));
	h->type = h->owner = h->group = h->stream = STR_LIT("");
	jr_init(&j, p, n, &a->scratch);
	if (jr_peek(&j) != '{' || jr_obj(&j) != 0) {
		*err = j.err != NULL ? j.err : "not a JSON object";
		return -1;
	}
	while ((r = jr_next(&j, &k)) == 1) {
		struct str *s = NULL;

		if (str_eq(k, "messageType")) {
			s = &h->type;
			h->have_type = 1;
		} else if (str_eq(k, "owner"))
			s = &h->owner;
		else if (str_eq(k, "logGroup"))
			s = &h->group;
		else if (str_eq(k, "logStream"))
			s = &h->stream;
		if (s != NULL && jr_peek(&j) == '"')
			r = jr_str(&j, s);
		else if (str_eq(k, "logEvents")) {
			r = jr_skip(&j, &h->events);
			h->have_events = 1;
		} else
			r = jr_skip(&j, NULL);
		if (r != 0)
			break;
	}
	if (r != 0 || jr_end(&j) != 0) {
		*err = j.err != NULL ? j.err : "invalid JSON";
		return -1;
	}
	return 0;
}

/* The second pass: one line per log event. */
static void
cw_events(struct awsev *a, const struct cwhead *h)
{
	struct jr	 j;
	struct str	 k, msg;
	uint64_t	 ms, i = 0;
	int		 r, have_ts, have_msg;

	jr_init(&j, h->events.p, h->events.n, &a->scratch2);
	if (jr_peek(&j) != '[' || jr_arr(&j) != 0) {
		ev_err(a, "logEvents is not an array");
		return;
	}
	while ((r = jr_more(&j)) == 1) {
		i++;
		have_ts = have_msg = 0;
		ms = 0;
		msg = STR_LIT("");
		if (jr_peek(&j) != '{' || jr_obj(&j) != 0) {
			ev_err(a, "log event %ju is not an object",
			    (uintmax_t)i);
			return;
		}
		while ((r = jr_next(&j, &k)) == 1) {
			if (str_eq(k, "timestamp")) {
				r = jr_u64(&j, &ms);
				have_ts = r == 0;
			} else if (str_eq(k, "message")) {
				r = jr_str(&j, &msg);
				have_msg = r == 0;
			} else
				r = jr_skip(&j, NULL);
			if (r != 0)
				break;
		}
		if (r != 0) {
			ev_err(a, "log event %ju: %s", (uintmax_t)i,
			    j.err != NULL ? j.err : "invalid JSON");
			return;
		}
		if (!have_ts || !have_msg || ms > UINT64_MAX / 1000000) {
			ev_err(a, "log event %ju has no %s", (uintmax_t)i,
			    have_msg ? "valid timestamp" : "message");
			continue;
		}
		if (put_line(a, ms * 1000000, msg) != 0)
			return;
	}
	if (r != 0)
		ev_err(a, "logEvents: %s",
		    j.err != NULL ? j.err : "invalid JSON");
}

/* Lines of a CloudWatch payload whose head is h; arn for Kinesis. */
static void
cw_lines(struct awsev *a, const struct cwhead *h, const char *type,
    const struct str *arn)
{
	if (str_is(h->type, "CONTROL_MESSAGE"))
		return;		/* the probe of a new subscription */
	if (!h->have_events) {
		ev_err(a, "CloudWatch Logs data without logEvents");
		return;
	}
	lab_reset(a);
	lab_add(a, "__aws_log_type", type == NULL ? STR_LIT("cloudwatch") :
	    (struct str){ type, strlen(type) });
	if (arn != NULL)
		lab_add(a, "__aws_kinesis_event_source_arn", *arn);
	lab_add(a, "__aws_cloudwatch_log_group", h->group);
	lab_add(a, "__aws_cloudwatch_owner", h->owner);
	if (a->keep_stream)
		lab_add(a, "__aws_cloudwatch_log_stream", h->stream);
	cw_events(a, h);
}

/* base64 (and maybe gzip) into a->text; returns its bytes or NULL. */
static struct str *
unpack(struct awsev *a, struct str b64, struct str *out)
{
	const char	*err = NULL;

	a->bin.len = 0;
	if (b64_decode(b64.p, b64.n, &a->bin, &err) != 0) {
		ev_err(a, "data is not base64: %s", err);
		return NULL;
	}
	if (!gz_is_gzip(a->bin.p, a->bin.len)) {
		out->p = a->bin.p != NULL ? a->bin.p : "";
		out->n = a->bin.len;
		return out;
	}
	a->text.len = 0;
	if (gz_inflate_buf(a->bin.p, a->bin.len, &a->text, MAX_INFLATE,
	    &err) != 0) {
		ev_err(a, "data: %s", err != NULL ? err : "bad gzip data");
		return NULL;
	}
	out->p = a->text.p != NULL ? a->text.p : "";
	out->n = a->text.len;
	return out;
}

/* awslogs.data (NULL: not a string) of a CloudWatch Logs event. */
static void
cw_data(struct awsev *a, const struct str *data)
{
	struct cwhead	 h;
	struct str	 text;
	const char	*err = NULL;
	size_t		 old;

	old = a->ctx.len;
	buf_puts(&a->ctx, "cloudwatch: ");
	if (data == NULL)
		ev_err(a, "awslogs.data is not a string");
	else if (unpack(a, *data, &text) != NULL) {
		if (cw_head(a, text.p, text.n, &h, &err) != 0)
			ev_err(a, "data is not CloudWatch Logs JSON: %s",
			    err);
		else
			cw_lines(a, &h, NULL, NULL);
	}
	ctx_pop(a, old);
}

static void
do_cloudwatch(struct awsev *a, jv ev)
{
	struct str	 data;

	cw_data(a, get_str2(ev, "awslogs", "data", &data) == 0 ? &data :
	    NULL);
}

/*
 * The hot path, a CloudWatch Logs subscription event alone in the text
 * ({"awslogs":{"data":"..."}}), read in place without libjq: 1 when it
 * was one (and is decoded), 0 to take the general path.
 */
static int
fast_cloudwatch(struct awsev *a, const char *p, size_t n)
{
	struct jr	 j;
	struct str	 k, data = { NULL, 0 };
	int		 r, have = 0;

	jr_init(&j, p, n, &a->vscratch);
	if (jr_peek(&j) != '{' || jr_obj(&j) != 0 || jr_next(&j, &k) != 1 ||
	    !str_eq(k, "awslogs") || jr_peek(&j) != '{' || jr_obj(&j) != 0)
		return 0;
	while ((r = jr_next(&j, &k)) == 1) {
		if (str_eq(k, "data") && jr_peek(&j) == '"') {
			if (jr_str(&j, &data) != 0)
				return 0;
			have = 1;
		} else if (jr_skip(&j, NULL) != 0)
			return 0;
	}
	if (r != 0 || !have || jr_next(&j, &k) != 0 || jr_end(&j) != 0)
		return 0;
	a->events++;
	a->depth = 0;
	a->ctx.len = 0;
	cw_data(a, &data);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Kinesis */

static int
looks_like_cw(const char *p, size_t n)
{
	size_t	 i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' ||
	    p[i] == '\t'))
		i++;
	return i < n && p[i] == '{';
}

/* Data that is not CloudWatch JSON: one entry per line. CloudFront
 * real-time logs put the request time first (seconds.millis, a tab). */
static void
text_lines(struct awsev *a, struct str t, uint64_t ts)
{
	const char	*p = t.p, *end = t.p + t.n, *nl;
	struct str	 line;
	uint64_t	 lts;
	size_t		 k;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		line.p = p;
		line.n = (size_t)((nl != NULL ? nl : end) - p);
		p = nl != NULL ? nl + 1 : end;
		if (line.n > 0 && line.p[line.n - 1] == '\r')
			line.n--;
		if (line.n == 0)
			continue;
		lts = ts;
		k = epoch_frac_ns(line.p, line.n, &lts);
		if (k == 0 || k >= line.n || line.p[k] != '\t')
			lts = ts;
		if (put_line(a, lts, line) != 0)
			return;
	}
}

/* One Kinesis record's bytes: CloudWatch Logs data, or lines. */
static void
kinesis_plain(struct awsev *a, struct str text, const struct str *arn,
    uint64_t ts)
{
	struct cwhead	 h;
	const char	*err = NULL;

	if (looks_like_cw(text.p, text.n) &&
	    cw_head(a, text.p, text.n, &h, &err) == 0 &&
	    (h.have_type || h.have_events))
		cw_lines(a, &h, "kinesis", arn);
	else {
		lab_reset(a);
		lab_add(a, "__aws_log_type", STR_LIT("kinesis"));
		lab_add(a, "__aws_kinesis_event_source_arn", *arn);
		text_lines(a, text, ts);
	}
}

/*
 * Records aggregated by the Kinesis Producer Library: magic F3 89 9A C2,
 * an AggregatedRecord protobuf (records = 3, each with data = 3), and the
 * MD5 of that protobuf. As the KCL does, a record whose checksum does not
 * match is not an aggregate. Returns 1 when it was one.
 */
static const unsigned char kpl_magic[4] = { 0xf3, 0x89, 0x9a, 0xc2 };

static int
pb_varint(const unsigned char **p, const unsigned char *e, uint64_t *v)
{
	int	 shift;

	*v = 0;
	for (shift = 0; *p < e && shift < 64; shift += 7) {
		unsigned char c = *(*p)++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0)
			return 0;
	}
	return -1;
}

/* Next field of a protobuf message; for wire type 2, *sub is its bytes. */
static int
pb_field(const unsigned char **p, const unsigned char *e, uint64_t *tag,
    struct str *sub)
{
	uint64_t	 v;

	if (pb_varint(p, e, tag) != 0)
		return -1;
	switch (*tag & 7) {
	case 0:
		return pb_varint(p, e, &v);
	case 1:
		if (e - *p < 8)
			return -1;
		*p += 8;
		return 0;
	case 2:
		if (pb_varint(p, e, &v) != 0 || v > (uint64_t)(e - *p))
			return -1;
		sub->p = (const char *)*p;
		sub->n = (size_t)v;
		*p += v;
		return 0;
	case 5:
		if (e - *p < 4)
			return -1;
		*p += 4;
		return 0;
	}
	return -1;
}

static int
kpl(struct awsev *a, struct str t, const struct str *arn, uint64_t ts)
{
	const unsigned char *p, *e, *rp, *re;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	struct str	 rec, data, text;
	uint64_t	 tag, rtag, i = 0;
	const char	*err = NULL;
	int		 have;

	if (t.n < 4 + 16 || memcmp(t.p, kpl_magic, 4) != 0)
		return 0;
	p = (const unsigned char *)t.p + 4;
	e = (const unsigned char *)t.p + t.n - 16;
	if (EVP_Digest(p, (size_t)(e - p), md, &mdlen, EVP_md5(), NULL) != 1 ||
	    mdlen != 16 || memcmp(md, e, 16) != 0)
		return 0;
	while (p < e && !a->stop) {
		if (pb_field(&p, e, &tag, &rec) != 0) {
			ev_err(a, "KPL aggregated record: malformed");
			return 1;
		}
		if (tag != (3 << 3 | 2))
			continue;
		i++;
		rp = (const unsigned char *)rec.p;
		re = rp + rec.n;
		have = 0;
		text = STR_LIT("");
		while (rp < re && have >= 0) {
			if (pb_field(&rp, re, &rtag, &data) != 0)
				have = -1;
			else if (rtag == (3 << 3 | 2)) {
				text = data;
				have = 1;
			}
		}
		if (have != 1) {
			ev_err(a, "KPL aggregated record: sub-record %ju "
			    "malformed", (uintmax_t)i);
			continue;
		}
		if (gz_is_gzip(text.p, text.n)) {
			a->kpl.len = 0;
			if (gz_inflate_buf(text.p, text.n, &a->kpl,
			    MAX_INFLATE, &err) != 0) {
				ev_err(a, "KPL sub-record %ju: %s",
				    (uintmax_t)i, err != NULL ? err :
				    "bad gzip data");
				continue;
			}
			text.p = a->kpl.p != NULL ? a->kpl.p : "";
			text.n = a->kpl.len;
		}
		kinesis_plain(a, text, arn, ts);
	}
	return 1;
}

static void
do_kinesis(struct awsev *a, jv rec)
{
	struct str	 seq, data, arn, text;
	jv		 k, at;
	uint64_t	 ts = 0;
	size_t		 old;

	k = get(rec, "kinesis");
	if (get_str(k, "sequenceNumber", &seq) != 0)
		seq = STR_LIT("?");
	old = ctx_push(a, "kinesis", seq);
	if (get_str(rec, "eventSourceARN", &arn) != 0)
		arn = STR_LIT("");
	at = get(k, "approximateArrivalTimestamp");
	if (jv_get_kind(at) == JV_KIND_NUMBER && jv_number_value(at) > 0 &&
	    jv_number_value(at) < 1e11)
		/* seconds with millis, as a double: round at microseconds */
		ts = (uint64_t)(jv_number_value(at) * 1e6 + 0.5) * 1000;
	else
		ts = now_u64();
	jv_free(at);
	if (get_str(k, "data", &data) != 0)
		ev_err(a, "kinesis.data is not a string");
	else if (unpack(a, data, &text) != NULL &&
	    !kpl(a, text, &arn, ts))
		kinesis_plain(a, text, &arn, ts);
	jv_free(k);
	ctx_pop(a, old);
}

/* ------------------------------------------------------------------ */
/* S3 */

static int
s3_emit(void *arg, uint64_t ts, const struct label *labels, size_t n,
    struct str line)
{
	struct awsev	*a = arg;

	if (a->emit(a->arg, ts, labels, n, !a->lab_fresh, line) != 0) {
		a->stop = 1;
		return -1;
	}
	a->lab_fresh = 0;
	a->lines++;
	return 0;
}

/* Fetches one object; key is already URL-decoded. */
static void
s3_object(struct awsev *a, struct str bucket, struct str key,
    struct str region)
{
	char	 errbuf[512];
	char	*b, *k, *r = NULL;
	int	 rc;

	if (bucket.n == 0 || key.n == 0) {
		ev_err(a, "S3 record without bucket name or object key");
		return;
	}
	if (a->s3 == NULL) {
		ev_err(a, "s3://%.*s/%.*s: S3 is not available: %s",
		    (int)bucket.n, bucket.p, (int)key.n, key.p,
		    a->s3_err != NULL ? a->s3_err : "no fetcher");
		return;
	}
	b = xstrndup(bucket.p, bucket.n);
	k = xstrndup(key.p, key.n);
	if (region.n > 0)
		r = xstrndup(region.p, region.n);
	errbuf[0] = '\0';
	a->lab_fresh = 1;
	rc = s3log_fetch(a->s3, b, k, r, s3_emit, a, errbuf,
	    sizeof(errbuf));
	if (rc < 0 && !a->stop)
		ev_err(a, "%s", errbuf[0] != '\0' ? errbuf :
		    "S3 object could not be read");
	else if (rc >= 0 && errbuf[0] != '\0' && a->note != NULL)
		a->note(a->arg, errbuf);
	a->lab_fresh = 1;
	free(b);
	free(k);
	free(r);
}

static void
do_s3(struct awsev *a, jv rec)
{
	struct str	 bucket, key, region, name;
	jv		 s3, obj;

	/* a deleted or expired object is not there to read: no log file
	 * arrived (lambda-promtail would fail on it) */
	if (get_str(rec, "eventName", &name) == 0 && (name.n >= 13 &&
	    (memcmp(name.p, "ObjectRemoved", 13) == 0 || (name.n >= 19 &&
	    memcmp(name.p, "LifecycleExpiration", 19) == 0)))) {
		a->skipped++;
		return;
	}
	s3 = get(rec, "s3");
	obj = get(s3, "object");
	if (get_str2(s3, "bucket", "name", &bucket) != 0 ||
	    get_str(obj, "key", &key) != 0) {
		ev_err(a, "S3 record without s3.bucket.name or "
		    "s3.object.key");
		goto out;
	}
	if (get_str(rec, "awsRegion", &region) != 0)
		region = STR_LIT("");
	a->tmp.len = 0;
	if (awsev_url_decode(&a->tmp, key.p, key.n) != 0) {
		ev_err(a, "s3://%.*s/%.*s: bad URL encoding in object key",
		    (int)bucket.n, bucket.p, (int)key.n, key.p);
		goto out;
	}
	key.p = buf_cstr(&a->tmp);
	key.n = a->tmp.len;
	/* a->tmp is not touched again before s3_object copies key */
	s3_object(a, bucket, key, region);
out:
	jv_free(obj);
	jv_free(s3);
}

/* ------------------------------------------------------------------ */
/* EventBridge */

static void
do_eventbridge(struct awsev *a, jv ev)
{
	struct str	 src, dt, t, bucket, key, region;
	jv		 detail, obj, dump;
	uint64_t	 ts;

	if (get_str(ev, "source", &src) != 0)
		src = STR_LIT("");
	if (get_str(ev, "detail-type", &dt) != 0)
		dt = STR_LIT("");
	if (str_is(src, "aws.s3") && str_is(dt, "Object Created")) {
		/* detail.object.key is not URL-encoded here */
		detail = get(ev, "detail");
		obj = get(detail, "object");
		if (get_str2(detail, "bucket", "name", &bucket) != 0 ||
		    get_str(obj, "key", &key) != 0)
			ev_err(a, "EventBridge S3 event without "
			    "detail.bucket.name or detail.object.key");
		else {
			if (get_str(ev, "region", &region) != 0)
				region = STR_LIT("");
			s3_object(a, bucket, key, region);
		}
		jv_free(obj);
		jv_free(detail);
		return;
	}
	/* any other event is forwarded whole, as compact JSON */
	if (get_str(ev, "time", &t) != 0 ||
	    awsev_rfc3339(t.p, t.n, &ts) != 0)
		ts = now_u64();
	lab_reset(a);
	lab_add(a, "__aws_log_type", STR_LIT("eventbridge"));
	lab_add(a, "__aws_eventbridge_source", src);
	lab_add(a, "__aws_eventbridge_detail_type", dt);
	dump = jv_dump_string(jv_copy(ev), 0);
	put_line(a, ts, (struct str){ jv_string_value(dump),
	    (size_t)jv_string_length_bytes(jv_copy(dump)) });
	jv_free(dump);
}

/* ------------------------------------------------------------------ */
/* SQS and SNS: the body is an event, or a line of its own */

static int known_event(jv);

/*
 * libjq 1.6 leaks a little on some syntax errors (the token in hand), so
 * text goes to it only once lib/json.h has found it valid. What jq reads
 * and json.h does not (bytes that are not UTF-8, lone surrogates, which
 * jq replaces with U+FFFD) goes to jq all the same.
 */
static int
jq_tolerates(const char *err)
{
	return err != NULL && (strstr(err, "UTF-8") != NULL ||
	    strstr(err, "surrogate") != NULL);
}

/* Is p one JSON value (and whitespace)? */
static int
json_ok(struct awsev *a, const char *p, size_t n, struct buf *scratch)
{
	struct jr	 j;

	jr_init(&j, p, n, scratch);
	if (jr_skip(&j, NULL) == 0 && jr_end(&j) == 0)
		return 1;
	return jq_tolerates(j.err);
}

/* body: an event (decoded) or anything else (one line with labels
 * type and arn_label=arn). */
static void
nested(struct awsev *a, struct str body, const char *type,
    const char *arn_label, struct str arn, uint64_t ts)
{
	size_t	 i = 0;
	jv	 v;

	while (i < body.n && (body.p[i] == ' ' || body.p[i] == '\n' ||
	    body.p[i] == '\r' || body.p[i] == '\t'))
		i++;
	if (i < body.n && body.p[i] == '{' && body.n <= INT32_MAX &&
	    json_ok(a, body.p, body.n, &a->tmp)) {
		v = jv_parse_sized(body.p, (int)body.n);
		if (known_event(v)) {
			if (a->depth >= MAX_NEST) {
				jv_free(v);
				ev_err(a, "events nested too deep");
				return;
			}
			a->depth++;
			decode_value(a, v);
			a->depth--;
			return;
		}
		jv_free(v);
	}
	lab_reset(a);
	lab_add(a, "__aws_log_type", (struct str){ type, strlen(type) });
	lab_add(a, arn_label, arn);
	put_line(a, ts, body);
}

static void
do_sqs(struct awsev *a, jv rec)
{
	struct str	 id, body, arn, sent;
	uint64_t	 ts;
	size_t		 old;
	jv		 attrs;

	if (get_str(rec, "messageId", &id) != 0)
		id = STR_LIT("?");
	old = ctx_push(a, "sqs", id);
	if (get_str(rec, "eventSourceARN", &arn) != 0)
		arn = STR_LIT("");
	attrs = get(rec, "attributes");
	if (get_str(attrs, "SentTimestamp", &sent) != 0 ||
	    ms_str_ns(sent, &ts) != 0)
		ts = now_u64();
	if (get_str(rec, "body", &body) != 0)
		ev_err(a, "SQS record without a body");
	else
		nested(a, body, "sqs", "__aws_sqs_event_source_arn", arn,
		    ts);
	jv_free(attrs);
	ctx_pop(a, old);
}

/* sns is the Sns object of a Lambda SNS record, or an SNS notification
 * as delivered to SQS: both have MessageId, TopicArn, Message,
 * Timestamp. */
static void
do_sns(struct awsev *a, jv sns)
{
	struct str	 id, msg, arn, t;
	uint64_t	 ts;
	size_t		 old;

	if (get_str(sns, "MessageId", &id) != 0)
		id = STR_LIT("?");
	old = ctx_push(a, "sns", id);
	if (get_str(sns, "TopicArn", &arn) != 0)
		arn = STR_LIT("");
	if (get_str(sns, "Timestamp", &t) != 0 ||
	    awsev_rfc3339(t.p, t.n, &ts) != 0)
		ts = now_u64();
	if (get_str(sns, "Message", &msg) != 0)
		ev_err(a, "SNS message without a Message");
	else
		nested(a, msg, "sns", "__aws_sns_topic_arn", arn, ts);
	ctx_pop(a, old);
}

/* ------------------------------------------------------------------ */
/* Recognition */

enum { EV_NONE, EV_CW, EV_RECORDS, EV_EB, EV_S3TEST, EV_SNSMSG };

static int
kind_of(jv ev)
{
	struct str	 s;
	jv		 v;
	int		 k;

	if (jv_get_kind(ev) != JV_KIND_OBJECT)
		return EV_NONE;
	v = get(ev, "awslogs");
	k = jv_get_kind(v);
	jv_free(v);
	if (k == JV_KIND_OBJECT)
		return EV_CW;
	v = get(ev, "Records");
	k = jv_get_kind(v);
	jv_free(v);
	if (k == JV_KIND_ARRAY)
		return EV_RECORDS;
	if (has(ev, "detail-type") && has(ev, "source"))
		return EV_EB;
	if (get_str(ev, "Event", &s) == 0 && str_is(s, "s3:TestEvent"))
		return EV_S3TEST;
	if (get_str(ev, "Type", &s) == 0 && str_is(s, "Notification") &&
	    has(ev, "Message") && has(ev, "TopicArn"))
		return EV_SNSMSG;
	return EV_NONE;
}

static int
known_event(jv ev)
{
	return jv_is_valid(ev) && kind_of(ev) != EV_NONE;
}

static void
do_record(struct awsev *a, jv rec, int i)
{
	struct str	 src;
	char		 what[256];
	jv		 sns;

	if (get_str(rec, "eventSource", &src) != 0 &&
	    get_str(rec, "EventSource", &src) != 0)
		src = STR_LIT("");
	if (str_is(src, "aws:s3") || (src.n == 0 && has(rec, "s3")))
		do_s3(a, rec);
	else if (str_is(src, "aws:kinesis") ||
	    (src.n == 0 && has(rec, "kinesis")))
		do_kinesis(a, rec);
	else if (str_is(src, "aws:sqs") ||
	    (src.n == 0 && has(rec, "body") && has(rec, "messageId")))
		do_sqs(a, rec);
	else if (str_is(src, "aws:sns") || (src.n == 0 && has(rec, "Sns"))) {
		sns = get(rec, "Sns");
		if (jv_get_kind(sns) != JV_KIND_OBJECT)
			ev_err(a, "SNS record without Sns");
		else
			do_sns(a, sns);
		jv_free(sns);
	} else {
		describe(rec, what, sizeof(what));
		ev_err(a, "record %d: unknown event source \"%.*s\" (%s)",
		    i, (int)(src.n > 64 ? 64 : src.n), src.p, what);
	}
}

static void
decode_value(struct awsev *a, jv ev)
{
	char	 what[256];
	jv	 recs;
	int	 i, n;

	switch (kind_of(ev)) {
	case EV_CW:
		do_cloudwatch(a, ev);
		break;
	case EV_RECORDS:
		recs = get(ev, "Records");
		n = jv_array_length(jv_copy(recs));
		for (i = 0; i < n && !a->stop; i++) {
			jv rec = jv_array_get(jv_copy(recs), i);

			do_record(a, rec, i);
			jv_free(rec);
		}
		jv_free(recs);
		break;
	case EV_EB:
		do_eventbridge(a, ev);
		break;
	case EV_S3TEST:
		break;		/* S3's probe: nothing to ship */
	case EV_SNSMSG:
		do_sns(a, ev);
		break;
	default:
		describe(ev, what, sizeof(what));
		ev_err(a, "unknown event (%s)", what);
		break;
	}
	jv_free(ev);
}

int
awsev_decode(struct awsev *a, jv ev)
{
	uint64_t	 before = a->errors;

	a->events++;
	a->depth = 0;
	a->ctx.len = 0;
	decode_value(a, ev);
	if (a->stop)
		return -1;
	return a->errors != before;
}

/* Line and column (from 1) of byte off of p, for messages. */
static void
where(const char *p, size_t off, size_t *line, size_t *col)
{
	size_t	 i, l = 1, c = 1;

	for (i = 0; i < off; i++) {
		if (p[i] == '\n') {
			l++;
			c = 1;
		} else
			c++;
	}
	*line = l;
	*col = c;
}

/* The rest of the text, for jq alone (see jq_tolerates). */
static void
decode_jq(struct awsev *a, const char *p, size_t n)
{
	jv_parser	*jp;
	jv		 v, msg;

	jp = jv_parser_new(0);
	jv_parser_set_buf(jp, p, (int)n, 0);
	while (!a->stop) {
		v = jv_parser_next(jp);
		if (jv_is_valid(v)) {
			if (awsev_decode(a, v) < 0)
				break;
			continue;
		}
		if (jv_invalid_has_msg(jv_copy(v))) {
			msg = jv_invalid_get_msg(v);
			a->ctx.len = 0;
			ev_err(a, "invalid JSON: %s",
			    jv_get_kind(msg) == JV_KIND_STRING ?
			    jv_string_value(msg) : "?");
			jv_free(msg);
		} else
			jv_free(v);
		break;
	}
	jv_parser_free(jp);
}

int
awsev_decode_text(struct awsev *a, const char *p, size_t n)
{
	struct jr	 j;
	struct str	 raw;
	uint64_t	 before = a->errors;
	size_t		 start, off, line, col;

	if (n > INT32_MAX) {
		ev_err(a, "event of %zu bytes is too big", n);
		return 1;
	}
	if (fast_cloudwatch(a, p, n))
		return a->stop ? -1 : a->errors != before;
	jr_init(&j, p, n, &a->vscratch);
	while (!a->stop && jr_peek(&j) != -1) {
		start = jr_off(&j);
		if (jr_skip(&j, &raw) != 0) {
			if (jq_tolerates(j.err)) {
				decode_jq(a, p + start, n - start);
				break;
			}
			off = jr_off(&j);
			where(p, off, &line, &col);
			while (off < n && (p[off] == ' ' || p[off] == '\n' ||
			    p[off] == '\r' || p[off] == '\t'))
				off++;
			a->ctx.len = 0;
			ev_err(a, "invalid JSON at line %zu, column %zu: %s",
			    line, col, off == n ? "unfinished JSON value" :
			    j.err != NULL ? j.err : "?");
			break;
		}
		if (awsev_decode(a, jv_parse_sized(raw.p, (int)raw.n)) < 0)
			break;
	}
	if (a->stop)
		return -1;
	return a->errors != before;
}

/* ------------------------------------------------------------------ */
/* Documents over lines */

static void
doc_reset(struct awsev_doc *d)
{
	d->acc.len = 0;
	d->depth = 0;
	d->instr = d->esc = d->started = d->over = 0;
}

/* Follows nesting over one line; 1 when the document is complete. */
static int
doc_scan(struct awsev_doc *d, const char *p, size_t n)
{
	const char	*e = p + n;

	for (; p < e; p++) {
		if (d->instr) {
			if (d->esc)
				d->esc = 0;
			else if (*p == '\\')
				d->esc = 1;
			else if (*p == '"')
				d->instr = 0;
			continue;
		}
		switch (*p) {
		case '"':
			d->instr = 1;
			d->started = 1;
			break;
		case '{': case '[':
			d->depth++;
			d->started = 1;
			break;
		case '}': case ']':
			d->depth--;
			break;
		case ' ': case '\t': case '\r':
			break;
		default:
			d->started = 1;
		}
	}
	/* a JSON string never spans lines: such a document ends (broken)
	 * here */
	return d->started && (d->depth <= 0 || d->instr);
}

int
awsev_doc_line(struct awsev_doc *d, const char *p, size_t n,
    uint64_t lineno, struct str *doc)
{
	if (!d->started)
		d->first = lineno;
	if (!doc_scan(d, p, n)) {
		if (!d->started || d->over)
			return AWSEV_DOC_MORE;
		if (d->acc.len + n + 1 > d->max) {
			/* follow the nesting to the end, storing nothing */
			d->over = 1;
			d->acc.len = 0;
			return AWSEV_DOC_OVER;
		}
		buf_put(&d->acc, p, n);
		buf_putc(&d->acc, '\n');
		return AWSEV_DOC_MORE;
	}
	if (d->over) {
		doc_reset(d);
		return AWSEV_DOC_MORE;
	}
	if (d->acc.len == 0) {
		doc->p = p;
		doc->n = n;
		doc_reset(d);
		return AWSEV_DOC_READY;
	}
	if (d->acc.len + n > d->max) {
		doc_reset(d);
		return AWSEV_DOC_OVER;
	}
	buf_put(&d->acc, p, n);
	doc->p = d->acc.p;
	doc->n = d->acc.len;
	doc_reset(d);	/* the bytes stay until the next line */
	return AWSEV_DOC_READY;
}

int
awsev_doc_abandon(struct awsev_doc *d)
{
	int	 r = d->started && !d->over;

	doc_reset(d);
	return r;
}

int
awsev_doc_end(struct awsev_doc *d, struct str *doc)
{
	if (!d->started || d->over || d->acc.len == 0) {
		doc_reset(d);
		return AWSEV_DOC_MORE;
	}
	doc->p = d->acc.p;
	doc->n = d->acc.len;
	doc_reset(d);
	return AWSEV_DOC_READY;
}

void
awsev_doc_free(struct awsev_doc *d)
{
	buf_free(&d->acc);
}
