/*
 * test_s3fmt.c: key layouts (lambda-promtail's getLabels cases and the
 * layouts it misses), timestamp parsers, per-format lines and the
 * CloudTrail record splitter fed in pieces of every size.
 */
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "aws.h"
#include "s3fmt.h"
#include "s3log.h"
#include "check.h"

static int
streq(struct str s, const char *want)
{
	if (want == NULL)
		return s.n == 0;
	return s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

/* rc, log_type, src, owner; NULL log_type when rc != 0 */
static void
key_is(const char *name, const char *key, int want_rc, const char *type,
    const char *src, const char *owner)
{
	struct s3key k;
	const char *err = NULL;
	char n[256];
	int rc;

	rc = s3key_parse(key, strlen(key), &k, &err);
	(void)snprintf(n, sizeof(n), "s3key %s", name);
	if (want_rc != 0) {
		CHECK(rc == want_rc && (rc != -1 || err != NULL), n);
		return;
	}
	CHECK(rc == 0 && k.log_type != NULL && strcmp(k.log_type, type) ==
	    0 && streq(k.src, src) && streq(k.owner, owner), n);
	if (!(rc == 0 && k.log_type != NULL))
		return;
	if (strcmp(k.log_type, type) != 0 || !streq(k.src, src) ||
	    !streq(k.owner, owner))
		printf("# got %s src=%.*s owner=%.*s\n", k.log_type,
		    (int)k.src.n, k.src.p, (int)k.owner.n, k.owner.p);
}

static void
keys(void)
{
	/* lambda-promtail's getLabels cases */
	key_is("alb", "my-bucket/AWSLogs/123456789012/elasticloadbalancing/"
	    "us-east-1/2022/01/24/123456789012_elasticloadbalancing_us-east-1"
	    "_app.my-loadbalancer.b13ea9d19f16d015_20220124T0000Z_0.0.0.0_"
	    "2et2e1mx.log.gz", 0, "s3_lb", "my-loadbalancer", "123456789012");
	key_is("alb health check", "my-bucket/AWSLogs/123456789012/"
	    "elasticloadbalancing/us-east-2/2022/05/01/health_check_log_"
	    "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer."
	    "1234567890abcdef_20220215T2340Z_172.160.001.192_20sg8hgm.log.gz",
	    0, "s3_lb", "my-loadbalancer", "123456789012");
	key_is("nlb", "my-bucket/prefix/AWSLogs/123456789012/"
	    "elasticloadbalancing/us-east-2/2016/05/01/123456789012_"
	    "elasticloadbalancing_us-east-2_net.my-loadbalancer."
	    "1234567890abcdef_201605010000Z_2soosksi.log.gz", 0, "s3_lb",
	    "my-loadbalancer", "123456789012");
	key_is("guardduty", "AWSLogs/123456789012/GuardDuty/us-east-1/2024/"
	    "05/30/07a3f2ce-1485-3031-b842-e1f324c4a48d.jsonl.gz", 0,
	    "s3_guardduty", NULL, "123456789012");
	key_is("s3 access", "123456789012/us-east-1/"
	    "amzn-s3-demo-source-bucket/2023/03/01/2023-03-01-21-32-16-"
	    "E568B2907131C0C0", 0, "s3_access", "amzn-s3-demo-source-bucket",
	    "123456789012");
	key_is("vpc flow", "my-bucket/AWSLogs/123456789012/vpcflowlogs/"
	    "us-east-1/2022/01/24/123456789012_vpcflowlogs_us-east-1_"
	    "fl-1234abcd_20180620T1620Z_fe123456.log.gz", 0, "s3_vpc_flow",
	    "fl-1234abcd", "123456789012");
	key_is("vpc flow govcloud", "my-bucket/AWSLogs/123456789012/"
	    "vpcflowlogs/us-gov-east-1/2022/01/24/123456789012_vpcflowlogs_"
	    "us-gov-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz", 0,
	    "s3_vpc_flow", "fl-1234abcd", "123456789012");
	key_is("cloudtrail digest", "my-bucket/AWSLogs/123456789012/"
	    "CloudTrail-Digest/us-east-1/2022/01/24/123456789012_CloudTrail-"
	    "Digest_us-east-1_20220124T0000Z_4jhzXFO2Jlvu2b3y.json.gz", 1,
	    NULL, NULL, NULL);
	key_is("cloudtrail", "my-bucket/AWSLogs/123456789012/CloudTrail/"
	    "us-east-1/2022/01/24/123456789012_CloudTrail_us-east-1_"
	    "20220124T0000Z_4jhzXFO2Jlvu2b3y.json.gz", 0, "s3_cloudtrail",
	    "4jhzXFO2Jlvu2b3y", "123456789012");
	key_is("cloudtrail organization", "my-bucket/AWSLogs/o-test123456/"
	    "123456789012/CloudTrail/us-east-1/2022/01/24/123456789012_"
	    "CloudTrail_us-east-1_20220124T0000Z_4jhzXFO2Jlvu2b3y.json.gz", 0,
	    "s3_cloudtrail", "4jhzXFO2Jlvu2b3y", "123456789012");
	key_is("cloudfront", "my/bucket/prefix/E2K2LNL5N3WR51.2022-07-18-12."
	    "a10a8496.gz", 0, "s3_cloudfront", "E2K2LNL5N3WR51",
	    "my/bucket/prefix");
	key_is("waf", "prefix/AWSLogs/11111111111/WAFLogs/us-east-1/"
	    "TEST-WEBACL/2021/10/28/19/50/11111111111_waflogs_us-east-1_"
	    "TEST-WEBACL_20211028T1950Z_e0ca43b5.log.gz", 0, "s3_waf",
	    "TEST-WEBACL", "11111111111");
	key_is("waf decoded space", "my prefix/AWSLogs/11111111111/WAFLogs/"
	    "us-gov-east-1/TEST-WEBACL/2021/10/28/19/50/11111111111_waflogs_"
	    "us-gov-east-1_TEST-WEBACL_20211028T1950Z_e0ca43b5.log.gz", 0,
	    "s3_waf", "TEST-WEBACL", "11111111111");
	key_is("msk", "prefix/AWSLogs/111111111111/KafkaBrokerLogs/"
	    "eu-south-2/msk-test-name-7f6b9b77-24f9-4921-87b6-d29a6401e292-3/"
	    "2025-07-04-11/Broker-1_11-55_cab960bb.log.gz", 0, "s3_msk",
	    "msk-test-name-7f6b9b77-24f9-4921-87b6-d29a6401e292-3",
	    "111111111111");
	key_is("missing type", "some-object.json", -1, NULL, NULL, NULL);
	/* layouts lambda-promtail rejects */
	key_is("alb connection log", "b/AWSLogs/123456789012/"
	    "elasticloadbalancing/eu-west-1/2024/01/02/conn_log_123456789012_"
	    "elasticloadbalancing_eu-west-1_app.my-lb.0123456789abcdef_"
	    "20240102T0000Z_10.0.0.1_abcd1234.log.gz", 0, "s3_lb", "my-lb",
	    "123456789012");
	key_is("classic elb", "AWSLogs/123456789012/elasticloadbalancing/"
	    "us-west-2/2014/02/15/123456789012_elasticloadbalancing_us-west-2_"
	    "my-classic-lb_20140215T2340Z_172.160.001.192_20sg8hgm.log", 0,
	    "s3_lb", "my-classic-lb", "123456789012");
	key_is("classic elb named app-ish", "AWSLogs/123456789012/"
	    "elasticloadbalancing/us-west-2/2014/02/15/123456789012_"
	    "elasticloadbalancing_us-west-2_application-lb_20140215T2340Z_"
	    "172.160.001.192_20sg8hgm.log", 0, "s3_lb", "application-lb",
	    "123456789012");
	key_is("vpc flow hourly", "fl/AWSLogs/123456789012/vpcflowlogs/"
	    "us-east-1/2024/03/05/17/123456789012_vpcflowlogs_us-east-1_"
	    "fl-0abc_20240305T1700Z_fe123456.log.gz", 0, "s3_vpc_flow",
	    "fl-0abc", "123456789012");
	key_is("vpc flow hive", "fl/AWSLogs/aws-account-id=123456789012/"
	    "aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=03/"
	    "day=05/hour=17/123456789012_vpcflowlogs_us-east-1_fl-0abc_"
	    "20240305T1700Z_fe123456.log.gz", 0, "s3_vpc_flow", "fl-0abc",
	    "123456789012");
	key_is("vpc flow parquet", "fl/AWSLogs/123456789012/vpcflowlogs/"
	    "us-east-1/2024/03/05/123456789012_vpcflowlogs_us-east-1_fl-0abc_"
	    "20240305T1700Z_fe123456.log.parquet", -1, NULL, NULL, NULL);
	key_is("new partition", "x/AWSLogs/123456789012/elasticloadbalancing/"
	    "aws-global/extra/level/2024/01/02/123456789012_"
	    "elasticloadbalancing_aws-global_app.lb2.01ab_20240102T0000Z_"
	    "10.0.0.1_abcd.log.gz", 0, "s3_lb", "lb2", "123456789012");
	key_is("cloudtrail insight", "AWSLogs/123456789012/CloudTrail-Insight/"
	    "us-east-1/2024/01/02/123456789012_CloudTrail-Insight_us-east-1_"
	    "20240102T0000Z_AbCd.json.gz", 0, "s3_cloudtrail", "AbCd",
	    "123456789012");
	key_is("elb test file", "p/AWSLogs/123456789012/ELBAccessLogTestFile",
	    1, NULL, NULL, NULL);
	key_is("unknown service", "AWSLogs/123456789012/Foo/us-east-1/2024/"
	    "01/02/x.log.gz", -1, NULL, NULL, NULL);
	key_is("AWSLogs inside a word", "notAWSLogs/123456789012/vpcflowlogs/"
	    "us-east-1/2024/01/02/x.log.gz", -1, NULL, NULL, NULL);
	key_is("cloudfront at the root", "E2K2LNL5N3WR51.2022-07-18-12."
	    "a10a8496.gz", 0, "s3_cloudfront", "E2K2LNL5N3WR51", NULL);
	key_is("s3 access, dotted bucket", "logs/123456789012/eu-west-1/"
	    "my.bucket.example/2023/03/01/2023-03-01-21-32-16-E568B29071",
	    0, "s3_access", "my.bucket.example", "123456789012");
}

static int
iso_is(const char *s, uint64_t want)
{
	uint64_t ns = 0;

	return ts_iso8601(s, strlen(s), &ns) == 0 && ns == want;
}

static int
bad_iso(const char *s)
{
	uint64_t ns;

	return ts_iso8601(s, strlen(s), &ns) == -1;
}

static void
times(void)
{
	uint64_t ns = 0;

	CHECK(days_from_civil(1970, 1, 1) == 0, "days epoch");
	CHECK(days_from_civil(2000, 3, 1) == 11017, "days 2000-03-01");
	CHECK(days_from_civil(2024, 2, 29) == 19782, "days leap day");
	CHECK(iso_is("2022-12-06T17:42:16.176563Z", 1670348536176563000ULL),
	    "iso alb micro");
	CHECK(iso_is("2018-12-20T02:59:40", 1545274780000000000ULL),
	    "iso nlb no zone is UTC");
	CHECK(iso_is("2023-05-19T07:44:30Z", 1684482270000000000ULL),
	    "iso cloudtrail");
	CHECK(iso_is("2023-05-19T09:44:30+02:00", 1684482270000000000ULL),
	    "iso offset");
	CHECK(iso_is("2023-05-19T02:44:30-0500", 1684482270000000000ULL),
	    "iso offset no colon");
	CHECK(iso_is("2023-05-19T07:44:30.123456789123Z",
	    1684482270123456789ULL), "iso nanos, extra digits cut");
	CHECK(bad_iso("2023-13-19T07:44:30Z"), "iso bad month");
	CHECK(bad_iso("2023-05-19T07:44:30Zjunk"), "iso trailing junk");
	CHECK(bad_iso("2023-05-19 07:44:30"), "iso space");
	CHECK(bad_iso("1969-12-31T23:59:59Z"), "iso before 1970");
	CHECK(bad_iso("2023-05-19T07:44"), "iso short");
	CHECK(ts_clf("06/Feb/2019:00:00:38 +0000", 26, &ns) == 0 &&
	    ns == 1549411238000000000ULL, "clf");
	CHECK(ts_clf("05/Feb/2019:17:00:38 -0700", 26, &ns) == 0 &&
	    ns == 1549411238000000000ULL, "clf negative offset");
	CHECK(ts_clf("06/Fab/2019:00:00:38 +0000", 26, &ns) == -1,
	    "clf bad month");
	CHECK(ts_datetime("2025-07-04 11:57:55,836", 23, &ns) == 0 &&
	    ns == 1751630275836000000ULL, "msk datetime");
	CHECK(ts_datetime("2023-04-26\t07:25:11", 19, &ns) == 0 &&
	    ns == 1682493911000000000ULL, "cloudfront datetime");
	CHECK(ts_epoch_digits("1693457862729", 13, &ns) == 0 &&
	    ns == 1693457862729000000ULL, "epoch ms");
	CHECK(ts_epoch_digits("1234567890012", 13, &ns) == 0 &&
	    ns == 1234567890012000000ULL, "epoch ms leading zero");
	CHECK(ts_epoch_digits("1234567890", 10, &ns) == 0 &&
	    ns == 1234567890000000000ULL, "epoch s");
	CHECK(ts_epoch_digits("1234567890123456", 16, &ns) == 0 &&
	    ns == 1234567890123456000ULL, "epoch us");
	CHECK(ts_epoch_digits("1234567890123456789", 19, &ns) == 0 &&
	    ns == 1234567890123456789ULL, "epoch ns");
	CHECK(ts_epoch_digits("12a", 3, &ns) == -1, "epoch junk");
}

static int
line_is(struct s3fmt *f, const char *l, int want, uint64_t want_ns)
{
	uint64_t ns = 0;
	int r = s3fmt_line(f, l, strlen(l), &ns);

	return r == want && (r == 0 || ns == want_ns);
}

static void
lines(void)
{
	struct s3fmt f;
	const uint64_t obj = 1700000000000000000ULL;

	s3fmt_init(&f, S3P_VPC, obj);
	CHECK(line_is(&f, "account-id action bytes start end", 0, 0),
	    "vpc custom header skipped");
	CHECK(line_is(&f, "123 ACCEPT 10 1669842701 1669842702", 1,
	    1669842701000000000ULL), "vpc custom start column");
	CHECK(line_is(&f, "123 - - - -", 1, obj) && f.no_ts == 1,
	    "vpc no start: the object's time");

	s3fmt_init(&f, S3P_VPC, obj);
	CHECK(line_is(&f, "version account-id action", 0, 0),
	    "vpc header without start");
	CHECK(line_is(&f, "2 123 ACCEPT", 1, obj), "vpc object time");

	s3fmt_init(&f, S3P_LB, obj);
	CHECK(line_is(&f, "2014-02-15T23:39:43.945958Z my-lb 1.2.3.4:5 -", 1,
	    1392507583945958000ULL), "classic elb 1st field");
	CHECK(line_is(&f, "tls 2.0 2018-12-20T02:59:40 net/x", 1,
	    1545274780000000000ULL), "nlb 3rd field");
	CHECK(line_is(&f, "", 0, 0), "empty line skipped");
	CHECK(line_is(&f, "garbage", 1, obj) && f.no_ts == 1,
	    "lb line without time: the object's time");

	s3fmt_init(&f, S3P_CLOUDFRONT, obj);
	CHECK(line_is(&f, "#Version: 1.0", 0, 0), "cloudfront header");
	CHECK(line_is(&f, "#Fields: date time", 0, 0), "cloudfront fields");
	CHECK(line_is(&f, "2023-04-26\t07:25:11\tABC", 1,
	    1682493911000000000ULL), "cloudfront line");

	s3fmt_init(&f, S3P_WAF, obj);
	CHECK(line_is(&f, "{\"timestamp\":1693457862729,\"a\":1}", 1,
	    1693457862729000000ULL), "waf");

	s3fmt_init(&f, S3P_GUARDDUTY, obj);
	CHECK(line_is(&f, "{\"resource\":{\"s3\":[{\"createdAt\":"
	    "\"2001-01-01T00:00:00Z\"}]},\"createdAt\":"
	    "\"2024-05-30T07:00:00.000Z\",\"updatedAt\":"
	    "\"2024-05-30T08:00:00.000Z\"}", 1, 1717056000000000000ULL),
	    "guardduty updatedAt, nested ignored");
	CHECK(line_is(&f, "{\"r\":{\"createdAt\":\"2001-01-01T00:00:00Z\"},"
	    "\"s\":\"a\\\"b\",\"createdAt\":\"2024-05-30T07:00:00.000Z\"}", 1,
	    1717052400000000000ULL), "guardduty createdAt");

	s3fmt_init(&f, S3P_MSK, obj);
	CHECK(line_is(&f, "\tat org.apache.Foo", 1, obj) && f.no_ts == 1,
	    "msk continuation first: object time");
	CHECK(line_is(&f, "[2025-07-04 11:57:55,836] INFO x", 1,
	    1751630275836000000ULL), "msk line");
	CHECK(line_is(&f, "\tat org.apache.Foo", 1, 1751630275836000000ULL) &&
	    f.no_ts == 1, "msk continuation: the line before");

	s3fmt_init(&f, S3P_ACCESS, obj);
	CHECK(line_is(&f, "owner bucket [06/Feb/2019:00:00:38 +0000] 1.2.3.4",
	    1, 1549411238000000000ULL), "access line");
}

struct got {
	struct buf	 all;
	int		 n;
	uint64_t	 ns[8];
};

static int
on_rec(void *arg, const char *p, size_t n, uint64_t ns)
{
	struct got *g = arg;

	buf_put(&g->all, p, n);
	buf_putc(&g->all, '\n');
	if (g->n < 8)
		g->ns[g->n] = ns;
	g->n++;
	return 0;
}

static const char trail[] =
    "{\n  \"Records\" : [\n    {\"eventTime\": \"2023-05-19T07:44:30Z\",\n"
    "     \"a\": [1, [2, {\"b\": \"x y\\\" } ]\"}]],\n"
    "     \"u\": \"\\u00e9t\xc3\xa9 \xe2\x9c\x93\"},\n"
    "    {\"n\": {\"eventTime\": \"2001-01-01T00:00:00Z\"}},\n"
    "    {\"eventTime\": \"2023-05-19T07:44:34Z\"}\n  ]\n}\n";
static const char trail_want[] =
    "{\"eventTime\":\"2023-05-19T07:44:30Z\",\"a\":[1,[2,{\"b\":\"x y\\\" "
    "} ]\"}]],\"u\":\"\\u00e9t\xc3\xa9 \xe2\x9c\x93\"}\n"
    "{\"n\":{\"eventTime\":\"2001-01-01T00:00:00Z\"}}\n"
    "{\"eventTime\":\"2023-05-19T07:44:34Z\"}\n";

static void
cloudtrail(void)
{
	struct ctsplit c;
	struct got g;
	size_t step, i, n = sizeof(trail) - 1;
	int all_ok = 1, r;

	for (step = 1; step <= n; step++) {
		memset(&g, 0, sizeof(g));
		ctsplit_init(&c, 4096, 7);
		r = 0;
		for (i = 0; i < n && r == 0; i += step)
			r = ctsplit_feed(&c, trail + i,
			    n - i < step ? n - i : step, on_rec, &g);
		if (r != 0 || ctsplit_finish(&c) != 0 || g.n != 3 ||
		    g.all.len != sizeof(trail_want) - 1 ||
		    memcmp(g.all.p, trail_want, g.all.len) != 0 ||
		    g.ns[0] != 1684482270000000000ULL || g.ns[1] != 7 ||
		    g.ns[2] != 1684482274000000000ULL || c.no_ts != 1) {
			all_ok = 0;
			printf("# step %zu: r=%d n=%d\n%.*s", step, r, g.n,
			    (int)g.all.len, g.all.p);
		}
		ctsplit_free(&c);
		buf_free(&g.all);
		if (!all_ok)
			break;
	}
	CHECK(all_ok, "cloudtrail split, compact, every piece size");

	memset(&g, 0, sizeof(g));
	ctsplit_init(&c, 4096, 7);
	r = ctsplit_feed(&c, trail, 60, on_rec, &g);
	CHECK(r == 0 && ctsplit_finish(&c) == -2 && c.err != NULL,
	    "cloudtrail truncated");
	ctsplit_free(&c);
	buf_free(&g.all);

	memset(&g, 0, sizeof(g));
	ctsplit_init(&c, 50, 7);
	r = ctsplit_feed(&c, trail, sizeof(trail) - 1, on_rec, &g);
	CHECK(r == 0 && ctsplit_finish(&c) == 0 && g.n == 2 &&
	    c.too_long == 1, "cloudtrail record over the cap skipped");
	ctsplit_free(&c);
	buf_free(&g.all);

	memset(&g, 0, sizeof(g));
	ctsplit_init(&c, 4096, 7);
	r = ctsplit_feed(&c, "{\"Records\":[]}", 14, on_rec, &g);
	CHECK(r == 0 && ctsplit_finish(&c) == 0 && g.n == 0,
	    "cloudtrail empty");
	ctsplit_free(&c);

	ctsplit_init(&c, 4096, 7);
	r = ctsplit_feed(&c, "hello", 5, on_rec, &g);
	CHECK(r == -2 && c.err != NULL, "cloudtrail not JSON");
	ctsplit_free(&c);
	buf_free(&g.all);
}

static void
aws(void)
{
	struct buf b = { 0 };
	char h[65];

	aws_sha256_hex("", 0, h);
	CHECK(strcmp(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
	    "a495991b7852b855") == 0, "aws sha256 empty");
	aws_sha256_hex("abc", 3, h);
	CHECK(strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9c"
	    "b410ff61f20015ad") == 0, "aws sha256 abc");
	aws_uri_encode(&b, "a b/c+d=e~f_g.h-i\xc3\xa9%", 20, 1);
	CHECK(b.len == 32 && memcmp(b.p, "a%20b/c%2Bd%3De~f_g.h-i%C3%A9%25",
	    b.len) == 0, "aws uri encode, slash kept");
	b.len = 0;
	aws_uri_encode(&b, "a/b", 3, 0);
	CHECK(b.len == 5 && memcmp(b.p, "a%2Fb", 5) == 0,
	    "aws uri encode, slash encoded");
	buf_free(&b);
}

static int
url_is(const char *ep, const char *bucket, const char *key,
    const char *region, const char *want)
{
	struct buf b = { 0 };
	int r;

	s3log_url(&b, ep, bucket, key, region);
	r = b.len == strlen(want) && memcmp(b.p, want, b.len) == 0;
	if (!r)
		printf("# url %.*s\n", (int)b.len, b.p);
	buf_free(&b);
	return r;
}

static void
urls(void)
{
	CHECK(url_is(NULL, "my-logs", "AWSLogs/1/a b+c", "eu-west-1",
	    "https://my-logs.s3.eu-west-1.amazonaws.com/AWSLogs/1/a%20b%2Bc"),
	    "url virtual-hosted");
	CHECK(url_is(NULL, "my.logs", "k", "us-east-1",
	    "https://s3.us-east-1.amazonaws.com/my.logs/k"),
	    "url dotted bucket: path style");
	CHECK(url_is(NULL, "logs-cn", "k", "cn-north-1",
	    "https://logs-cn.s3.cn-north-1.amazonaws.com.cn/k"), "url china");
	CHECK(url_is("http://127.0.0.1:9000", "logs", "x/\xc3\xa9", "r",
	    "http://127.0.0.1:9000/logs/x/%C3%A9"), "url endpoint");
}

static uint64_t rng = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static int
drop(void *arg, const char *p, size_t n, uint64_t ns)
{
	(void)arg;
	(void)ns;
	return n > 0 && p[0] == '{' ? 0 : -1;
}

/* Random input, biased to what the parsers look for: nothing may read
 * out of bounds (run under ASan: make SANITIZE=1) and what a key yields
 * points into the key. */
static void
random_inputs(void)
{
	static const char *bits[] = { "AWSLogs/", "/", "o-abcdefghij/",
	    "123456789012", "elasticloadbalancing", "vpcflowlogs",
	    "CloudTrail", "WAFLogs", "GuardDuty", "KafkaBrokerLogs",
	    "_elasticloadbalancing_", "_vpcflowlogs_", "us-east-1", "_",
	    "app.", "aws-account-id=", "aws-service=", "2024", "-", ".",
	    "E2K2", "{", "}", "[", "]", "\"", "\\", ":", ",", " ", "\t",
	    "\"Records\"", "\"eventTime\"", "\"timestamp\":",
	    "2023-05-19T07:44:30Z", "06/Feb/2019:00:00:38 +0000", "start",
	    "[2025-07-04 11:57:55,836]", "\"updatedAt\"", "x", "9" };
	char in[512];
	size_t n, k, nb = sizeof(bits) / sizeof(bits[0]);
	struct s3key key;
	struct s3fmt f;
	struct ctsplit c;
	const char *err;
	uint64_t ns;
	int i, p, ok = 1;

	for (i = 0; i < 100000; i++) {
		n = 0;
		while (n < 400 && rnd(12) != 0) {
			const char *b = bits[rnd((unsigned)nb)];
			size_t bl = strlen(b);

			if (rnd(8) == 0) {
				in[n++] = (char)rnd(256);
				continue;
			}
			memcpy(in + n, b, bl);
			n += bl;
		}
		if (s3key_parse(in, n, &key, &err) == 0 &&
		    ((key.src.n > 0 && (key.src.p < in ||
		    key.src.p + key.src.n > in + n)) || (key.owner.n > 0 &&
		    (key.owner.p < in || key.owner.p + key.owner.n > in + n))))
			ok = 0;
		for (p = S3P_LB; p <= S3P_ACCESS; p++) {
			s3fmt_init(&f, p, 1);
			(void)s3fmt_line(&f, in, n, &ns);
			(void)s3fmt_line(&f, in, n, &ns);
		}
		(void)ts_iso8601(in, n, &ns);
		(void)ts_clf(in, n, &ns);
		(void)ts_datetime(in, n, &ns);
		(void)ts_epoch_digits(in, n, &ns);
		ctsplit_init(&c, 64, 1);
		for (k = 0; k < n; k += 7)
			if (ctsplit_feed(&c, in + k, n - k < 7 ? n - k : 7,
			    drop, NULL) != 0)
				break;
		(void)ctsplit_finish(&c);
		ctsplit_free(&c);
	}
	CHECK(ok, "random inputs: keys point into the key, no crash");
}

int
main(void)
{
	aws();
	urls();
	random_inputs();
	keys();
	times();
	lines();
	cloudtrail();
	return CHECK_DONE();
}
