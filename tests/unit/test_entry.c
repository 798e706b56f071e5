/* test_entry.c: the entry codec — entries, control records, labels change
 * detection, writers, flush-marker errors and push bodies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "entry.h"

static int failed;

#define CHECK(name, cond) do {						\
	if (cond)							\
		printf("ok entry %s\n", (name));			\
	else {								\
		printf("not ok entry %s (line %d)\n", (name), __LINE__);\
		failed++;						\
	}								\
} while (0)

static struct rec_parser ps;
static struct rec r;
static const char *err;
static char line[4096];

/* Parses s from a private copy (as a stage's reused line buffer). */
static int
parse(const char *s)
{
	size_t n = strlen(s);

	memcpy(line, s, n);
	err = NULL;
	return rec_parse(&ps, line, n, &r, &err);
}

/* Parse fails and *err contains what. */
static int
bad(const char *s, const char *what)
{
	if (parse(s) != -1 || err == NULL)
		return 0;
	if (strstr(err, what) == NULL) {
		fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, what);
		return 0;
	}
	return 1;
}

static int
lab(size_t i, const char *name, const char *value)
{
	return i < r.nlabels && str_eq(r.labels[i].name, name) &&
	    str_eq(r.labels[i].value, value);
}

static int
meta(size_t i, const char *name, const char *value)
{
	return i < r.nmeta && str_eq(r.meta[i].name, name) &&
	    str_eq(r.meta[i].value, value);
}

/* An entry with an unknown field nested d arrays deep (plus the record). */
static int
nested(int d)
{
	char b[700];
	int i, n;

	n = snprintf(b, sizeof(b), "{\"ts\":\"1\",\"line\":\"x\",\"d\":");
	for (i = 0; i < d; i++)
		b[n++] = '[';
	for (i = 0; i < d; i++)
		b[n++] = ']';
	b[n++] = '}';
	b[n] = '\0';
	return parse(b);
}

static void
entries(void)
{
	CHECK("entry", parse("{\"ts\":\"1700000000123456789\","
	    "\"labels\":{\"__aws_log_type\":\"cloudwatch\",\"app\":\"api\"},"
	    "\"line\":\"START RequestId: 8f5\"}") == REC_ENTRY &&
	    r.kind == REC_ENTRY && r.ts == 1700000000123456789ULL &&
	    r.nlabels == 2 && lab(0, "__aws_log_type", "cloudwatch") &&
	    lab(1, "app", "api") && str_eq(r.line, "START RequestId: 8f5") &&
	    r.nmeta == 0);
	CHECK("entry with meta", parse("{\"ts\":\"1\",\"line\":\"x\","
	    "\"meta\":{\"trace_id\":\"abc\",\"k\":\"\"}}") == REC_ENTRY &&
	    r.nmeta == 2 && meta(0, "trace_id", "abc") && meta(1, "k", "") &&
	    r.nlabels == 0);
	CHECK("ts as a JSON number keeps every digit",
	    parse("{\"ts\":1700000000123456789,\"line\":\"\"}") == REC_ENTRY
	    && r.ts == 1700000000123456789ULL);
	CHECK("ts in jq's exponent form",
	    parse("{\"ts\":1.7000000000000001e+18,\"line\":\"\"}") ==
	    REC_ENTRY && r.ts == 1700000000000000100ULL);
	CHECK("ts 2^64-1", parse("{\"ts\":\"18446744073709551615\","
	    "\"line\":\"\"}") == REC_ENTRY && r.ts == UINT64_MAX);
	CHECK("huge ts string is an error",
	    bad("{\"ts\":\"18446744073709551616\",\"line\":\"x\"}", "range"));
	CHECK("huge ts number is an error",
	    bad("{\"ts\":99999999999999999999999,\"line\":\"x\"}", "range"));
	CHECK("fractional ts is an error",
	    bad("{\"ts\":1.5,\"line\":\"x\"}", "ts"));
	CHECK("negative ts is an error",
	    bad("{\"ts\":-1,\"line\":\"x\"}", "ts"));
	CHECK("ts not digits is an error",
	    bad("{\"ts\":\"12:00\",\"line\":\"x\"}", "ts"));
	CHECK("ts null is an error", bad("{\"ts\":null,\"line\":\"x\"}",
	    "ts"));
	CHECK("missing ts", bad("{\"line\":\"x\"}", "missing ts"));
	CHECK("missing line", bad("{\"ts\":\"1\"}", "missing line"));
	CHECK("line not a string", bad("{\"ts\":\"1\",\"line\":5}", "line"));
	CHECK("line null", bad("{\"ts\":\"1\",\"line\":null}", "line"));
	CHECK("labels not an object",
	    bad("{\"ts\":\"1\",\"line\":\"x\",\"labels\":[]}", "labels"));
	CHECK("labels null", bad("{\"ts\":\"1\",\"line\":\"x\","
	    "\"labels\":null}", "labels"));
	CHECK("label value not a string", bad("{\"ts\":\"1\",\"line\":\"x\","
	    "\"labels\":{\"a\":1}}", "label value"));
	CHECK("label name with a dash", bad("{\"ts\":\"1\",\"line\":\"x\","
	    "\"labels\":{\"a-b\":\"1\"}}", "label name"));
	CHECK("label name starting with a digit", bad("{\"ts\":\"1\","
	    "\"line\":\"x\",\"labels\":{\"1a\":\"1\"}}", "label name"));
	CHECK("empty label name", bad("{\"ts\":\"1\",\"line\":\"x\","
	    "\"labels\":{\"\":\"1\"}}", "label name"));
	CHECK("escaped label name that decodes valid",
	    parse("{\"ts\":\"1\",\"line\":\"x\",\"labels\":{\"\\u0061\":"
	    "\"v\\n\"}}") == REC_ENTRY && lab(0, "a", "v\n"));
	CHECK("meta not an object", bad("{\"ts\":\"1\",\"line\":\"x\","
	    "\"meta\":\"m\"}", "meta"));
	CHECK("meta value not a string", bad("{\"ts\":\"1\",\"line\":\"x\","
	    "\"meta\":{\"a\":true}}", "meta value"));
	CHECK("meta names are free", parse("{\"ts\":\"1\",\"line\":\"x\","
	    "\"meta\":{\"a-b c\":\"1\"}}") == REC_ENTRY &&
	    meta(0, "a-b c", "1"));
	CHECK("line with escapes, \\u0000 and UTF-8",
	    parse("{\"ts\":\"1\",\"line\":\"a\\u0000b\\t\\\"\xc3\xa9\\ud83d"
	    "\\ude00\"}") == REC_ENTRY && r.line.n == 11 &&
	    memcmp(r.line.p, "a\0b\t\"\xc3\xa9\xf0\x9f\x98\x80", 11) == 0);
	CHECK("line with invalid UTF-8",
	    bad("{\"ts\":\"1\",\"line\":\"a\xff\"}", "UTF-8"));
	CHECK("line with a lone surrogate",
	    bad("{\"ts\":\"1\",\"line\":\"\\udc00\"}", "surrogate"));
	CHECK("line with a raw control character",
	    bad("{\"ts\":\"1\",\"line\":\"a\x02\"}", "control"));
	CHECK("invalid UTF-8 in an unknown field rejects the line",
	    bad("{\"ts\":\"1\",\"line\":\"x\",\"z\":\"\xc0\x80\"}",
	    "UTF-8"));
	CHECK("unknown fields are skipped, nested ones too",
	    parse("{\"x\":{\"ts\":\"9\",\"y\":[1,{\"line\":2}]},\"ts\":\"1\","
	    "\"z\":null,\"line\":\"x\",\"w\":-1.5e3}") == REC_ENTRY &&
	    r.ts == 1 && str_eq(r.line, "x"));
	CHECK("whitespace everywhere",
	    parse(" \t{ \"ts\" : \"5\" ,\r\"labels\" : { \"a\" : \"b\" } ,"
	    "\n\"line\" :\t\"x\" }\t ") == REC_ENTRY && r.ts == 5 &&
	    lab(0, "a", "b"));
	CHECK("not an object", bad("[\"ts\",\"line\"]", "object"));
	CHECK("empty line", parse("") == -1 && err != NULL);
	CHECK("truncated", parse("{\"ts\":\"1\",\"line\":\"x") == -1);
	CHECK("trailing garbage", bad("{\"ts\":\"1\",\"line\":\"x\"} x",
	    "trailing"));
	CHECK("two records on one line",
	    parse("{\"ts\":\"1\",\"line\":\"x\"}{\"ts\":\"1\",\"line\":\"x\"}")
	    == -1);
	/* jq 1.6's limit: 256 levels, the record and the key included */
	CHECK("nesting in an unknown field is fine to 254",
	    nested(254) == REC_ENTRY);
	CHECK("deeper nesting is an error", nested(255) == -1 &&
	    strstr(err, "deep") != NULL);
}

/* An entry whose meta has n distinct keys, then k0..k(d-1) again. */
static int
many_keys(size_t n, size_t d, struct buf *b)
{
	size_t i;

	b->len = 0;
	buf_puts(b, "{\"ts\":\"1\",\"line\":\"x\",\"meta\":{");
	for (i = 0; i < n + d; i++) {
		if (i)
			buf_putc(b, ',');
		buf_puts(b, "\"k");
		buf_putu64(b, i < n ? i : i - n);
		buf_puts(b, i < n ? "\":\"v\"" : "\":\"again\"");
	}
	buf_puts(b, "}}");
	err = NULL;
	return rec_parse(&ps, b->p, b->len, &r, &err);
}

static void
duplicates(void)
{
	struct buf big = { 0 };
	size_t i, again = 0;

	CHECK("duplicate line: the last wins",
	    parse("{\"ts\":\"1\",\"line\":\"a\",\"line\":\"b\"}") == REC_ENTRY
	    && str_eq(r.line, "b"));
	CHECK("duplicate ts: a mistyped first one is replaced",
	    parse("{\"ts\":\"x\",\"line\":\"a\",\"ts\":\"7\"}") == REC_ENTRY
	    && r.ts == 7);
	CHECK("duplicate ts: a mistyped last one is an error",
	    bad("{\"ts\":\"7\",\"line\":\"a\",\"ts\":[1]}", "ts"));
	CHECK("duplicate line: a number replaced by a string",
	    parse("{\"ts\":\"1\",\"line\":5,\"line\":\"b\"}") == REC_ENTRY &&
	    str_eq(r.line, "b"));
	CHECK("duplicate label: the last wins",
	    parse("{\"ts\":\"1\",\"line\":\"x\",\"labels\":{\"a\":\"1\","
	    "\"b\":\"2\",\"a\":\"3\"}}") == REC_ENTRY && r.nlabels == 2 &&
	    lab(0, "a", "3") && lab(1, "b", "2"));
	CHECK("duplicate label: a mistyped first value is replaced",
	    parse("{\"ts\":\"1\",\"line\":\"x\",\"labels\":{\"a\":1,"
	    "\"a\":\"2\"}}") == REC_ENTRY && r.nlabels == 1 &&
	    lab(0, "a", "2"));
	CHECK("duplicate label: a mistyped last value is an error",
	    bad("{\"ts\":\"1\",\"line\":\"x\",\"labels\":{\"a\":\"2\","
	    "\"a\":null}}", "label value"));
	CHECK("duplicate labels objects: the last wins",
	    parse("{\"ts\":\"1\",\"labels\":{\"a\":\"1\"},\"line\":\"x\","
	    "\"labels\":{\"b\":\"2\"}}") == REC_ENTRY && r.nlabels == 1 &&
	    lab(0, "b", "2"));
	CHECK("duplicate labels: an invalid first object is replaced",
	    parse("{\"ts\":\"1\",\"labels\":{\"1\":\"1\"},\"line\":\"x\","
	    "\"labels\":{\"b\":\"2\"}}") == REC_ENTRY && lab(0, "b", "2"));
	CHECK("duplicate meta: the last wins",
	    parse("{\"ts\":\"1\",\"line\":\"x\",\"meta\":{\"a\":\"1\"},"
	    "\"meta\":{\"b\":\"2\",\"b\":\"3\"}}") == REC_ENTRY &&
	    r.nmeta == 1 && meta(0, "b", "3"));
	CHECK("duplicate meta: mistyped then valid",
	    parse("{\"ts\":\"1\",\"line\":\"x\",\"meta\":7,"
	    "\"meta\":{\"b\":\"2\"}}") == REC_ENTRY && meta(0, "b", "2"));
	CHECK("200000 meta keys (a hash, not a scan)",
	    many_keys(200000, 0, &big) == REC_ENTRY && r.nmeta == 200000 &&
	    meta(199999, "k199999", "v"));
	CHECK("200000 meta keys, then 1000 duplicates",
	    many_keys(200000, 1000, &big) == REC_ENTRY && r.nmeta == 200000);
	for (i = 0; i < r.nmeta; i++)
		again += str_eq(r.meta[i].value, "again");
	CHECK("the duplicates replaced the first 1000 values", again == 1000 &&
	    meta(999, "k999", "again") && meta(1000, "k1000", "v"));
	for (i = 1; i < 40; i++) {
		if (many_keys(i, i, &big) != REC_ENTRY || r.nmeta != i ||
		    !str_eq(r.meta[i - 1].value, "again"))
			break;
	}
	CHECK("duplicates around the switch to a hash", i == 40);
	buf_free(&big);
	CHECK("duplicate keys written with escapes",
	    parse("{\"ts\":\"1\",\"line\":\"a\",\"l\\u0069ne\":\"b\"}") ==
	    REC_ENTRY && str_eq(r.line, "b"));
}

static void
control(void)
{
	CHECK("flush", parse("{\"flush\":\"b7c9\"}") == REC_FLUSH &&
	    r.kind == REC_FLUSH && str_eq(r.token, "b7c9") && !r.has_error &&
	    r.error.n == 0);
	CHECK("flush with error", parse("{\"flush\":\"id\",\"error\":"
	    "\"aws-decode: s3://b/k: HTTP 403\"}") == REC_FLUSH &&
	    r.has_error && str_eq(r.error, "aws-decode: s3://b/k: HTTP 403"));
	CHECK("flush with error null", parse("{\"flush\":\"id\","
	    "\"error\":null}") == REC_FLUSH && !r.has_error);
	CHECK("flush with error then null: the last wins",
	    parse("{\"flush\":\"id\",\"error\":\"x\",\"error\":null}") ==
	    REC_FLUSH && !r.has_error);
	CHECK("flush token not a string", bad("{\"flush\":5}", "token"));
	CHECK("flush error not a string",
	    bad("{\"flush\":\"x\",\"error\":5}", "error"));
	CHECK("flush ignores entry fields of any type",
	    parse("{\"flush\":\"x\",\"ts\":\"bad\",\"line\":5,"
	    "\"labels\":{\"1\":2}}") == REC_FLUSH);
	CHECK("flush and ack together", bad("{\"flush\":\"x\",\"ack\":\"y\"}",
	    "both"));
	CHECK("ack", parse("{\"ack\":\"id\",\"ok\":true,\"entries\":1250,"
	    "\"bytes\":304211}") == REC_ACK && r.ok == 1 &&
	    str_eq(r.token, "id") && r.entries == 1250 && r.bytes == 304211);
	CHECK("ack failed", parse("{\"ack\":\"id\",\"ok\":false,\"error\":"
	    "\"loki: HTTP 400: entry too far behind\"}") == REC_ACK &&
	    r.ok == 0 && r.has_error && r.entries == 0 &&
	    str_eq(r.error, "loki: HTTP 400: entry too far behind"));
	CHECK("ack ok not a boolean",
	    bad("{\"ack\":\"id\",\"ok\":\"yes\"}", "ok"));
	CHECK("ack entries not a number",
	    bad("{\"ack\":\"id\",\"entries\":\"x\"}", "entries"));
	CHECK("entry ignores ack fields",
	    parse("{\"ts\":\"1\",\"line\":\"x\",\"ok\":\"yes\",\"error\":5}")
	    == REC_ENTRY);
}

static void
changes(void)
{
	char keep[64];
	const char *l1 = "{\"ts\":\"1\",\"labels\":{\"a\":\"1\",\"b\":\"x\"},"
	    "\"line\":\"x\"}";
	const char *l2 = "{\"ts\":\"1\",\"labels\":{\"a\":\"2\"},"
	    "\"line\":\"x\"}";
	const char *l3 = "{\"ts\":\"1\",\"labels\":{\"a\":\"3\"},"
	    "\"line\":\"x\"}";
	const char *none = "{\"ts\":\"1\",\"line\":\"x\"}";
	struct label *saved;

	rec_parser_free(&ps);
	CHECK("first entry without labels is a change",
	    parse(none) == REC_ENTRY && r.labels_changed == 1 &&
	    r.nlabels == 0);
	CHECK("again without labels: no change",
	    parse(none) == REC_ENTRY && r.labels_changed == 0);
	CHECK("labels after none: a change",
	    parse(l1) == REC_ENTRY && r.labels_changed == 1);
	saved = r.labels;
	CHECK("same labels: no change",
	    parse(l1) == REC_ENTRY && r.labels_changed == 0 &&
	    r.nlabels == 2 && lab(1, "b", "x"));
	memset(line, 'X', sizeof(line));
	CHECK("unchanged labels outlive the input line",
	    saved == ps.labels && str_eq(saved[0].name, "a") &&
	    str_eq(saved[1].value, "x"));
	CHECK("same labels, other ts and line: no change",
	    parse("{\"ts\":\"99\",\"labels\":{\"a\":\"1\",\"b\":\"x\"},"
	    "\"line\":\"other\",\"meta\":{\"m\":\"1\"}}") == REC_ENTRY &&
	    r.labels_changed == 0 && r.ts == 99);
	CHECK("other labels: a change", parse(l2) == REC_ENTRY &&
	    r.labels_changed == 1 && lab(0, "a", "2") && r.nlabels == 1);
	CHECK("same labels spelled differently: counted as a change",
	    parse("{\"ts\":\"1\",\"labels\":{ \"a\":\"2\"},\"line\":\"x\"}") ==
	    REC_ENTRY && r.labels_changed == 1 && lab(0, "a", "2"));
	parse(l2);
	CHECK("an error record that read new labels...",
	    parse("{\"ts\":\"bad\",\"labels\":{\"a\":\"3\"},\"line\":\"x\"}")
	    == -1);
	CHECK("...makes the next entry a change even with the old labels",
	    parse(l2) == REC_ENTRY && r.labels_changed == 1 &&
	    lab(0, "a", "2"));
	CHECK("an error record with the same labels...",
	    parse("{\"ts\":\"bad\",\"labels\":{\"a\":\"2\"},\"line\":\"x\"}")
	    == -1);
	CHECK("...leaves the next one unchanged",
	    parse(l2) == REC_ENTRY && r.labels_changed == 0);
	CHECK("an error in the labels themselves...",
	    parse("{\"ts\":\"1\",\"labels\":{\"a\":\"3\",\"-\":\"\"},"
	    "\"line\":\"x\"}") == -1);
	CHECK("...then the old labels: a change",
	    parse(l2) == REC_ENTRY && r.labels_changed == 1);
	CHECK("a syntax error after new labels...",
	    parse("{\"ts\":\"1\",\"labels\":{\"a\":\"3\"},\"line\":\"x\"") ==
	    -1);
	CHECK("...then the old labels: a change",
	    parse(l2) == REC_ENTRY && r.labels_changed == 1);
	CHECK("a flush carrying labels...",
	    parse("{\"flush\":\"t\",\"labels\":{\"a\":\"3\"}}") == REC_FLUSH &&
	    r.labels_changed == 0);
	CHECK("...then those labels: a change",
	    parse(l3) == REC_ENTRY && r.labels_changed == 1);
	CHECK("a flush without labels leaves them",
	    parse("{\"flush\":\"t\"}") == REC_FLUSH &&
	    parse(l3) == REC_ENTRY && r.labels_changed == 0);
	CHECK("none after labels: a change",
	    parse(none) == REC_ENTRY && r.labels_changed == 1 &&
	    r.nlabels == 0);
	CHECK("an empty object after none: empty labels",
	    parse("{\"ts\":\"1\",\"labels\":{},\"line\":\"x\"}") == REC_ENTRY
	    && r.nlabels == 0);
	CHECK("an empty object again: no change",
	    parse("{\"ts\":\"1\",\"labels\":{},\"line\":\"x\"}") == REC_ENTRY
	    && r.labels_changed == 0);
	parse(l3);
	rec_parser_reset_labels(&ps);
	CHECK("after reset the same labels are a change",
	    parse(l3) == REC_ENTRY && r.labels_changed == 1);
	parse(none);
	parse(none);
	rec_parser_reset_labels(&ps);
	CHECK("after reset no labels are a change",
	    parse(none) == REC_ENTRY && r.labels_changed == 1);
	/* a labels prefix that matches must not pass for the whole object */
	parse("{\"ts\":\"1\",\"labels\":{\"a\":\"1\"},\"line\":\"x\"}");
	snprintf(keep, sizeof(keep), "%s", "{\"ts\":\"1\",\"labels\":"
	    "{\"a\":\"1\",\"c\":\"2\"},\"line\":\"x\"}");
	CHECK("a longer object is a change", parse(keep) == REC_ENTRY &&
	    r.labels_changed == 1 && r.nlabels == 2);
}

static int
round_trip(uint64_t ts, struct label *l, size_t nl, struct str ln,
    struct label *m, size_t nm)
{
	struct buf b = { 0 }, c = { 0 };
	size_t i;
	int ok;

	rec_write_entry(&b, ts, l, nl, ln, m, nm);
	rec_write_labels(&c, l, nl);
	{
		struct buf d = { 0 };
		struct str lj = { c.p, c.len };

		rec_write_entry_raw(&d, ts, lj, ln, m, nm);
		ok = d.len == b.len && memcmp(d.p, b.p, b.len) == 0;
		buf_free(&d);
	}
	ok = ok && b.len > 0 && b.p[b.len - 1] == '\n' &&
	    memchr(b.p, '\n', b.len - 1) == NULL;
	ok = ok && rec_parse(&ps, b.p, b.len - 1, &r, &err) == REC_ENTRY &&
	    r.ts == ts && r.nlabels == nl && r.nmeta == nm &&
	    r.line.n == ln.n && memcmp(r.line.p, ln.p, ln.n) == 0;
	for (i = 0; ok && i < nl; i++)
		ok = r.labels[i].name.n == l[i].name.n &&
		    memcmp(r.labels[i].name.p, l[i].name.p,
		    l[i].name.n) == 0 &&
		    r.labels[i].value.n == l[i].value.n &&
		    memcmp(r.labels[i].value.p, l[i].value.p,
		    l[i].value.n) == 0;
	for (i = 0; ok && i < nm; i++)
		ok = r.meta[i].value.n == m[i].value.n &&
		    memcmp(r.meta[i].value.p, m[i].value.p, m[i].value.n) == 0;
	buf_free(&b);
	buf_free(&c);
	return ok;
}

static void
writers(void)
{
	struct label l[2] = {
		{ STR_LIT("__aws_log_type"), STR_LIT("cloudwatch") },
		{ STR_LIT("q"), STR_LIT("a\"b\\c\n\x01\0") },
	};
	struct label m[1] = { { STR_LIT("k\t"), STR_LIT("\xc3\xa9\x7f") } };
	struct buf b = { 0 };
	const char want[] = "{\"ts\":\"12\",\"labels\":{\"__aws_log_type\":"
	    "\"cloudwatch\"},\"line\":\"hi\"}\n";

	rec_write_entry(&b, 12, l, 1, STR_LIT("hi"), NULL, 0);
	CHECK("rec_write_entry bytes", b.len == sizeof(want) - 1 &&
	    memcmp(b.p, want, b.len) == 0);
	CHECK("round trip: escapes, NUL, meta",
	    round_trip(UINT64_MAX, l, 2, STR_LIT("x\0y\"\t\xf0\x9f\x98\x80"),
	    m, 1));
	CHECK("round trip: empty", round_trip(0, NULL, 0, STR_LIT(""),
	    NULL, 0));
	b.len = 0;
	rec_write_flush(&b, STR_LIT("id"), STR_LIT(""));
	rec_write_flush(&b, STR_LIT("id"), STR_LIT("a \"b\""));
	CHECK("rec_write_flush", str_eq((struct str){ b.p, b.len },
	    "{\"flush\":\"id\"}\n"
	    "{\"flush\":\"id\",\"error\":\"a \\\"b\\\"\"}\n"));
	b.len = 0;
	rec_write_ack(&b, STR_LIT("id"), 1, 3, 40, STR_LIT(""));
	rec_write_ack(&b, STR_LIT("id"), 0, 0, 0, STR_LIT("loki: HTTP 400"));
	CHECK("rec_write_ack", str_eq((struct str){ b.p, b.len },
	    "{\"ack\":\"id\",\"ok\":true,\"entries\":3,\"bytes\":40}\n"
	    "{\"ack\":\"id\",\"ok\":false,\"entries\":0,\"bytes\":0,"
	    "\"error\":\"loki: HTTP 400\"}\n"));
	CHECK("an ack written parses back",
	    rec_parse(&ps, b.p, strcspn(b.p, "\n"), &r, &err) == REC_ACK &&
	    r.ok && r.entries == 3 && r.bytes == 40);
	b.len = 0;
	rec_write_entry(&b, 5, l, 1, STR_LIT("bad \xff"), NULL, 0);
	CHECK("invalid UTF-8 in a line is written as U+FFFD",
	    rec_parse(&ps, b.p, b.len - 1, &r, &err) == REC_ENTRY &&
	    str_eq(r.line, "bad \xef\xbf\xbd"));
	{
		/* ts digits at every length, each side of a power of 10 */
		uint64_t p10 = 1;
		int k, bad = 0;

		for (k = 0; k < 20; k++, p10 *= 10) {
			uint64_t v[3] = { p10 - 1, p10, p10 + 1 };
			int x;

			for (x = 0; x < 3; x++) {
				char w[48];

				b.len = 0;
				rec_write_entry(&b, v[x], NULL, 0, STR_LIT(""),
				    NULL, 0);
				snprintf(w, sizeof(w), "{\"ts\":\"%llu\",",
				    (unsigned long long)v[x]);
				if (b.len < strlen(w) ||
				    memcmp(b.p, w, strlen(w)) != 0)
					bad++;
			}
		}
		CHECK("ts written at every number of digits", bad == 0);
	}
	buf_free(&b);
}

static void
errors(void)
{
	struct errs e = { 0 };
	struct str s;
	char big[300];
	int i;

	s = errs_get(&e);
	CHECK("errs empty", s.n == 0 && e.n == 0);
	errs_add(&e, "batch: input line %d: %s", 3, "invalid JSON");
	errs_add_str(&e, STR_LIT("aws-decode: s3://b/k: HTTP 403"));
	errs_add_str(&e, STR_LIT(""));
	s = errs_get(&e);
	CHECK("errs joined with \"; \"", e.n == 2 && str_eq(s,
	    "batch: input line 3: invalid JSON; "
	    "aws-decode: s3://b/k: HTTP 403"));
	errs_clear(&e);
	CHECK("errs_clear", errs_get(&e).n == 0 && e.n == 0);
	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 100; i++)
		errs_add(&e, "%d %s", i, big);
	s = errs_get(&e);
	CHECK("errs capped at 8 KiB", s.n <= 8192 && s.n > 7000);
	CHECK("errs counts every reason", e.n == 100);
	CHECK("errs says how many more",
	    s.n > 12 && memcmp(s.p + s.n - 5, " more", 5) == 0 &&
	    strstr(buf_cstr(&e.b), "; and ") != NULL);
	{
		size_t shown = 0, k;
		char tail[32];

		for (k = 0; k + 1 < s.n; k++)
			if (s.p[k] == ';' && s.p[k + 1] == ' ')
				shown++;
		/* shown reasons + the "and N more" tail = 100 */
		snprintf(tail, sizeof(tail), "; and %zu more", 100 - shown);
		CHECK("errs: shown plus counted is all",
		    s.n > strlen(tail) &&
		    memcmp(s.p + s.n - strlen(tail), tail, strlen(tail)) == 0);
	}
	{
		size_t was = s.n;

		s = errs_get(&e);
		CHECK("errs_get twice gives the same text", s.n == was &&
		    memcmp(s.p + s.n - 5, " more", 5) == 0);
	}
	errs_clear(&e);
	{
		char huge[12000];

		memset(huge, 'h', sizeof(huge));
		memcpy(huge + 8100, "\xe2\x82\xac\xe2\x82\xac", 6);
		errs_add_str(&e, (struct str){ huge, sizeof(huge) });
		s = errs_get(&e);
		CHECK("errs: one huge reason is cut, not lost",
		    e.n == 1 && s.n > 8000 && s.n <= 8192 &&
		    memcmp(s.p + s.n - 3, "...", 3) == 0 &&
		    utf8_valid_prefix(s.p, s.n) == s.n);
	}
	errs_clear(&e);
	buf_free(&e.b);
}

#define PEEK(s)	rec_peek_kind((s), strlen(s))

static void
peek(void)
{
	CHECK("peek flush", PEEK("{\"flush\":\"x\"}") ==
	    REC_FLUSH);
	CHECK("peek ack with spaces", PEEK(" { \"ack\":\"x\"}")
	    == REC_ACK);
	CHECK("peek push body", PEEK("{\"streams\":[]}") == 0);
	CHECK("peek entry", PEEK("{\"ts\":\"1\"}") == 0);
	CHECK("peek empty and short", PEEK("") == 0 &&
	    PEEK("{") == 0 && PEEK("{\"flu") == 0);
	CHECK("peek not an object", PEEK("[\"flush\"]") == 0);
	CHECK("peek flush with its keys sorted (jq -S)",
	    PEEK("{\"error\":\"a \\\"b\\\"\",\"flush\":\"x\"}") ==
	    REC_FLUSH);
	CHECK("peek ack with its keys sorted",
	    PEEK("{\"bytes\":1,\"ok\":true,\"ack\":\"x\"}") ==
	    REC_ACK);
	CHECK("peek escaped flush key",
	    PEEK("{\"\\u0066lush\":\"x\"}") == REC_FLUSH);
	CHECK("peek push body with tenant first",
	    PEEK("{\"tenant\":\"t\",\"streams\":[]}") == 0);
	CHECK("peek flush nested deeper is not a flush",
	    PEEK("{\"x\":{\"flush\":\"y\"}}") == 0);
	CHECK("peek broken JSON", PEEK("{\"x\":") == 0);
}

static int
pparse(struct push *pb, const char *s)
{
	err = NULL;
	return push_parse(pb, s, strlen(s), &err);
}

static void
pushes(void)
{
	struct push pb = { 0 };
	struct push_stream *st;
	struct push_value *v;
	int ok;

	ok = pparse(&pb, "{\"tenant\":\"team-a\",\"streams\":[{\"stream\":"
	    "{\"app\":\"api\",\"env\":\"p\"},\"values\":[[\"17\",\"line 1\"],"
	    "[\"18\",\"line\\n2\",{\"trace_id\":\"abc\",\"u\":\"v\"}]]},"
	    "{\"values\":[[19,\"z\"]],\"stream\":{\"b\":\"c\"}}]}") == 0;
	CHECK("push body parses", ok);
	CHECK("push tenant", ok && str_eq(pb.tenant, "team-a"));
	CHECK("push streams and labels", ok && pb.nstreams == 2 &&
	    pb.streams[0].nlabels == 2 &&
	    str_eq(pb.labels[pb.streams[0].labels_off].name, "app") &&
	    str_eq(pb.labels[pb.streams[0].labels_off + 1].value, "p") &&
	    pb.streams[1].nlabels == 1 &&
	    str_eq(pb.labels[pb.streams[1].labels_off].value, "c"));
	st = &pb.streams[0];
	v = &pb.values[st->values_off];
	CHECK("push values", ok && st->nvalues == 2 && v[0].ts == 17 &&
	    str_eq(v[0].line, "line 1") && v[0].nmeta == 0 && v[1].ts == 18 &&
	    str_eq(v[1].line, "line\n2"));
	CHECK("push structured metadata", ok && v[1].nmeta == 2 &&
	    str_eq(pb.meta[v[1].meta_off].name, "trace_id") &&
	    str_eq(pb.meta[v[1].meta_off + 1].value, "v"));
	CHECK("push values before stream in an object", ok &&
	    pb.streams[1].nvalues == 1 &&
	    pb.values[pb.streams[1].values_off].ts == 19);
	CHECK("push line_bytes", ok && pb.line_bytes == 6 + 6 + 1);
	CHECK("push without tenant, arrays reused",
	    pparse(&pb, "{\"streams\":[{\"stream\":{\"a\":\"b\"},"
	    "\"values\":[[\"1\",\"x\"]]}]}") == 0 && pb.tenant.n == 0 &&
	    pb.nstreams == 1 && pb.nvalues == 1 && pb.nmeta == 0 &&
	    pb.line_bytes == 1);
	CHECK("push duplicate streams: the last wins",
	    pparse(&pb, "{\"streams\":[{\"stream\":{\"a\":\"b\"},"
	    "\"values\":[[\"1\",\"xx\",{\"m\":\"1\"}]]}],\"streams\":[{"
	    "\"stream\":{\"c\":\"d\"},\"values\":[[\"2\",\"y\"]]}]}") == 0 &&
	    pb.nstreams == 1 && pb.nvalues == 1 && pb.nlabels == 1 &&
	    pb.nmeta == 0 && str_eq(pb.labels[0].name, "c") &&
	    pb.values[0].ts == 2 && pb.line_bytes == 1);
	CHECK("push duplicate values and stream in a stream: the last wins",
	    pparse(&pb, "{\"streams\":[{\"stream\":{\"a\":\"b\"},"
	    "\"values\":[[\"1\",\"xx\",{\"m\":\"1\"}],[\"1\",\"z\"]],"
	    "\"stream\":{\"c\":\"d\",\"e\":\"f\"},\"values\":[[\"2\",\"y\"]]},"
	    "{\"stream\":{\"g\":\"h\"},\"values\":[[\"3\",\"www\"]]}]}")
	    == 0 &&
	    pb.nstreams == 2 && pb.nvalues == 2 && pb.nlabels == 3 &&
	    pb.nmeta == 0 && pb.streams[0].nlabels == 2 &&
	    str_eq(pb.labels[pb.streams[0].labels_off].name, "c") &&
	    pb.streams[0].nvalues == 1 &&
	    str_eq(pb.values[pb.streams[0].values_off].line, "y") &&
	    str_eq(pb.labels[pb.streams[1].labels_off].name, "g") &&
	    str_eq(pb.values[pb.streams[1].values_off].line, "www") &&
	    pb.line_bytes == 4);
	CHECK("push mistyped keys replaced by later duplicates",
	    pparse(&pb, "{\"tenant\":1,\"streams\":5,\"tenant\":\"t\","
	    "\"streams\":[{\"stream\":{\"1\":\"a\"},\"values\":[1],"
	    "\"stream\":{\"a\":\"b\"},\"values\":[[\"1\",\"x\"]]}]}") == 0 &&
	    str_eq(pb.tenant, "t") && pb.nstreams == 1 &&
	    pb.streams[0].nlabels == 1 && pb.streams[0].nvalues == 1 &&
	    str_eq(pb.values[0].line, "x"));
	CHECK("push mistyped last tenant", pparse(&pb, "{\"tenant\":\"t\","
	    "\"streams\":[],\"tenant\":null}") < 0 &&
	    strstr(err, "tenant") != NULL);
	CHECK("push mistyped last values", pparse(&pb, "{\"streams\":[{"
	    "\"values\":[[\"1\",\"x\"]],\"values\":{}}]}") < 0 &&
	    strstr(err, "values") != NULL);
	CHECK("push syntax error inside a replaced member still fails",
	    pparse(&pb, "{\"streams\":[{\"values\":[[\"1\" \"x\"]]}],"
	    "\"streams\":[]}") < 0);
	CHECK("push empty streams", pparse(&pb, "{\"streams\":[]}") == 0 &&
	    pb.nstreams == 0);
	CHECK("push value with 4 elements", pparse(&pb, "{\"streams\":["
	    "{\"stream\":{},\"values\":[[\"1\",\"x\",{},1]]}]}") < 0 &&
	    err != NULL);
	CHECK("push value with a bad ts", pparse(&pb, "{\"streams\":["
	    "{\"stream\":{},\"values\":[[\"x\",\"x\"]]}]}") < 0);
	CHECK("push values not an array", pparse(&pb, "{\"streams\":["
	    "{\"stream\":{},\"values\":{}}]}") < 0);
	CHECK("push bad label name", pparse(&pb, "{\"streams\":["
	    "{\"stream\":{\"a b\":\"c\"},\"values\":[]}]}") < 0 &&
	    strstr(err, "label name") != NULL);
	CHECK("push metadata not an object", pparse(&pb, "{\"streams\":["
	    "{\"stream\":{},\"values\":[[\"1\",\"x\",\"m\"]]}]}") < 0);
	CHECK("push tenant not a string", pparse(&pb, "{\"tenant\":1,"
	    "\"streams\":[]}") < 0);
	CHECK("push truncated", pparse(&pb, "{\"streams\":[{\"stream\":{},"
	    "\"values\":[[\"1\",\"x\"]") < 0);
	{
		/* many values with metadata: the arrays grow */
		struct buf b = { 0 };
		int i;

		buf_puts(&b, "{\"streams\":[{\"stream\":{\"a\":\"b\"},"
		    "\"values\":[");
		for (i = 0; i < 500; i++) {
			if (i)
				buf_putc(&b, ',');
			buf_puts(&b, "[\"1\",\"l\",{\"m\":\"");
			buf_putu64(&b, (uint64_t)i);
			buf_puts(&b, "\"}]");
		}
		buf_puts(&b, "]}]}");
		ok = push_parse(&pb, b.p, b.len, &err) == 0 &&
		    pb.nvalues == 500 && pb.nmeta == 500 &&
		    str_eq(pb.meta[pb.values[499].meta_off].value, "499");
		CHECK("push 500 values with metadata", ok);
		buf_free(&b);
	}
	push_free(&pb);
}

int
main(void)
{
	entries();
	duplicates();
	control();
	changes();
	writers();
	errors();
	peek();
	pushes();
	rec_parser_free(&ps);
	return failed ? 1 : 0;
}
