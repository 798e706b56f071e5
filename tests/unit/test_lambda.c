/* test_lambda.c: lib/lambda — event compaction, acks and crash notices,
 * partial batch failures, error bodies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "lambda.h"

static int failed;

#define CHECK(name, cond) do {						\
	if (cond)							\
		printf("ok lambda %s\n", (name));			\
	else {								\
		printf("not ok lambda %s (line %d)\n", (name), __LINE__);\
		failed++;						\
	}								\
} while (0)

static struct buf out;

static int
compact(const char *in, const char *want)
{
	int r;

	out.len = 0;
	r = lambda_compact(&out, in, strlen(in));
	buf_cstr(&out);
	if (strcmp(out.p, want) != 0) {
		fprintf(stderr, "# got  %s\n# want %s\n", out.p, want);
		return -2;
	}
	return r;
}

static int
items(const char *err, const char *want)
{
	int r;

	out.len = 0;
	r = lambda_item_failures(&out, (struct str){ err, strlen(err) });
	buf_cstr(&out);
	if (want != NULL && strcmp(out.p, want) != 0) {
		fprintf(stderr, "# got  %s\n# want %s\n", out.p, want);
		return -2;
	}
	return r;
}

static void
test_compact(void)
{
	CHECK("compact: whitespace outside strings goes",
	    compact("{\n  \"a\" : [ 1, 2 ],\r\n\t\"b\": {} }\n",
	    "{\"a\":[1,2],\"b\":{}}") == 0);
	CHECK("compact: strings kept byte for byte",
	    compact("{\"a b\": \" x  y \\\" \\\\ \"}",
	    "{\"a b\":\" x  y \\\" \\\\ \"}") == 0);
	CHECK("compact: raw control bytes in strings escaped",
	    compact("{\"a\":\"x\ty\nz\x01\"}",
	    "{\"a\":\"x\\u0009y\\u000az\\u0001\"}") == 0);
	CHECK("compact: UTF-8 untouched",
	    compact("[ \"h\xc3\xa9\" ]", "[\"h\xc3\xa9\"]") == 0);
	CHECK("compact: empty and blank",
	    compact("", "") == 0 && compact(" \n\t ", "") == 0);
	CHECK("compact: unterminated string reported",
	    compact("{\"a\":\"b", "{\"a\":\"b") == -1);
	CHECK("compact: backslash at the end kept as a character",
	    compact("\"a\\", "\"a\\\\") == -1);
}

static void
test_ack(void)
{
	struct buf scratch = { 0 };
	struct lambda_ack a;
	const char *err;
	const char *l;

	l = "{\"ack\":\"r1\",\"ok\":true,\"entries\":12,\"bytes\":345}";
	CHECK("ack ok", lambda_ack_parse(l, strlen(l), &scratch, &a, &err) ==
	    LA_ACK && a.ok == 1 && str_eq(a.token, "r1") && a.entries == 12 &&
	    a.bytes == 345 && a.error.n == 0);
	l = "{\"ack\":\"r\\u00e92\",\"ok\":false,"
	    "\"error\":\"loki: \\\"x\\\"\"}";
	CHECK("ack failed, escapes decoded",
	    lambda_ack_parse(l, strlen(l), &scratch, &a, &err) == LA_ACK &&
	    a.ok == 0 && str_eq(a.token, "r\xc3\xa9" "2") &&
	    str_eq(a.error, "loki: \"x\""));
	l = "{\"crash\":\"relabel\",\"status\":256,\"signal\":9}";
	CHECK("crash notice", lambda_ack_parse(l, strlen(l), &scratch, &a,
	    &err) == LA_CRASH && str_eq(a.stage, "relabel") &&
	    a.status == 256 && a.sig == 9);
	l = "{\"ack\":\"r1\",\"ok\":\"yes\"}";
	CHECK("ok not a boolean refused",
	    lambda_ack_parse(l, strlen(l), &scratch, &a, &err) == -1);
	l = "{\"ack\":\"r1\"}";
	CHECK("ack without ok refused",
	    lambda_ack_parse(l, strlen(l), &scratch, &a, &err) == -1);
	l = "{\"flush\":\"r1\"}";
	CHECK("a flush marker is not an ack",
	    lambda_ack_parse(l, strlen(l), &scratch, &a, &err) == -1);
	l = "{\"ack\":\"r1\",\"ok\":true";
	CHECK("truncated line refused",
	    lambda_ack_parse(l, strlen(l), &scratch, &a, &err) == -1 &&
	    err != NULL);
	l = "{\"ack\":\"r1\",\"ok\":true,\"extra\":[1,{\"x\":null}]}";
	CHECK("unknown fields skipped",
	    lambda_ack_parse(l, strlen(l), &scratch, &a, &err) == LA_ACK);
	out.len = 0;
	lambda_crash_write(&out, "loki-push", 100, 0);
	buf_cstr(&out);
	CHECK("crash notice written", strcmp(out.p,
	    "{\"crash\":\"loki-push\",\"status\":100,\"signal\":0}\n") == 0);
	buf_free(&scratch);
}

static void
test_items(void)
{
	CHECK("items: SQS messages, each once",
	    items("sqs:m-1: s3://b/k: HTTP 403; sqs:m-2: bad; sqs:m-1: again",
	    "{\"batchItemFailures\":[{\"itemIdentifier\":\"m-1\"},"
	    "{\"itemIdentifier\":\"m-2\"}]}") == 2);
	CHECK("items: after the stage name",
	    items("aws-decode: sqs:m-9: unknown event",
	    "{\"batchItemFailures\":[{\"itemIdentifier\":\"m-9\"}]}") == 1);
	CHECK("items: Kinesis sequence numbers",
	    items("kinesis:4959001: bad data; kinesis:4959002: bad data",
	    "{\"batchItemFailures\":[{\"itemIdentifier\":\"4959001\"},"
	    "{\"itemIdentifier\":\"4959002\"}]}") == 2);
	CHECK("items: a reason naming no item fails it all",
	    items("sqs:m-1: bad; loki: HTTP 500: down", "") == -1);
	CHECK("items: Loki's error alone fails it all",
	    items("loki: HTTP 400: entry too far behind", "") == -1);
	CHECK("items: empty error", items("", "") == -1);
	CHECK("items: empty id refused", items("sqs:: bad", "") == -1);
	CHECK("items: no colon after the id refused",
	    items("sqs:m-1 bad", "") == -1);
	CHECK("items: trailing separator refused",
	    items("sqs:m-1: bad; ", "") == -1);
	CHECK("items: a reason with '; ' inside fails it all (safe side)",
	    items("sqs:m-1: a; b", "") == -1);
}

int
main(void)
{
	test_compact();
	test_ack();
	test_items();
	out.len = 0;
	lambda_error_body(&out, "lokipipe.Error",
	    (struct str){ "loki: \"x\"\n", 10 });
	buf_cstr(&out);
	CHECK("error body", strcmp(out.p, "{\"errorMessage\":\"loki: \\\"x\\\""
	    "\\n\",\"errorType\":\"lokipipe.Error\"}") == 0);
	buf_free(&out);
	return failed ? 1 : 0;
}
