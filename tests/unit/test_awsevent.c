/* test_awsevent.c: lib/awsevent's helpers and decoder, through its API. */
#include <stdio.h>
#include <string.h>
#include "util.h"
#include "json.h"
#include "entry.h"
#include "awsevent.h"

static int failed;

#define CHECK(name, cond) do {						\
	if (cond)							\
		printf("ok awsevent %s\n", name);			\
	else {								\
		printf("not ok awsevent %s\n", name);			\
		failed++;						\
	}								\
} while (0)

/* What the emit callback saw: "ts|name=value,...|line\n" per line. */
static struct buf seen;
static int stop_after = -1;

static int
collect(void *arg, uint64_t ts, const struct label *l, size_t n, int same,
    struct str line)
{
	size_t	 i;

	(void)arg;
	if (stop_after == 0)
		return -1;
	if (stop_after > 0)
		stop_after--;
	buf_putu64(&seen, ts);
	buf_putc(&seen, '|');
	for (i = 0; i < n; i++) {
		buf_put(&seen, l[i].name.p, l[i].name.n);
		buf_putc(&seen, '=');
		buf_put(&seen, l[i].value.p, l[i].value.n);
		buf_putc(&seen, i + 1 < n ? ',' : '|');
	}
	buf_putc(&seen, same ? 's' : 'n');
	buf_putc(&seen, '|');
	buf_put(&seen, line.p, line.n);
	buf_putc(&seen, '\n');
	return 0;
}

static int
url_is(const char *in, const char *want)
{
	struct buf	 b = { 0 };
	int		 r;

	r = awsev_url_decode(&b, in, strlen(in)) == 0 &&
	    b.len == strlen(want) && memcmp(b.p, want, b.len) == 0;
	buf_free(&b);
	return r;
}

static int
url_bad(const char *in)
{
	struct buf	 b = { 0 };
	int		 r;

	buf_puts(&b, "keep");
	r = awsev_url_decode(&b, in, strlen(in)) == -1 && b.len == 4;
	buf_free(&b);
	return r;
}

static int
time_is(const char *in, uint64_t want)
{
	uint64_t ns = 0;

	return awsev_rfc3339(in, strlen(in), &ns) == 0 && ns == want;
}

static int
time_bad(const char *in)
{
	uint64_t ns = 0;

	return awsev_rfc3339(in, strlen(in), &ns) == -1;
}

/* Decodes text; returns the decoder's result, fills seen and errs. */
static int
run(struct awsev *a, struct errs *e, const char *text)
{
	awsev_init(a);
	errs_clear(e);
	a->prefix = "t: ";
	a->errs = e;
	a->emit = collect;
	a->s3_err = "none here";
	seen.len = 0;
	return awsev_decode_text(a, text, strlen(text));
}

static int
err_is(struct errs *e, const char *want)
{
	struct str s = errs_get(e);

	if (s.n != strlen(want) || memcmp(s.p, want, s.n) != 0) {
		printf("# errors: %.*s\n", (int)s.n, s.p);
		return 0;
	}
	return 1;
}

static int
seen_is(const char *want)
{
	if (seen.len != strlen(want) || memcmp(seen.p, want, seen.len) != 0) {
		printf("# seen: %.*s\n", (int)seen.len, seen.p);
		return 0;
	}
	return 1;
}

int
main(void)
{
	struct awsev	 a;
	struct errs	 e;
	struct buf	 doc = { 0 }, tmp = { 0 };
	int		 i, r;

	memset(&e, 0, sizeof(e));
	CHECK("url plain", url_is("a/b.log", "a/b.log"));
	CHECK("url plus is space", url_is("my+logs/a+b", "my logs/a b"));
	CHECK("url %2B is plus", url_is("a%2Bb", "a+b"));
	CHECK("url utf-8", url_is("caf%C3%A9%20%E2%9C%93", "caf\xc3\xa9 "
	    "\xe2\x9c\x93"));
	CHECK("url lower hex", url_is("%e2%9c%93", "\xe2\x9c\x93"));
	CHECK("url %25", url_is("100%25", "100%"));
	CHECK("url bad hex", url_bad("a%zz"));
	CHECK("url cut escape", url_bad("a%4"));
	CHECK("url lone percent", url_bad("a%"));

	CHECK("time Z", time_is("2023-08-25T17:41:58Z",
	    1692985318000000000ULL));
	CHECK("time millis", time_is("2015-06-03T17:43:27.123Z",
	    1433353407123000000ULL));
	CHECK("time nanos", time_is("2024-05-01T10:04:05.000000001Z",
	    1714557845000000001ULL));
	CHECK("time more than nanos cut", time_is(
	    "2024-05-01T10:04:05.0000000019Z", 1714557845000000001ULL));
	CHECK("time offset", time_is("2024-05-01T12:03:04.5+02:00",
	    1714557784500000000ULL));
	CHECK("time negative offset", time_is("2024-05-01T05:00:00-05:00",
	    1714557600000000000ULL));
	CHECK("time epoch", time_is("1970-01-01T00:00:00Z", 0));
	CHECK("time no zone", time_bad("2024-05-01T10:00:00"));
	CHECK("time bad month", time_bad("2024-13-01T10:00:00Z"));
	CHECK("time junk after", time_bad("2024-05-01T10:00:00Zjunk"));
	CHECK("time empty fraction", time_bad("2024-05-01T10:00:00.Z"));
	CHECK("time short", time_bad("2024-05-01"));

	/* Kinesis plain text: lines, CRLF, blank lines, arrival time */
	r = run(&a, &e, "{\"Records\":[{\"eventSource\":\"aws:kinesis\","
	    "\"eventSourceARN\":\"arn:k\",\"kinesis\":{\"sequenceNumber\":"
	    "\"7\",\"approximateArrivalTimestamp\":1.5e9,\"data\":"
	    "\"b25lDQoKdHdvCg==\"}}]}");
	CHECK("kinesis text", r == 0 && seen_is(
	    "1500000000000000000|__aws_log_type=kinesis,"
	    "__aws_kinesis_event_source_arn=arn:k|n|one\n"
	    "1500000000000000000|__aws_log_type=kinesis,"
	    "__aws_kinesis_event_source_arn=arn:k|s|two\n") &&
	    a.lines == 2 && a.events == 1);
	awsev_free(&a);

	/* the S3 test event: nothing, no error */
	r = run(&a, &e, "{\"Service\":\"Amazon S3\",\"Event\":"
	    "\"s3:TestEvent\"}");
	CHECK("s3 test event", r == 0 && seen.len == 0 && e.n == 0);
	awsev_free(&a);

	/* an S3 record without a fetcher: the reason, the decoded key */
	r = run(&a, &e, "{\"Records\":[{\"eventSource\":\"aws:s3\","
	    "\"awsRegion\":\"eu-west-1\",\"s3\":{\"bucket\":{\"name\":\"b\"},"
	    "\"object\":{\"key\":\"x+y%2Fz\"}}}]}");
	CHECK("s3 without fetcher", r == 1 &&
	    err_is(&e, "t: s3://b/x y/z: S3 is not available: none here"));
	awsev_free(&a);

	/* an S3 record that lacks its key */
	r = run(&a, &e, "{\"Records\":[{\"eventSource\":\"aws:s3\","
	    "\"s3\":{\"bucket\":{\"name\":\"b\"}}}]}");
	CHECK("s3 without key", r == 1 && err_is(&e, "t: S3 record without "
	    "s3.bucket.name or s3.object.key"));
	awsev_free(&a);

	/* CloudWatch data that is not a string */
	r = run(&a, &e, "{\"awslogs\":{\"data\":42}}");
	CHECK("awslogs.data not a string", r == 1 &&
	    err_is(&e, "t: cloudwatch: awslogs.data is not a string"));
	awsev_free(&a);

	/* several values in one text, the second one broken */
	r = run(&a, &e, "{\"Event\":\"s3:TestEvent\"} {\"a\":");
	CHECK("broken second value", r == 1 && a.events == 1 && e.n == 1);
	awsev_free(&a);

	/* SQS nested 12 deep: stops at the cap with a reason that names
	 * every message on the way */
	buf_puts(&doc, "plain line");
	for (i = 0; i < 12; i++) {
		tmp.len = 0;
		buf_puts(&tmp, "{\"Records\":[{\"eventSource\":\"aws:sqs\","
		    "\"messageId\":\"m\",\"body\":");
		jw_str(&tmp, doc.p, doc.len);
		buf_puts(&tmp, "}]}");
		doc.len = 0;
		buf_put(&doc, tmp.p, tmp.len);
	}
	r = run(&a, &e, buf_cstr(&doc));
	CHECK("nesting capped", r == 1 && seen.len == 0 && e.n == 1 &&
	    err_is(&e, "t: sqs:m: sqs:m: sqs:m: sqs:m: sqs:m: sqs:m: "
	    "sqs:m: sqs:m: sqs:m: events nested too deep"));
	awsev_free(&a);

	/* 8 deep is fine: the line comes out with the queue's labels */
	doc.len = 0;
	buf_puts(&doc, "plain line");
	for (i = 0; i < 8; i++) {
		tmp.len = 0;
		buf_puts(&tmp, "{\"Records\":[{\"eventSource\":\"aws:sqs\","
		    "\"messageId\":\"m\",\"eventSourceARN\":\"q\","
		    "\"attributes\":{\"SentTimestamp\":\"5\"},\"body\":");
		jw_str(&tmp, doc.p, doc.len);
		buf_puts(&tmp, "}]}");
		doc.len = 0;
		buf_put(&doc, tmp.p, tmp.len);
	}
	r = run(&a, &e, buf_cstr(&doc));
	CHECK("nesting 8 deep", r == 0 && seen_is("5000000|__aws_log_type=sqs,"
	    "__aws_sqs_event_source_arn=q|n|plain line\n"));
	awsev_free(&a);

	/* emit asking to stop: -1, and nothing after */
	stop_after = 1;
	r = run(&a, &e, "{\"Records\":[{\"eventSource\":\"aws:kinesis\","
	    "\"kinesis\":{\"data\":\"YQpiCmMK\"}}]}");
	CHECK("emit stops", r == -1 && a.lines == 1 && a.stop);
	awsev_free(&a);
	stop_after = -1;

	/* documents over lines */
	{
		struct awsev_doc d;
		struct str	 t;

		memset(&d, 0, sizeof(d));
		d.max = 64;
		CHECK("doc alone on its line", awsev_doc_line(&d, "{\"a\":1}",
		    7, 1, &t) == AWSEV_DOC_READY && t.n == 7);
		CHECK("doc blank line", awsev_doc_line(&d, "  ", 2, 2, &t) ==
		    AWSEV_DOC_MORE && !d.started);
		CHECK("doc opens", awsev_doc_line(&d, "{", 1, 3, &t) ==
		    AWSEV_DOC_MORE && d.first == 3);
		CHECK("doc brackets in strings", awsev_doc_line(&d,
		    " \"k\": \"}]\\\"{\",", 14, 4, &t) == AWSEV_DOC_MORE);
		r = awsev_doc_line(&d, "}", 1, 5, &t);
		CHECK("doc closes", r == AWSEV_DOC_READY && t.n == 18 &&
		    memcmp(t.p, "{\n \"k\": \"}]\\\"{\",\n}", 18) == 0);
		CHECK("doc two on a line", awsev_doc_line(&d, "{} [1]", 6, 6,
		    &t) == AWSEV_DOC_READY && t.n == 6);
		CHECK("doc string past the line", awsev_doc_line(&d,
		    "{\"a\":\"b", 7, 7, &t) == AWSEV_DOC_READY);
		(void)awsev_doc_line(&d, "[", 1, 8, &t);
		CHECK("doc abandon", awsev_doc_abandon(&d) == 1 &&
		    awsev_doc_abandon(&d) == 0);
		(void)awsev_doc_line(&d, "[", 1, 9, &t);
		CHECK("doc over the cap", awsev_doc_line(&d,
		    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",", 71, 10, &t) ==
		    AWSEV_DOC_OVER && d.first == 9);
		CHECK("doc over: skipped to its end",
		    awsev_doc_line(&d, "1,", 2, 11, &t) == AWSEV_DOC_MORE &&
		    awsev_doc_line(&d, "]", 1, 12, &t) == AWSEV_DOC_MORE &&
		    !d.started);
		CHECK("doc over: not unfinished", awsev_doc_abandon(&d) == 0);
		(void)awsev_doc_line(&d, "{\"a\":", 5, 13, &t);
		r = awsev_doc_end(&d, &t);
		CHECK("doc end: unfinished handed back",
		    r == AWSEV_DOC_READY && t.n == 6);
		CHECK("doc end: nothing held", awsev_doc_end(&d, &t) ==
		    AWSEV_DOC_MORE);
		awsev_doc_free(&d);
	}

	buf_free(&doc);
	buf_free(&tmp);
	buf_free(&seen);
	errs_clear(&e);
	buf_free(&e.b);
	return failed != 0;
}
