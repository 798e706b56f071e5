/*
 * codec_diff: differential test of the entry codec (lib/entry.c,
 * lib/json.c) against libjq's parser.
 *
 * Generates records, valid and hostile (truncation, byte flips, inserted
 * escapes, \u0000, surrogates, invalid UTF-8, deep nesting, duplicate
 * keys, wrong types, whitespace everywhere, huge lines), parses each with
 * rec_parse() and with jv_parse_sized(), and checks that they agree:
 *
 *   - a line jq rejects, we reject;
 *   - a line jq accepts is read by a model of the schema (DESIGN.md §1)
 *     written on jq's values; we must give the same kind and the same
 *     decoded bytes (ts, line, labels, meta, token, error, ok, counts),
 *     or reject where the model rejects;
 *   - the only exception: we reject what jq 1.6 accepts by repairing or
 *     widening it: invalid UTF-8 and lone surrogate escapes (jq makes
 *     them U+FFFD), raw NUL and U+001F in strings, number tokens that are
 *     not JSON (jq reads 01, +1, .5, 1., nan, infinity, "1\0x"), and a
 *     byte 0x1E after a value (jq takes it for an RFC 7464 separator).
 *     Such a disagreement is allowed only when our error names that class
 *     and the line, with those constructs replaced, then agrees exactly;
 *   - labels_changed == 0 only when the labels equal the previous entry's;
 *   - every accepted entry, written again with rec_write_entry(), is read
 *     by jq with the same values, and by rec_parse() too.
 *
 * ts given as a JSON number: jq 1.6 holds doubles, so values are compared
 * exactly below 2^53 and as doubles above. Where jq reads an integer and
 * we reject, the double may have rounded a fraction away (17.0000000000000001,
 * 1e-400): the line must then hold a number with a fraction, exponent or
 * sign, or one past 2^64, and is counted as ambiguous.
 *
 * usage: codec_diff [-n records] [-s seed] [-v]
 * Prints "ok ..."/"not ok ..." lines; exits 1 if any check failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

#include "util.h"
#include "json.h"
#include "entry.h"
#include "labels.h"

static unsigned long long rs = 88172645463325252ULL;
static int verbose;

static unsigned
rnd(unsigned n)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return n ? (unsigned)(rs % n) : 0;
}

static int
chance(unsigned pct)
{
	return rnd(100) < pct;
}

/* ---- generating ------------------------------------------------------ */

static void
ws(struct buf *b)
{
	static const char w[] = " \t\r\n";

	if (!chance(15))
		return;
	do
		buf_putc(b, w[rnd(4)]);
	while (chance(30));
}

static void
hex4(struct buf *b, unsigned v)
{
	static const char h[] = "0123456789abcdef0123456789ABCDEF";
	int up = chance(30) ? 16 : 0;

	buf_putc(b, '\\');
	buf_putc(b, 'u');
	buf_putc(b, h[up + (v >> 12 & 15)]);
	buf_putc(b, h[up + (v >> 8 & 15)]);
	buf_putc(b, h[up + (v >> 4 & 15)]);
	buf_putc(b, h[up + (v & 15)]);
}

/* Printable ASCII but '"' and '\\'. */
static void
gen_plain(struct buf *b, unsigned len)
{
	static const char a[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
	    "TUVWXYZ0123456789 -_.:/=;,[]{}()@#%&*+!?<>|~'`^$";
	unsigned i;

	for (i = 0; i < len; i++)
		buf_putc(b, a[rnd(sizeof(a) - 1)]);
}

/* A JSON string's contents; hostile adds what only jq accepts. */
static void
gen_chars(struct buf *b, unsigned len, int hostile)
{
	unsigned i, cp;

	for (i = 0; i < len; i++) {
		switch (hostile && chance(2) ? 13 + rnd(5) % 3 : rnd(13)) {
		case 0:
			buf_put(b, &"\\n\\t\\\"\\\\\\/\\b\\f\\r"[rnd(8) * 2],
			    2);
			break;
		case 1:
			hex4(b, rnd(0x80));	/* \u0000 .. \u007f */
			break;
		case 2:
			do
				cp = rnd(0x10000);
			while (cp >= 0xd800 && cp <= 0xdfff);
			hex4(b, cp);
			break;
		case 3:
			cp = 0x10000 + rnd(0x100000);	/* a pair */
			hex4(b, 0xd800 + ((cp - 0x10000) >> 10));
			hex4(b, 0xdc00 + ((cp - 0x10000) & 0x3ff));
			break;
		case 4:
			buf_puts(b, (const char *[]){ "\xc3\xa9",
			    "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\x9f\xbf",
			    "\xee\x80\x80", "\xf4\x8f\xbf\xbf",
			    "\xc2\x80" }[rnd(7)]);
			break;
		case 5:
			buf_puts(b, "\\u0000");
			break;
		case 13:
			hex4(b, 0xd800 + rnd(0x800));	/* lone one */
			break;
		case 14:
			buf_puts(b, (const char *[]){ "\xff", "\xc0\x80",
			    "\xed\xa0\x80", "\xe0\x80\xaf", "\xf4\x90\x80\x80",
			    "\x80", "\xe2\x82", "\xf8\x88\x80\x80\x80" }
			    [rnd(8)]);
			break;
		case 15:
			buf_putc(b, (char)rnd(0x20));	/* raw control */
			break;
		default:
			gen_plain(b, 1);
		}
	}
}

static void
gen_str(struct buf *b, unsigned len, int hostile)
{
	buf_putc(b, '"');
	gen_chars(b, len, hostile);
	buf_putc(b, '"');
}

static void
gen_value(struct buf *b, int depth, int hostile);

static void
gen_number(struct buf *b)
{
	static const char *const n[] = { "0", "-0", "1", "17", "-5", "1.5",
	    "1e3", "1E+2", "2.50e-1", "1700000000123456789",
	    "18446744073709551615", "18446744073709551616", "1e400",
	    "1.7000000000000001e+18", "12.0", "0.1e1", "100e-2", "-1e-3",
	    "123456789012", "9007199254740993" };

	buf_puts(b, n[rnd(sizeof(n) / sizeof(n[0]))]);
}

static void
gen_value(struct buf *b, int depth, int hostile)
{
	unsigned i, n;

	switch (rnd(depth > 3 ? 5 : 7)) {
	case 0:
		buf_puts(b, (const char *[]){ "true", "false", "null" }
		    [rnd(3)]);
		break;
	case 1:
	case 2:
		gen_number(b);
		break;
	case 3:
	case 4:
		gen_str(b, rnd(12), hostile);
		break;
	case 5:
		buf_putc(b, '[');
		n = rnd(4);
		for (i = 0; i < n; i++) {
			if (i)
				buf_putc(b, ',');
			ws(b);
			gen_value(b, depth + 1, hostile);
			ws(b);
		}
		buf_putc(b, ']');
		break;
	default:
		buf_putc(b, '{');
		n = rnd(4);
		for (i = 0; i < n; i++) {
			if (i)
				buf_putc(b, ',');
			ws(b);
			gen_str(b, rnd(5), hostile);
			ws(b);
			buf_putc(b, ':');
			ws(b);
			gen_value(b, depth + 1, hostile);
		}
		buf_putc(b, '}');
	}
}

/* Realistic label sets, so that consecutive records share them. */
static const char *const labelsets[] = {
	"{\"__aws_log_type\":\"cloudwatch\",\"__aws_cloudwatch_log_group\":"
	"\"/aws/lambda/api\",\"__aws_cloudwatch_owner\":\"123456789012\"}",
	"{\"__aws_log_type\":\"s3_lb\",\"__aws_s3_lb\":\"app/my-lb/1234\","
	"\"__aws_s3_lb_owner\":\"123456789012\"}",
	"{\"__tenant_id__\":\"team-a\",\"app\":\"api\"}",
	"{}",
	"{ \"app\" : \"api\" , \"__tenant_id__\" : \"team-a\" }",
	"{\"a\":\"1\",\"a\":\"2\"}",
	"{\"job\":\"x\\u0041\",\"k\\u005f\":\"\\ud83d\\ude00\"}",
};

static void
gen_labels(struct buf *b, int hostile)
{
	unsigned i, n;

	if (chance(80)) {
		buf_puts(b, labelsets[rnd(sizeof(labelsets) /
		    sizeof(labelsets[0]))]);
		return;
	}
	buf_putc(b, '{');
	n = rnd(6);
	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		ws(b);
		buf_putc(b, '"');
		if (chance(10))
			gen_chars(b, rnd(4), hostile);	/* invalid? */
		else {
			unsigned k, len = rnd(12);

			buf_putc(b, "abc_XYZ"[rnd(7)]);
			for (k = 0; k < len; k++)
				buf_putc(b, "abcxyz_ABCZ0189"[rnd(15)]);
			if (chance(3))
				buf_putc(b, "-. 9"[rnd(4)]);
		}
		buf_putc(b, '"');
		ws(b);
		buf_putc(b, ':');
		ws(b);
		if (chance(5))
			gen_value(b, 3, hostile);	/* wrong type? */
		else
			gen_str(b, rnd(20), hostile);
	}
	buf_putc(b, '}');
}

static void
gen_ts(struct buf *b)
{
	unsigned long long v;

	switch (rnd(10)) {
	case 0:
		gen_number(b);
		break;
	case 1:
		buf_putc(b, '"');
		gen_plain(b, rnd(4));
		buf_putc(b, '"');
		break;
	case 2:
		buf_puts(b, (const char *[]){ "\"18446744073709551615\"",
		    "\"18446744073709551616\"", "\"0\"", "\"\"",
		    "\"00000000000000000000000001\"", "\"\\u0031\\u0032\"",
		    "\"-1\"", "\"1e3\"", "null", "[]" }[rnd(10)]);
		break;
	default:
		v = 1700000000000000000ULL + ((unsigned long long)rnd(1u << 30)
		    << 20) + rnd(1u << 20);
		if (chance(20)) {
			buf_putu64(b, v);	/* as a number */
		} else {
			buf_putc(b, '"');
			buf_putu64(b, v);
			buf_putc(b, '"');
		}
	}
}

/* One field "key":value of a record. */
static void
gen_field(struct buf *b, int which, int hostile)
{
	static const char *const keys[] = { "ts", "labels", "line", "meta",
	    "flush", "ack", "error", "ok", "entries", "bytes" };

	ws(b);
	if (which < 10) {
		buf_putc(b, '"');
		if (chance(3))
			hex4(b, (unsigned char)keys[which][0]);
		else
			buf_putc(b, keys[which][0]);
		buf_puts(b, keys[which] + 1);
		buf_putc(b, '"');
	} else
		gen_str(b, 1 + rnd(6), hostile);
	ws(b);
	buf_putc(b, ':');
	ws(b);
	if (chance(4)) {
		gen_value(b, 0, hostile);		/* any type */
		ws(b);
		return;
	}
	switch (which) {
	case 0:
		gen_ts(b);
		break;
	case 1:
		gen_labels(b, hostile);
		break;
	case 2:
		gen_str(b, chance(90) ? rnd(260) : rnd(3000), hostile);
		break;
	case 3:
		if (chance(50)) {
			buf_puts(b, "{\"trace_id\":");
			gen_str(b, rnd(16), hostile);
			buf_putc(b, '}');
		} else
			gen_value(b, 2, hostile);
		break;
	case 4:
	case 5:
		gen_str(b, rnd(40), hostile);
		break;
	case 6:
		if (chance(20))
			buf_puts(b, "null");
		else
			gen_str(b, rnd(60), hostile);
		break;
	case 7:
		buf_puts(b, chance(50) ? "true" : "false");
		break;
	case 8:
	case 9:
		gen_ts(b);
		break;
	default:
		gen_value(b, 0, hostile);
	}
	ws(b);
}

static void
gen_record(struct buf *b, int hostile)
{
	int order[16], n = 0, i, kind = rnd(20);

	if (kind == 0) {
		order[n++] = 4;
		if (chance(50))
			order[n++] = 6;
	} else if (kind == 1) {
		order[n++] = 5;
		order[n++] = 7;
		if (chance(70))
			order[n++] = 8;
		if (chance(70))
			order[n++] = 9;
		if (chance(30))
			order[n++] = 6;
	} else {
		if (chance(98))
			order[n++] = 0;
		if (chance(90))
			order[n++] = 1;
		if (chance(98))
			order[n++] = 2;
		if (chance(15))
			order[n++] = 3;
	}
	while (chance(15) && n < 14)
		order[n++] = chance(50) ? 10 : (int)rnd(10);	/* dup */
	for (i = n - 1; i > 0; i--) {
		int k = (int)rnd((unsigned)i + 1), t = order[i];

		order[i] = order[k];
		order[k] = t;
	}
	ws(b);
	buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		gen_field(b, order[i], hostile);
	}
	buf_putc(b, '}');
	ws(b);
}

/* A key, sometimes escaped. */
static void
gen_key(struct buf *b, const char *k)
{
	ws(b);
	buf_putc(b, '"');
	if (chance(3))
		hex4(b, (unsigned char)k[0]);
	else
		buf_putc(b, k[0]);
	buf_puts(b, k + 1);
	buf_putc(b, '"');
	ws(b);
	buf_putc(b, ':');
	ws(b);
}

static void
gen_push_value(struct buf *b, int hostile)
{
	buf_putc(b, '[');
	ws(b);
	if (chance(3))
		gen_value(b, 2, hostile);
	else
		gen_ts(b);
	ws(b);
	if (chance(97)) {
		buf_putc(b, ',');
		ws(b);
		if (chance(3))
			gen_value(b, 2, hostile);
		else
			gen_str(b, rnd(80), hostile);
	}
	if (chance(25)) {
		buf_putc(b, ',');
		ws(b);
		if (chance(5))
			gen_value(b, 2, hostile);
		else {
			buf_puts(b, "{\"trace_id\":");
			gen_str(b, rnd(16), hostile);
			if (chance(30)) {
				buf_puts(b, ",\"trace_id\":");
				gen_str(b, rnd(4), hostile);
			}
			buf_putc(b, '}');
		}
	}
	if (chance(2))
		buf_puts(b, ",1");
	ws(b);
	buf_putc(b, ']');
}

static void
gen_stream(struct buf *b, int hostile)
{
	unsigned i, n, f, nf = 1 + rnd(3);

	buf_putc(b, '{');
	for (f = 0; f < nf; f++) {
		unsigned which = f < 2 ? (f + rnd(2)) % 2 : rnd(3);

		if (f)
			buf_putc(b, ',');
		if (which == 0) {
			gen_key(b, "stream");
			if (chance(4))
				gen_value(b, 2, hostile);
			else
				gen_labels(b, hostile);
		} else if (which == 1) {
			gen_key(b, "values");
			if (chance(4)) {
				gen_value(b, 2, hostile);
				continue;
			}
			buf_putc(b, '[');
			n = rnd(5);
			for (i = 0; i < n; i++) {
				if (i)
					buf_putc(b, ',');
				ws(b);
				gen_push_value(b, hostile);
			}
			buf_putc(b, ']');
		} else {
			gen_key(b, "other");
			gen_value(b, 1, hostile);
		}
		ws(b);
	}
	buf_putc(b, '}');
}

static void
gen_push(struct buf *b, int hostile)
{
	unsigned i, n, f, nf = 1 + rnd(3);

	ws(b);
	buf_putc(b, '{');
	for (f = 0; f < nf; f++) {
		unsigned which = rnd(5);

		if (f)
			buf_putc(b, ',');
		if (which == 0) {
			gen_key(b, "tenant");
			if (chance(5))
				gen_value(b, 2, hostile);
			else
				gen_str(b, rnd(12), hostile);
		} else if (which < 4) {
			gen_key(b, "streams");
			if (chance(3)) {
				gen_value(b, 2, hostile);
				continue;
			}
			buf_putc(b, '[');
			n = rnd(4);
			for (i = 0; i < n; i++) {
				if (i)
					buf_putc(b, ',');
				ws(b);
				gen_stream(b, hostile);
			}
			buf_putc(b, ']');
		} else {
			gen_key(b, "x");
			gen_value(b, 1, hostile);
		}
		ws(b);
	}
	buf_putc(b, '}');
}

/* Byte-level damage. */
static void
mutate(struct buf *b)
{
	static const char *const snip[] = { "\\u0000", "\\ud800", "\\udc00",
	    "\\ud83d\\ude00", "\xff", "\xc0\x80", "\xed\xa0\x80", "\"", "\\",
	    ",", "{", "}", "[", "]", ":", " ", "01", "1e5", "-", "nan",
	    "true", "null", "\\\"", "\x01", "\t", "\\x", "\\u12", "+1", ".5",
	    "1.", "infinity", "\"ts\":\"1\",", "\"line\":5,", "\"labels\":{},",
	    "\"labels\":{\"a-b\":\"c\"},", "\"ts\":1.5,", "\"ts\":-0,",
	    "\x1e", "\x1f" };
	unsigned k = 1 + rnd(3);

	while (k-- > 0 && b->len > 0) {
		size_t at = rnd((unsigned)b->len), n;

		switch (rnd(6)) {
		case 0:
			b->len = at;			/* truncate */
			break;
		case 1:
			b->p[at] = (char)rnd(256);	/* flip */
			break;
		case 2: {
			const char *s = snip[rnd(sizeof(snip) /
			    sizeof(snip[0]))];
			size_t sn = strlen(s);

			buf_grow(b, sn);
			memmove(b->p + at + sn, b->p + at, b->len - at);
			memcpy(b->p + at, s, sn);
			b->len += sn;
			break;
		}
		case 3:
			n = rnd(8);			/* delete */
			if (at + n > b->len)
				n = b->len - at;
			memmove(b->p + at, b->p + at + n, b->len - at - n);
			b->len -= n;
			break;
		case 4:
			n = rnd(12);			/* duplicate */
			if (at + n > b->len)
				n = b->len - at;
			buf_grow(b, n);
			memmove(b->p + at + n, b->p + at, b->len - at);
			b->len += n;
			break;
		default:
			b->p[at] = " \"\\:,{}[]0"[rnd(10)];
		}
	}
}

/* A record with an unknown field nested d deep. */
static void
gen_deep(struct buf *b, int d)
{
	char kind[300];
	int i;

	buf_puts(b, "{\"ts\":\"1\",\"line\":\"deep\",\"x\":");
	for (i = 0; i < d && i < (int)sizeof(kind); i++) {
		kind[i] = chance(50) ? '[' : '{';
		ws(b);
		buf_puts(b, kind[i] == '[' ? "[" : "{\"k\":");
	}
	buf_puts(b, "0");
	while (i-- > 0)
		buf_putc(b, kind[i] == '[' ? ']' : '}');
	buf_putc(b, '}');
}

/* ---- the model, on jq's values --------------------------------------- */

struct want {
	int		 kind;		/* -1: reject */
	const char	*why;		/* when -1 */
	jv		 rec;		/* owned, when kind > 0 */
	int		 ambiguous;	/* a ts in jq's blind spot */
};

static int
is_kind(jv v, jv_kind k)
{
	return jv_get_kind(v) == k;
}

/* Field of obj (borrowed obj); the result is owned; invalid if absent. */
static jv
field(jv obj, const char *k)
{
	jv v;

	if (!jv_object_has(jv_copy(obj), jv_string(k)))
		return jv_invalid();
	v = jv_object_get(jv_copy(obj), jv_string(k));
	return v;
}

static int
has(jv obj, const char *k)
{
	return jv_object_has(jv_copy(obj), jv_string(k));
}

/* A string of ASCII digits below 2^64. */
static int
digits_ok(jv s, uint64_t *out)
{
	const char *p = jv_string_value(s);
	int n = jv_string_length_bytes(jv_copy(s)), i;
	uint64_t v = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9)
			return 0;
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return 1;
}

/* 1 valid, 0 not, -1 jq cannot tell (a double). */
static int
u64_ok(jv v)
{
	uint64_t x;
	double d;

	if (is_kind(v, JV_KIND_STRING))
		return digits_ok(v, &x);
	if (!is_kind(v, JV_KIND_NUMBER))
		return 0;
	d = jv_number_value(v);
	if (d != d || d < 0)
		return 0;		/* NaN, negative (not -0) */
	if (d >= 18446744073709551616.0)
		return d == 18446744073709551616.0 ? -1 : 0;
	if (d != (double)(uint64_t)d)
		return 0;		/* a fraction */
	/* integral for jq, but the double may have rounded a fraction
	 * away (17.000000000000001, 1e-400): jq cannot tell. If we
	 * accept, the values must agree; if we reject, ambiguous() must
	 * find what made us */
	return -1;
}

/*
 * Our reason to reject a number that jq reads as an integer: a number
 * token with a fraction, an exponent or a sign, or digits past 2^64
 * (18446744073709551615.5, 1e-400, -1e-9, 18446744073709551616 all round
 * to integers in a double). 1 when the line has one.
 */
static int
ambiguous(const char *in, size_t n)
{
	size_t i = 0, s;
	int str = 0;

	while (i < n) {
		char c = in[i];

		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = 0;
			i++;
			continue;
		}
		if (c == '"') {
			str = 1;
			i++;
			continue;
		}
		if (!(c == '-' || (c >= '0' && c <= '9'))) {
			i++;
			continue;
		}
		for (s = i; i < n && (in[i] == '-' || in[i] == '+' ||
		    in[i] == '.' || in[i] == 'e' || in[i] == 'E' ||
		    (in[i] >= '0' && in[i] <= '9')); i++)
			;
		if (memchr(in + s, '.', i - s) || memchr(in + s, 'e', i - s) ||
		    memchr(in + s, 'E', i - s) || memchr(in + s, '-', i - s))
			return 1;
		while (s < i && in[s] == '0')
			s++;
		if (i - s > 20 || (i - s == 20 &&
		    memcmp(in + s, "18446744073709551615", 20) > 0))
			return 1;
	}
	return 0;
}

static int
str_obj_ok(jv o, int names)
{
	int ok = 1;

	jv_object_foreach(o, k, v) {
		if (!is_kind(v, JV_KIND_STRING))
			ok = 0;
		if (names && !label_name_ok(jv_string_value(k),
		    (size_t)jv_string_length_bytes(jv_copy(k))))
			ok = 0;
		jv_free(k);
		jv_free(v);
	}
	return ok;
}

static struct want
model(jv o)
{
	struct want w = { -1, NULL, jv_null(), 0 };
	jv v;
	int f, a, amb = 0, r;

	if (!is_kind(o, JV_KIND_OBJECT)) {
		w.why = "not an object";
		return w;
	}
	f = has(o, "flush");
	a = has(o, "ack");
#define NEED(cond, msg) do { if (!(cond)) { w.why = (msg);		\
	jv_free(v); return w; } jv_free(v); } while (0)
	if (f && a) {
		w.why = "both";
		return w;
	}
	v = field(o, "error");
	NEED(!jv_is_valid(v) || is_kind(v, JV_KIND_NULL) ||
	    is_kind(v, JV_KIND_STRING) || !(f || a), "error type");
	if (f) {
		v = field(o, "flush");
		NEED(is_kind(v, JV_KIND_STRING), "flush type");
		w.kind = REC_FLUSH;
	} else if (a) {
		v = field(o, "ack");
		NEED(is_kind(v, JV_KIND_STRING), "ack type");
		v = field(o, "ok");
		NEED(!jv_is_valid(v) || is_kind(v, JV_KIND_TRUE) ||
		    is_kind(v, JV_KIND_FALSE), "ok type");
		v = field(o, "entries");
		r = jv_is_valid(v) ? u64_ok(v) : 1;
		amb |= r < 0;
		NEED(r != 0, "entries");
		v = field(o, "bytes");
		r = jv_is_valid(v) ? u64_ok(v) : 1;
		amb |= r < 0;
		NEED(r != 0, "bytes");
		w.kind = REC_ACK;
	} else {
		v = field(o, "ts");
		NEED(jv_is_valid(v), "missing ts");
		v = field(o, "line");
		NEED(jv_is_valid(v), "missing line");
		v = field(o, "ts");
		r = u64_ok(v);
		amb |= r < 0;
		NEED(r != 0, "ts");
		v = field(o, "line");
		NEED(is_kind(v, JV_KIND_STRING), "line type");
		v = field(o, "labels");
		NEED(!jv_is_valid(v) || (is_kind(v, JV_KIND_OBJECT) &&
		    str_obj_ok(v, 1)), "labels");
		v = field(o, "meta");
		NEED(!jv_is_valid(v) || (is_kind(v, JV_KIND_OBJECT) &&
		    str_obj_ok(v, 0)), "meta");
		w.kind = REC_ENTRY;
	}
#undef NEED
	w.ambiguous = amb;
	w.rec = jv_copy(o);
	return w;
}

/* ---- comparing -------------------------------------------------------- */

static int
bytes_eq(jv s, const char *p, size_t n)
{
	return is_kind(s, JV_KIND_STRING) &&
	    (size_t)jv_string_length_bytes(jv_copy(s)) == n &&
	    (n == 0 || memcmp(jv_string_value(s), p, n) == 0);
}

/* Our labels/meta array equals jq's object (borrowed). */
static int
map_eq(jv o, const struct label *l, size_t n)
{
	size_t i;
	int ok;

	if (!jv_is_valid(o))
		return n == 0;
	if ((size_t)jv_object_length(jv_copy(o)) != n)
		return 0;
	for (i = 0; i < n; i++) {
		jv v;

		if (!jv_object_has(jv_copy(o), jv_string_sized(l[i].name.p,
		    (int)l[i].name.n)))
			return 0;
		v = jv_object_get(jv_copy(o), jv_string_sized(l[i].name.p,
		    (int)l[i].name.n));
		ok = bytes_eq(v, l[i].value.p, l[i].value.n);
		jv_free(v);
		if (!ok)
			return 0;
	}
	return 1;
}

static int
u64_eq(jv v, uint64_t x)
{
	uint64_t y;
	double d;

	if (!jv_is_valid(v))
		return x == 0;
	if (is_kind(v, JV_KIND_STRING))
		return digits_ok(v, &y) && y == x;
	d = jv_number_value(v);
	if (d < 9007199254740992.0)
		return (double)x == d && x == (uint64_t)d;
	return (double)x == d;
}

/* Does our record r match the model's? A reason when not. */
static const char *
rec_eq(struct want *w, const struct rec *r)
{
	jv o = w->rec, v;
	const char *bad = NULL;

	if (r->kind != w->kind)
		return "kind";
	if (r->kind == REC_ENTRY) {
		v = field(o, "ts");
		if (!u64_eq(v, r->ts))
			bad = "ts";
		jv_free(v);
		v = field(o, "line");
		if (bad == NULL && !bytes_eq(v, r->line.p, r->line.n))
			bad = "line";
		jv_free(v);
		v = field(o, "labels");
		if (bad == NULL && !map_eq(v, r->labels, r->nlabels))
			bad = "labels";
		jv_free(v);
		v = field(o, "meta");
		if (bad == NULL && !map_eq(v, r->meta, r->nmeta))
			bad = "meta";
		jv_free(v);
		return bad;
	}
	v = field(o, r->kind == REC_FLUSH ? "flush" : "ack");
	if (!bytes_eq(v, r->token.p, r->token.n))
		bad = "token";
	jv_free(v);
	v = field(o, "error");
	if (bad == NULL) {
		if (jv_is_valid(v) && is_kind(v, JV_KIND_STRING)) {
			if (!r->has_error || !bytes_eq(v, r->error.p,
			    r->error.n))
				bad = "error";
		} else if (r->has_error)
			bad = "error (none)";
	}
	jv_free(v);
	if (r->kind == REC_ACK && bad == NULL) {
		v = field(o, "ok");
		if (r->ok != (jv_is_valid(v) && is_kind(v, JV_KIND_TRUE)))
			bad = "ok";
		jv_free(v);
		v = field(o, "entries");
		if (bad == NULL && !u64_eq(v, r->entries))
			bad = "entries";
		jv_free(v);
		v = field(o, "bytes");
		if (bad == NULL && !u64_eq(v, r->bytes))
			bad = "bytes";
		jv_free(v);
	}
	return bad;
}

/* ---- push bodies ------------------------------------------------------ */

/* One value of a push body (borrowed): ["ts", "line", {meta}?]. */
static int
value_ok(jv e, int *amb)
{
	int len, r, ok = 1;
	jv x;

	if (!is_kind(e, JV_KIND_ARRAY))
		return 0;
	len = jv_array_length(jv_copy(e));
	if (len < 2 || len > 3)
		return 0;
	x = jv_array_get(jv_copy(e), 0);
	r = u64_ok(x);
	*amb |= r < 0;
	ok = r != 0;
	jv_free(x);
	x = jv_array_get(jv_copy(e), 1);
	ok = ok && is_kind(x, JV_KIND_STRING);
	jv_free(x);
	if (ok && len == 3) {
		x = jv_array_get(jv_copy(e), 2);
		ok = is_kind(x, JV_KIND_OBJECT) && str_obj_ok(x, 0);
		jv_free(x);
	}
	return ok;
}

/* jq's view of a push body: 1 valid, 0 not; *amb for a numeric ts in
 * jq's blind spot. */
static int
push_ok(jv o, int *amb)
{
	jv s, v;
	int ok = 1;

	if (!is_kind(o, JV_KIND_OBJECT))
		return 0;
	v = field(o, "tenant");
	if (jv_is_valid(v) && !is_kind(v, JV_KIND_STRING))
		ok = 0;
	jv_free(v);
	s = field(o, "streams");
	if (!ok || !jv_is_valid(s)) {
		jv_free(s);
		return ok;
	}
	if (!is_kind(s, JV_KIND_ARRAY)) {
		jv_free(s);
		return 0;
	}
	jv_array_foreach(s, i, st) {
		jv l, vals;

		if (ok && !is_kind(st, JV_KIND_OBJECT))
			ok = 0;
		if (!ok) {
			jv_free(st);
			continue;
		}
		l = field(st, "stream");
		if (jv_is_valid(l) && (!is_kind(l, JV_KIND_OBJECT) ||
		    !str_obj_ok(l, 1)))
			ok = 0;
		jv_free(l);
		vals = field(st, "values");
		if (ok && jv_is_valid(vals)) {
			if (!is_kind(vals, JV_KIND_ARRAY))
				ok = 0;
			else
				jv_array_foreach(vals, k, e) {
					ok = ok && value_ok(e, amb);
					jv_free(e);
					(void)k;
				}
		}
		jv_free(vals);
		jv_free(st);
		(void)i;
	}
	jv_free(s);
	return ok;
}

/* Does what push_parse read equal jq's object (borrowed)? */
static const char *
push_eq(jv o, const struct push *pb)
{
	jv s, v;
	size_t i, k, nv, bytes = 0;
	const char *bad = NULL;

	v = field(o, "tenant");
	if (jv_is_valid(v) ? !bytes_eq(v, pb->tenant.p, pb->tenant.n) :
	    pb->tenant.n != 0)
		bad = "tenant";
	jv_free(v);
	s = field(o, "streams");
	if (bad == NULL && (size_t)(jv_is_valid(s) ?
	    jv_array_length(jv_copy(s)) : 0) != pb->nstreams)
		bad = "number of streams";
	for (i = 0; bad == NULL && i < pb->nstreams; i++) {
		const struct push_stream *st = &pb->streams[i];
		jv so = jv_array_get(jv_copy(s), (int)i), l, vals;

		l = field(so, "stream");
		if (!map_eq(l, pb->labels + st->labels_off, st->nlabels))
			bad = "stream labels";
		jv_free(l);
		vals = field(so, "values");
		nv = jv_is_valid(vals) ? (size_t)jv_array_length(
		    jv_copy(vals)) : 0;
		if (bad == NULL && nv != st->nvalues)
			bad = "number of values";
		for (k = 0; bad == NULL && k < nv; k++) {
			const struct push_value *pv =
			    &pb->values[st->values_off + k];
			jv e = jv_array_get(jv_copy(vals), (int)k), x;

			x = jv_array_get(jv_copy(e), 0);
			if (!u64_eq(x, pv->ts))
				bad = "value ts";
			jv_free(x);
			x = jv_array_get(jv_copy(e), 1);
			if (bad == NULL && !bytes_eq(x, pv->line.p,
			    pv->line.n))
				bad = "value line";
			jv_free(x);
			if (jv_array_length(jv_copy(e)) == 3) {
				x = jv_array_get(jv_copy(e), 2);
				if (bad == NULL && !map_eq(x,
				    pb->meta + pv->meta_off, pv->nmeta))
					bad = "value metadata";
				jv_free(x);
			} else if (bad == NULL && pv->nmeta != 0)
				bad = "value metadata (none)";
			bytes += pv->line.n;
			jv_free(e);
		}
		jv_free(vals);
		jv_free(so);
	}
	jv_free(s);
	if (bad == NULL && bytes != pb->line_bytes)
		bad = "line_bytes";
	return bad;
}

/* ---- the jq-leniency exceptions --------------------------------------- */

/* Length of a valid UTF-8 sequence at p (written apart from lib/). */
static size_t
u8len(const unsigned char *p, size_t n)
{
	unsigned c = p[0], need, cp, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c < 0xe0)
		need = 1, cp = c & 0x1f;
	else if (c >= 0xe0 && c < 0xf0)
		need = 2, cp = c & 0x0f;
	else if (c >= 0xf0 && c < 0xf5)
		need = 3, cp = c & 0x07;
	else
		return 0;
	if (n < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

static int
hexval(const char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	return 1;
}

/* A strict JSON number (RFC 8259), whole token. */
static int
strict_number(const char *p, size_t n)
{
	size_t i = 0;

	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++;
	else if (i < n && p[i] >= '1' && p[i] <= '9')
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && p[i] == '.') {
		if (++i >= n || p[i] < '0' || p[i] > '9')
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || p[i] < '0' || p[i] > '9')
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	return i == n;
}

/* Ends a token for jq 1.6 (NUL does not). */
static int
delim(unsigned char c)
{
	return c != 0 && strchr("{}[],: \t\r\n", c) != NULL;
}

#define FIX_UTF8	1
#define FIX_SURR	2
#define FIX_NUM		4
#define FIX_CTRL	8
#define FIX_RS		16

/*
 * Replaces what jq 1.6 accepts and we do not: invalid UTF-8 bytes by
 * '?', lone surrogate escapes by \ufffd, jq-only number tokens (01, +1,
 * .5, nan, and any with a NUL byte: jq reads "1\0x" as 1) by 0, and
 * the raw NUL and U+001F that jq 1.6 lets through in strings (its test is
 * c > 0 && c < 0x1f) by their escapes; and it cuts the line at a byte
 * 0x1E (RS), which jq 1.6 takes for an RFC 7464 record separator wherever
 * it is, ignoring what follows a complete value. Returns the FIX_*
 * classes changed.
 */
static int
sanitize(const char *in, size_t n, struct buf *o)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0;
	int str = 0, fixed = 0;

	o->len = 0;
	while (i < n) {
		size_t k = u8len(p + i, n - i);
		unsigned u, lo;

		if (p[i] == 0x1e) {
			/* jq acts on it even inside a string */
			fixed |= FIX_RS;
			break;
		}
		if (k == 0) {
			buf_putc(o, '?');
			fixed |= FIX_UTF8;
			i++;
			continue;
		}
		if (k > 1) {
			buf_put(o, p + i, k);
			i += k;
			continue;
		}
		if (str) {
			if (p[i] == '"')
				str = 0;
			if (p[i] == 0 || p[i] == 0x1f) {
				buf_puts(o, p[i] ? "\\u001f" : "\\u0000");
				fixed |= FIX_CTRL;
				i++;
				continue;
			}
			if (p[i] != '\\' || i + 1 >= n) {
				buf_putc(o, (char)p[i++]);
				continue;
			}
			if (p[i + 1] != 'u' || i + 6 > n ||
			    !hexval(in + i + 2, &u)) {
				buf_put(o, p + i, 2);
				i += 2;
				continue;
			}
			if (u >= 0xd800 && u <= 0xdbff && i + 12 <= n &&
			    p[i + 6] == '\\' && p[i + 7] == 'u' &&
			    hexval(in + i + 8, &lo) && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				buf_put(o, p + i, 12);
				i += 12;
			} else if (u >= 0xd800 && u <= 0xdfff) {
				buf_puts(o, "\\ufffd");
				fixed |= FIX_SURR;
				i += 6;
			} else {
				buf_put(o, p + i, 6);
				i += 6;
			}
			continue;
		}
		if (p[i] == '"') {
			str = 1;
			buf_putc(o, '"');
			i++;
			continue;
		}
		if (!delim(p[i])) {
			/* a token, as jq 1.6 cuts them; it then reads it as
			 * a C string, so "1\0x" is 1 */
			size_t s = i;
			jv t;

			while (i < n && p[i] < 0x80 && p[i] != '"' &&
			    p[i] != 0x1e && !delim(p[i]))
				i++;
			if (i == s) {
				buf_putc(o, (char)p[i++]);
				continue;
			}
			t = jv_parse_sized(in + s, (int)(i - s));
			if (jv_get_kind(t) == JV_KIND_NUMBER &&
			    !strict_number(in + s, i - s)) {
				buf_putc(o, '0');
				fixed |= FIX_NUM;
			} else
				buf_put(o, in + s, i - s);
			jv_free(t);
			continue;
		}
		buf_putc(o, (char)p[i++]);
	}
	return fixed;
}

/* ---- the checks -------------------------------------------------------- */

static struct rec_parser ps;
static jv prev_labels;		/* jq's labels of our last entry */
static int have_prev;
static unsigned long long n_total, n_acc, n_rej, n_jqrej, n_exc, n_amb,
    n_kinds[4], n_rt, n_fast;
static int fails;

static void
fail(const char *what, const char *in, size_t n, const char *detail)
{
	fails++;
	if (fails <= 10 || verbose)
		fprintf(stderr, "codec_diff: %s: %s\n  input (%zu bytes): "
		    "%.*s\n", what, detail ? detail : "", n,
		    (int)(n > 400 ? 400 : n), in);
	if (verbose) {
		size_t i;

		fprintf(stderr, "  hex:");
		for (i = 0; i < n && i < 400; i++)
			fprintf(stderr, " %02x", (unsigned char)in[i]);
		fprintf(stderr, "\n");
	}
}

/* Writes the entry we read again and checks jq and we read it back. */
static void
round_trip(const struct rec *r, const char *in, size_t n)
{
	static struct buf b;
	static struct rec_parser ps2;
	struct rec r2;
	const char *err;
	jv o;
	struct want w;
	const char *bad;

	b.len = 0;
	rec_write_entry(&b, r->ts, r->labels, r->nlabels, r->line, r->meta,
	    r->nmeta);
	if (b.len == 0 || b.p[b.len - 1] != '\n' ||
	    memchr(b.p, '\n', b.len - 1) != NULL) {
		fail("round trip: not one line", in, n, NULL);
		return;
	}
	o = jv_parse_sized(b.p, (int)b.len - 1);
	if (!jv_is_valid(o)) {
		fail("round trip: jq rejects what we wrote", b.p, b.len, NULL);
		jv_free(o);
		return;
	}
	w = model(o);
	jv_free(o);
	if (w.kind != REC_ENTRY) {
		fail("round trip: not an entry for jq", b.p, b.len, w.why);
		return;
	}
	/* the ts we write is a string of digits: compare exactly */
	o = field(w.rec, "ts");
	if (!is_kind(o, JV_KIND_STRING) || !u64_eq(o, r->ts))
		fail("round trip: ts", b.p, b.len, NULL);
	jv_free(o);
	if ((bad = rec_eq(&w, r)) != NULL)
		fail("round trip: jq reads other values", b.p, b.len, bad);
	jv_free(w.rec);
	if (rec_parse(&ps2, b.p, b.len - 1, &r2, &err) != REC_ENTRY ||
	    r2.ts != r->ts || r2.line.n != r->line.n ||
	    memcmp(r2.line.p, r->line.p, r->line.n) != 0 ||
	    r2.nlabels != r->nlabels || r2.nmeta != r->nmeta)
		fail("round trip: we read other values", b.p, b.len, err);
	n_rt++;
}

/* Writes a control record we read again; jq must read the same. */
static void
round_trip_ctl(const struct rec *r)
{
	static struct buf b;
	jv o, v;
	int ok;

	b.len = 0;
	if (r->kind == REC_FLUSH)
		rec_write_flush(&b, r->token, r->error);
	else
		rec_write_ack(&b, r->token, r->ok, r->entries, r->bytes,
		    r->error);
	o = jv_parse_sized(b.p, (int)b.len - 1);
	if (!jv_is_valid(o)) {
		fail("round trip: jq rejects the control record we wrote",
		    b.p, b.len, NULL);
		jv_free(o);
		return;
	}
	v = field(o, r->kind == REC_FLUSH ? "flush" : "ack");
	ok = bytes_eq(v, r->token.p, r->token.n);
	jv_free(v);
	v = field(o, "error");
	ok = ok && (r->error.n > 0 ? bytes_eq(v, r->error.p, r->error.n) :
	    !jv_is_valid(v));
	jv_free(v);
	if (r->kind == REC_ACK) {
		v = field(o, "ok");
		ok = ok && is_kind(v, r->ok ? JV_KIND_TRUE : JV_KIND_FALSE);
		jv_free(v);
		v = field(o, "entries");
		ok = ok && u64_eq(v, r->entries);
		jv_free(v);
		v = field(o, "bytes");
		ok = ok && u64_eq(v, r->bytes);
		jv_free(v);
	}
	jv_free(o);
	if (!ok)
		fail("round trip: jq reads another control record", b.p, b.len,
		    NULL);
	n_rt++;
}

/* One line; exceptions: may the jq-leniency exception apply. */
static void
check(const char *in, size_t n, int exceptions)
{
	static struct buf clean;
	struct rec r;
	const char *err = NULL, *bad;
	int kind;
	jv o;
	struct want w = { -1, NULL, jv_null(), 0 };

	n_total += exceptions;
	kind = rec_parse(&ps, in, n, &r, &err);
	o = jv_parse_sized(in, (int)n);
	if (!jv_is_valid(o)) {
		n_jqrej += exceptions;
		if (kind != -1)
			fail("we accept what jq rejects", in, n, NULL);
		jv_free(o);
		return;
	}
	w = model(o);
	jv_free(o);
	if (kind == -1 && w.kind != -1) {
		int fixed;

		if (w.ambiguous && ambiguous(in, n)) {
			n_amb++;
			goto out;
		}
		fixed = exceptions ? sanitize(in, n, &clean) : 0;
		if (fixed == 0) {
			fail(w.ambiguous ? "we reject an integer jq reads" :
			    "we reject what jq and the schema accept", in, n,
			    err);
			goto out;
		}
		if (!(((fixed & FIX_UTF8) && strstr(err, "UTF-8")) ||
		    ((fixed & FIX_SURR) && strstr(err, "surrogate")) ||
		    ((fixed & FIX_CTRL) && strstr(err, "control")) ||
		    (fixed & (FIX_NUM | FIX_RS)))) {
			fail("jq-leniency exception with another error", in,
			    n, err);
			goto out;
		}
		n_exc++;
		/* the same line without those constructs must agree; it
		 * becomes the parser's previous record */
		{
			char *copy = xmalloc(clean.len + 1);
			size_t cn = clean.len;

			memcpy(copy, clean.p, cn);
			check(copy, cn, 0);
			free(copy);
		}
		goto out;
	}
	if (kind != -1 && w.kind == -1) {
		fail("we accept what the schema rejects", in, n, w.why);
		goto out;
	}
	if (kind == -1) {
		n_rej += exceptions;
		goto out;
	}
	n_acc += exceptions;
	n_kinds[kind]++;
	if ((bad = rec_eq(&w, &r)) != NULL) {
		fail("values differ", in, n, bad);
		goto out;
	}
	if (kind == REC_ENTRY) {
		jv l = field(w.rec, "labels");

		if (!jv_is_valid(l))
			l = jv_object();
		if (!r.labels_changed) {
			n_fast++;
			if (!have_prev || !jv_equal(jv_copy(prev_labels),
			    jv_copy(l)))
				fail("labels_changed 0 but the labels differ",
				    in, n, NULL);
		}
		if (have_prev)
			jv_free(prev_labels);
		prev_labels = l;
		have_prev = 1;
		round_trip(&r, in, n);
	} else
		round_trip_ctl(&r);
out:
	jv_free(w.rec);
}

/* A push body; as check(). */
static struct push pb;
static unsigned long long p_total, p_acc, p_rej, p_jqrej, p_exc, p_amb;

static void
check_push(const char *in, size_t n, int exceptions)
{
	static struct buf clean;
	const char *err = NULL, *bad;
	int ours, want, amb = 0, fixed;
	jv o;

	p_total += exceptions;
	ours = push_parse(&pb, in, n, &err) == 0;
	o = jv_parse_sized(in, (int)n);
	if (!jv_is_valid(o)) {
		p_jqrej += exceptions;
		if (ours)
			fail("push: we accept what jq rejects", in, n, NULL);
		jv_free(o);
		return;
	}
	want = push_ok(o, &amb);
	if (!ours && want) {
		if (amb && ambiguous(in, n)) {
			p_amb++;
			goto out;
		}
		fixed = exceptions ? sanitize(in, n, &clean) : 0;
		if (fixed == 0) {
			fail(amb ? "push: we reject an integer jq reads" :
			    "push: we reject what jq and the schema accept",
			    in, n, err);
			goto out;
		}
		p_exc++;
		{
			char *copy = xmalloc(clean.len + 1);
			size_t cn = clean.len;

			memcpy(copy, clean.p, cn);
			check_push(copy, cn, 0);
			free(copy);
		}
		goto out;
	}
	if (ours && !want) {
		fail("push: we accept what the schema rejects", in, n, NULL);
		goto out;
	}
	if (!ours) {
		p_rej += exceptions;
		goto out;
	}
	p_acc += exceptions;
	if ((bad = push_eq(o, &pb)) != NULL)
		fail("push: values differ", in, n, bad);
out:
	jv_free(o);
}

int
main(int argc, char **argv)
{
	struct buf b = { 0 };
	unsigned long long i, nrec = 20000;
	int c;

	while ((c = getopt(argc, argv, "n:s:v")) != -1) {
		switch (c) {
		case 'n':
			nrec = strtoull(optarg, NULL, 10);
			break;
		case 's':
			rs = strtoull(optarg, NULL, 10) * 2654435761ULL + 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: codec_diff [-n records] "
			    "[-s seed] [-v]\n");
			return 100;
		}
	}
	for (i = 0; i < nrec; i++) {
		int hostile = chance(30);

		b.len = 0;
		if (i % 997 == 5)
			gen_deep(&b, 250 + (int)rnd(12));
		else if (i % 1999 == 7) {
			/* a huge line: 1 MB */
			buf_puts(&b, "{\"ts\":\"1\",\"labels\":");
			buf_puts(&b, labelsets[0]);
			buf_puts(&b, ",\"line\":\"");
			gen_chars(&b, 300000, 0);
			buf_puts(&b, "\"}");
		} else if (i % 4 == 3) {
			gen_push(&b, hostile);
			if (chance(40))
				mutate(&b);
			check_push(b.p, b.len, 1);
			continue;
		} else
			gen_record(&b, hostile);
		if (chance(40))
			mutate(&b);
		check(b.p, b.len, 1);
	}
	printf("# %llu records: %llu accepted (%llu entries, %llu flush, "
	    "%llu ack), %llu rejected by the schema, %llu by jq's parser; "
	    "%llu jq-leniency exceptions, %llu ambiguous numeric ts; %llu "
	    "round trips; %llu unchanged-labels fast paths\n", n_total,
	    n_acc, n_kinds[REC_ENTRY], n_kinds[REC_FLUSH], n_kinds[REC_ACK],
	    n_rej, n_jqrej, n_exc, n_amb, n_rt, n_fast);
	printf("# %llu push bodies: %llu accepted, %llu rejected by the "
	    "schema, %llu by jq's parser; %llu jq-leniency exceptions, %llu "
	    "ambiguous numeric ts\n", p_total, p_acc, p_rej, p_jqrej, p_exc,
	    p_amb);
	if (fails)
		printf("not ok codec_diff agrees with libjq (%d failures)\n",
		    fails);
	else
		printf("ok codec_diff agrees with libjq on %llu records and "
		    "%llu push bodies\n", n_total, p_total);
	if (n_acc < nrec / 5 || n_rej + n_jqrej < nrec / 10 || n_exc == 0 ||
	    n_fast == 0 || n_kinds[REC_FLUSH] == 0 || n_kinds[REC_ACK] == 0 ||
	    p_acc < p_total / 10 || p_rej == 0 || p_exc == 0) {
		printf("not ok codec_diff covers every class\n");
		fails++;
	} else
		printf("ok codec_diff covers every class\n");
	if (have_prev)
		jv_free(prev_labels);
	buf_free(&b);
	rec_parser_free(&ps);
	push_free(&pb);
	return fails ? 1 : 0;
}
