/* test_lokiproto.c: push encoding (decoded again with protobuf-c and
 * snappy), the retry policy, Retry-After and URL checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include "check.h"
#include "util.h"
#include "entry.h"
#include "lokiproto.h"
#include "push.pb-c.h"

static const char body1[] =
    "{\"tenant\":\"t\",\"streams\":["
    "{\"stream\":{\"job\":\"x\",\"a\":\"q\\\"u\\\\o\\nte\"},"
    "\"values\":[[\"1700000000123456789\",\"l1\"],"
    "[\"1700000001000000000\",\"l\\u00e92\",{\"trace_id\":\"abc\","
    "\"k\":\"v\"}]]},"
    "{\"stream\":{\"job\":\"empty\"},\"values\":[]},"
    "{\"stream\":{\"z\":\"1\"},\"values\":[[\"5\",\"\"]]}]}";

static int
bin_is(ProtobufCBinaryData b, const char *s)
{
	return b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

static Logproto__PushRequest *
decode(struct buf *out)
{
	size_t n = 0;
	char *raw;
	Logproto__PushRequest *r;

	if (snappy_uncompressed_length(out->p, out->len, &n) != SNAPPY_OK)
		return NULL;
	raw = xmalloc(n + 1);
	if (snappy_uncompress(out->p, out->len, raw, &n) != SNAPPY_OK) {
		free(raw);
		return NULL;
	}
	r = logproto__push_request__unpack(NULL, n, (uint8_t *)raw);
	free(raw);
	return r;
}

static void
test_proto(void)
{
	struct push p = {0};
	struct lokienc e = {0};
	struct buf out = {0};
	Logproto__PushRequest *r;
	Logproto__EntryAdapter *en;
	const char *err = NULL;
	int i, ok;

	CHECK(push_parse(&p, body1, sizeof(body1) - 1, &err) == 0,
	    "proto: test body parses");
	/* twice: the second run reuses the arrays */
	for (i = 0; i < 2; i++) {
		CHECK(lokienc_proto(&e, &p, &out, &err) == 0,
		    "proto: encodes");
		r = decode(&out);
		CHECK(r != NULL, "proto: snappy block + PushRequest decode");
		if (r == NULL)
			continue;
		CHECK(r->n_streams == 2, "proto: empty stream left out");
		CHECK(bin_is(r->streams[0]->labels,
		    "{a=\"q\\\"u\\\\o\\nte\", job=\"x\"}"),
		    "proto: labels sorted, quoted as Loki parses them");
		CHECK(r->streams[0]->n_entries == 2, "proto: two entries");
		en = r->streams[0]->entries[0];
		CHECK(en->timestamp != NULL &&
		    en->timestamp->seconds == 1700000000 &&
		    en->timestamp->nanos == 123456789,
		    "proto: ns timestamp split into seconds and nanos");
		CHECK(bin_is(en->line, "l1"), "proto: line");
		CHECK(en->n_structuredmetadata == 0, "proto: no metadata");
		en = r->streams[0]->entries[1];
		CHECK(en->timestamp->seconds == 1700000001 &&
		    en->timestamp->nanos == 0, "proto: whole second");
		CHECK(bin_is(en->line, "l\xc3\xa9" "2"), "proto: UTF-8 line");
		ok = en->n_structuredmetadata == 2 &&
		    bin_is(en->structuredmetadata[0]->name, "trace_id") &&
		    bin_is(en->structuredmetadata[0]->value, "abc") &&
		    bin_is(en->structuredmetadata[1]->name, "k") &&
		    bin_is(en->structuredmetadata[1]->value, "v");
		CHECK(ok, "proto: structured metadata in order");
		CHECK(bin_is(r->streams[1]->labels, "{z=\"1\"}") &&
		    r->streams[1]->n_entries == 1 &&
		    r->streams[1]->entries[0]->timestamp->seconds == 0 &&
		    r->streams[1]->entries[0]->timestamp->nanos == 5 &&
		    r->streams[1]->entries[0]->line.len == 0,
		    "proto: tiny timestamp, empty line");
		logproto__push_request__free_unpacked(r, NULL);
	}
	lokienc_free(&e);
	buf_free(&out);
	push_free(&p);
}

static void
test_proto_empty(void)
{
	struct push p = {0};
	struct lokienc e = {0};
	struct buf out = {0};
	Logproto__PushRequest *r;
	const char *err = NULL;

	CHECK(push_parse(&p, "{\"streams\":[]}", 14, &err) == 0,
	    "empty: parses");
	CHECK(lokienc_proto(&e, &p, &out, &err) == 0, "empty: encodes");
	r = decode(&out);
	CHECK(r != NULL && r->n_streams == 0, "empty: no streams");
	if (r != NULL)
		logproto__push_request__free_unpacked(r, NULL);
	lokienc_free(&e);
	buf_free(&out);
	push_free(&p);
}

static void
test_proto_big(void)
{
	struct push p = {0};
	struct lokienc e = {0};
	struct buf in = {0}, out = {0};
	Logproto__PushRequest *r;
	const char *err = NULL;
	size_t i, n = 5000, total = 0, s;

	buf_puts(&in, "{\"streams\":[");
	for (s = 0; s < 3; s++) {
		if (s > 0)
			buf_putc(&in, ',');
		buf_puts(&in, "{\"stream\":{\"s\":\"");
		buf_putu64(&in, s);
		buf_puts(&in, "\"},\"values\":[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_putc(&in, ',');
			buf_puts(&in, "[\"");
			buf_putu64(&in, 1700000000000000000ull + i);
			buf_puts(&in, "\",\"line ");
			buf_putu64(&in, i);
			buf_puts(&in, "\",{\"m\":\"x\"}]");
		}
		buf_puts(&in, "]}");
	}
	buf_puts(&in, "]}");
	CHECK(push_parse(&p, in.p, in.len, &err) == 0, "big: parses");
	CHECK(lokienc_proto(&e, &p, &out, &err) == 0, "big: encodes");
	r = decode(&out);
	CHECK(r != NULL && r->n_streams == 3, "big: decodes, 3 streams");
	if (r != NULL) {
		for (s = 0; s < r->n_streams; s++) {
			total += r->streams[s]->n_entries;
			if (r->streams[s]->entries[n - 1]->timestamp->nanos !=
			    (int32_t)(n - 1))
				total = 0;
		}
		CHECK(total == 3 * n,
		    "big: every entry, last timestamps right");
		logproto__push_request__free_unpacked(r, NULL);
	}
	lokienc_free(&e);
	buf_free(&in);
	buf_free(&out);
	push_free(&p);
}

static void
test_json(void)
{
	struct push p = {0};
	struct buf out = {0};
	const char *err = NULL;
	static const char want[] =
	    "{\"streams\":[{\"stream\":"
	    "{\"job\":\"x\",\"a\":\"q\\\"u\\\\o\\nte\"},"
	    "\"values\":[[\"1700000000123456789\",\"l1\"],"
	    "[\"1700000001000000000\",\"l\xc3\xa9" "2\",{\"trace_id\":\"abc\","
	    "\"k\":\"v\"}]]},"
	    "{\"stream\":{\"z\":\"1\"},\"values\":[[\"5\",\"\"]]}]}";

	CHECK(push_parse(&p, body1, sizeof(body1) - 1, &err) == 0,
	    "json: parses");
	lokienc_json(&p, &out);
	CHECK(out.len == sizeof(want) - 1 && memcmp(out.p, want, out.len) == 0,
	    "json: Loki's JSON body, no tenant, empty stream left out");
	if (out.len != sizeof(want) - 1 || memcmp(out.p, want, out.len) != 0)
		printf("# got  %.*s\n# want %s\n", (int)out.len, out.p, want);
	buf_free(&out);
	push_free(&p);
}

static void
test_backoff(void)
{
	struct backoff b;
	int64_t d, lo, hi;
	int i, ok = 1;

	backoff_init(&b, 100, 30000, 10);
	for (i = 0; i < 10; i++) {
		hi = 100LL << i;
		if (hi > 30000)
			hi = 30000;
		lo = hi / 2;
		d = backoff_next(&b, -1);
		if (d < lo || d > hi)
			ok = 0;
	}
	CHECK(ok, "backoff: delay k in [min*2^k/2, min*2^k], capped");
	CHECK(backoff_next(&b, -1) == -1, "backoff: none after max retries");
	backoff_init(&b, 100, 30000, 3);
	CHECK(backoff_next(&b, 5000) == 5000, "backoff: Retry-After wins");
	CHECK(backoff_next(&b, 90000) == 30000,
	    "backoff: Retry-After capped at max");
	backoff_init(&b, 100, 30000, 0);
	CHECK(backoff_next(&b, -1) == -1, "backoff: 0 retries");
	CHECK(http_retryable(429) && http_retryable(500) &&
	    http_retryable(503) && http_retryable(599) && http_retryable(-1),
	    "retryable: 429, 5xx, no response");
	CHECK(!http_retryable(400) && !http_retryable(401) &&
	    !http_retryable(404) && !http_retryable(413) &&
	    !http_retryable(204) && !http_retryable(-2),
	    "not retryable: other 4xx, 2xx, a request not made");
}

static void
test_retry_after(void)
{
	time_t t0 = 1445412470;	/* Wed, 21 Oct 2015 07:27:50 GMT */

	CHECK(retry_after_ms("3", 1, t0) == 3000, "retry-after: seconds");
	CHECK(retry_after_ms(" 12\r\n", 5, t0) == 12000,
	    "retry-after: header value with spaces and CRLF");
	CHECK(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 29, t0) ==
	    10000, "retry-after: HTTP-date");
	CHECK(retry_after_ms("Wed, 21 Oct 2015 07:00:00 GMT", 29, t0) == 0,
	    "retry-after: date in the past");
	CHECK(retry_after_ms("soon", 4, t0) == -1, "retry-after: garbage");
	CHECK(retry_after_ms("", 0, t0) == -1, "retry-after: empty");
	CHECK(retry_after_ms("1.5", 3, t0) == -1, "retry-after: fraction");
}

static void
test_url(void)
{
	const char *why;

	CHECK(lokihttp_url_ok("http://127.0.0.1:3100/loki/api/v1/push",
	    &why) == 0, "url: http");
	CHECK(lokihttp_url_ok("HTTPS://logs.example.com/loki/api/v1/push",
	    &why) == 0, "url: https, any case");
	CHECK(lokihttp_url_ok("ftp://h/x", &why) < 0, "url: ftp refused");
	CHECK(lokihttp_url_ok("localhost:3100/loki", &why) < 0,
	    "url: no scheme refused");
	CHECK(lokihttp_url_ok("http://", &why) < 0, "url: no host refused");
}

int
main(void)
{
	test_proto();
	test_proto_empty();
	test_proto_big();
	test_json();
	test_backoff();
	test_retry_after();
	test_url();
	return CHECK_DONE();
}
