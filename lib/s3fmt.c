/*
 * s3fmt.c: S3 key layouts and the AWS log formats.
 *
 * The key decides the type, as in lambda-promtail, but a key is
 * recognised by its "AWSLogs/<account>/<service>/<region>/" segment, not
 * by a regex over the whole key: AWS adds prefixes, organisation ids,
 * Hive-style partitions (aws-account-id=...), hourly partitions and new
 * file-name variants over time, and a whole-key regex that stopped
 * matching is lambda-promtail's most frequent bug. To support another
 * service, add a row to the layouts table below.
 */
#include <string.h>

#include "util.h"
#include "s3fmt.h"

enum {
	SRC_NONE,	/* no source in the key (GuardDuty) */
	SRC_LB,		/* file: _elasticloadbalancing_REGION_[app.|net.]SRC */
	SRC_FLOW,	/* file name: ..._vpcflowlogs_REGION_SRC_... */
	SRC_TRAIL,	/* file name: after its last '_' */
	SRC_SEGMENT	/* the path segment after the region */
};

static const struct layout {
	const char	*service;	/* the segment after the account */
	const char	*log_type;	/* NULL: skipped on purpose */
	int		 parse;
	int		 src;
} layouts[] = {
	{ "elasticloadbalancing", "s3_lb", S3P_LB, SRC_LB },
	{ "vpcflowlogs", "s3_vpc_flow", S3P_VPC, SRC_FLOW },
	{ "CloudTrail", "s3_cloudtrail", S3P_CLOUDTRAIL, SRC_TRAIL },
	{ "CloudTrail-Insight", "s3_cloudtrail", S3P_CLOUDTRAIL, SRC_TRAIL },
	{ "CloudTrail-Digest", NULL, 0, SRC_NONE },
	{ "WAFLogs", "s3_waf", S3P_WAF, SRC_SEGMENT },
	{ "GuardDuty", "s3_guardduty", S3P_GUARDDUTY, SRC_NONE },
	{ "KafkaBrokerLogs", "s3_msk", S3P_MSK, SRC_SEGMENT },
};

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* [a-zA-Z0-9-], what lambda-promtail's regexes take as a source name */
static int
issrc(int c)
{
	return isdig(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '-';
}

static int
all_digits(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdig((unsigned char)p[i]))
			return 0;
	return 1;
}

static const char *
memfind(const char *h, size_t hn, const char *nd)
{
	size_t nn = strlen(nd);

	const char *end = h + hn, *q;

	if (nn == 0 || hn < nn)
		return NULL;
	while ((size_t)(end - h) >= nn) {
		q = memchr(h, nd[0], (size_t)(end - h) - nn + 1);
		if (q == NULL)
			return NULL;
		if (memcmp(q, nd, nn) == 0)
			return q;
		h = q + 1;
	}
	return NULL;
}

/* The next '/'-separated segment of [*p, end); NULL at the end. */
static int
next_seg(const char **p, const char *end, struct str *seg)
{
	const char *s = *p, *e;

	if (s >= end)
		return 0;
	e = memchr(s, '/', (size_t)(end - s));
	if (e == NULL)
		return 0;	/* the last part is the file name, not a dir */
	seg->p = s;
	seg->n = (size_t)(e - s);
	*p = e + 1;
	return 1;
}

/* Drops a Hive-style "name=" from a segment. */
static struct str
unhive(struct str s, const char *name)
{
	size_t n = strlen(name);

	if (s.n > n && memcmp(s.p, name, n) == 0 && s.p[n] == '=') {
		s.p += n + 1;
		s.n -= n + 1;
	}
	return s;
}

/* The run of source characters at p. */
static struct str
src_run(const char *p, const char *end)
{
	struct str s = { p, 0 };

	while (p + s.n < end && issrc((unsigned char)p[s.n]))
		s.n++;
	return s;
}

/* After "_<svc>_<region>_" in the file name, optionally "app."/"net.". */
static struct str
src_after(struct str f, const char *svc, int lbprefix)
{
	const char *end = f.p + f.n, *p, *u;
	struct str none = { NULL, 0 };

	p = memfind(f.p, f.n, svc);
	if (p == NULL)
		return none;
	p += strlen(svc);
	u = memchr(p, '_', (size_t)(end - p));	/* end of the region */
	if (u == NULL)
		return none;
	p = u + 1;
	if (lbprefix && end - p > 4 && (memcmp(p, "app.", 4) == 0 ||
	    memcmp(p, "net.", 4) == 0))
		p += 4;
	return src_run(p, end);
}

static int
aws_layout(const char *a, const char *end, struct str fname,
    struct s3key *k, const char **err)
{
	struct str seg, acct, svc, region, first = { NULL, 0 };
	const struct layout *l;
	const char *p = a;
	size_t i;

	if (!next_seg(&p, end, &seg))
		return -1;
	/* organisation trails: AWSLogs/o-xxxxxxxxxx/ACCOUNT/... */
	if (seg.n > 2 && memcmp(seg.p, "o-", 2) == 0 &&
	    !next_seg(&p, end, &seg))
		return -1;
	acct = unhive(seg, "aws-account-id");
	if (!all_digits(acct.p, acct.n))
		return -1;
	if (!next_seg(&p, end, &seg))
		return -1;
	svc = unhive(seg, "aws-service");
	if (!next_seg(&p, end, &seg))
		return -1;
	region = unhive(seg, "aws-region");
	if (region.n == 0)
		return -1;
	(void)next_seg(&p, end, &first);
	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		l = &layouts[i];
		if (strlen(l->service) == svc.n &&
		    memcmp(l->service, svc.p, svc.n) == 0)
			break;
	}
	if (i == sizeof(layouts) / sizeof(layouts[0])) {
		*err = "unknown AWSLogs service in the key";
		return -2;
	}
	k->service = svc;
	if (l->log_type == NULL)
		return 1;
	k->log_type = l->log_type;
	k->parse = l->parse;
	k->owner = acct;
	k->src.p = NULL;
	k->src.n = 0;
	switch (l->src) {
	case SRC_LB:
		k->src = src_after(fname, "_elasticloadbalancing_", 1);
		break;
	case SRC_FLOW:
		if (memfind(fname.p, fname.n, ".parquet") != NULL) {
			*err = "Parquet flow logs are not supported";
			return -2;
		}
		k->src = src_after(fname, "_vpcflowlogs_", 0);
		break;
	case SRC_TRAIL: {
		const char *u = NULL, *q;

		for (q = fname.p; q < fname.p + fname.n; q++)
			if (*q == '_')
				u = q;
		if (u != NULL)
			k->src = src_run(u + 1, fname.p + fname.n);
		break;
	}
	case SRC_SEGMENT:
		if (first.p != NULL)
			k->src = first;
		break;
	}
	return 0;
}

/* CloudFront: [prefix/]DISTRIBUTION.YYYY-MM-DD-HH.unique[.gz] */
static int
cloudfront_layout(const char *key, size_t n, struct str fname,
    struct s3key *k)
{
	const char *p = fname.p, *end = fname.p + fname.n;
	struct str d;
	int i;

	d.p = p;
	while (p < end && ((*p >= 'A' && *p <= 'Z') || isdig(*p)))
		p++;
	d.n = (size_t)(p - d.p);
	if (d.n == 0 || p == end || *p++ != '.')
		return -1;
	for (i = 0; i < 3; i++) {
		const char *s = p;

		while (p < end && isdig(*p))
			p++;
		if (p == s || p == end || *p++ != '-')
			return -1;
	}
	if (p == end)
		return -1;
	k->log_type = "s3_cloudfront";
	k->parse = S3P_CLOUDFRONT;
	k->src = d;
	k->owner.p = key;
	k->owner.n = fname.p > key ? (size_t)(fname.p - key) - 1 : 0;
	(void)n;
	return 0;
}

/*
 * S3 server access logs, date-partitioned:
 * [prefix]ACCOUNT/REGION/SRCBUCKET/YYYY/MM/DD/YYYY-MM-DD-HH-MM-SS-UNIQUE
 */
static int
access_layout(const char *key, size_t n, struct str fname, struct s3key *k)
{
	struct str seg[6];
	const char *e = fname.p - 1, *s;
	size_t i;

	if (fname.n == 0 || fname.p == key)
		return -1;
	for (i = 0; i < fname.n; i++)
		if (!issrc((unsigned char)fname.p[i]))
			return -1;
	for (i = 0; i < 6; i++) {
		/* e points at the '/' ending segment 5 - i */
		s = e;
		while (s > key && s[-1] != '/')
			s--;
		seg[5 - i].p = s;
		seg[5 - i].n = (size_t)(e - s);
		if (i < 5 && s == key)
			return -1;
		e = s - 1;
	}
	/* the account may be the end of a longer segment, as in the regex */
	while (seg[0].n > 0 && !isdig((unsigned char)seg[0].p[0])) {
		seg[0].p++;
		seg[0].n--;
	}
	if (!all_digits(seg[0].p, seg[0].n) || seg[1].n == 0 ||
	    seg[2].n == 0 || !all_digits(seg[3].p, seg[3].n) ||
	    !all_digits(seg[4].p, seg[4].n) ||
	    !all_digits(seg[5].p, seg[5].n))
		return -1;
	k->log_type = "s3_access";
	k->parse = S3P_ACCESS;
	k->src = seg[2];
	k->owner = seg[0];
	(void)n;
	return 0;
}

int
s3key_parse(const char *key, size_t n, struct s3key *k, const char **err)
{
	const char *end = key + n, *p = key, *a, *slash;
	struct str fname;
	const char *why = NULL;
	int rc;

	memset(k, 0, sizeof(*k));
	slash = NULL;
	for (a = key; a < end; a++)
		if (*a == '/')
			slash = a;
	fname.p = slash != NULL ? slash + 1 : key;
	fname.n = (size_t)(end - fname.p);
	/* the file AWS writes when ELB access logging is switched on */
	if (fname.n == 20 && memcmp(fname.p, "ELBAccessLogTestFile", 20) == 0)
		return 1;
	for (;;) {
		a = memfind(p, (size_t)(end - p), "AWSLogs/");
		if (a == NULL)
			break;
		if (a == key || a[-1] == '/') {
			rc = aws_layout(a + 8, end, fname, k, &why);
			if (rc >= 0)
				return rc;
			if (rc == -2)
				break;
		}
		p = a + 8;
	}
	if (why != NULL) {
		*err = why;
		return -1;
	}
	if (cloudfront_layout(key, n, fname, k) == 0 ||
	    access_layout(key, n, fname, k) == 0)
		return 0;
	*err = "no known AWS log layout in the key";
	return -1;
}

/* ---- timestamps ---- */

int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n digits at p as a number; -1 if any is not a digit. */
static int64_t
num(const char *p, size_t n)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isdig((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int
mkns(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s,
    uint64_t frac, int64_t off_s, uint64_t *ns)
{
	int64_t t;

	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 60 || h < 0 || mi < 0 || s < 0)
		return -1;
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + s - off_s;
	if (t < 0 || t > 18000000000LL)
		return -1;
	*ns = (uint64_t)t * 1000000000ULL + frac;
	return 0;
}

/* ".123456" etc at *p: nanoseconds (digits past 9 ignored). */
static uint64_t
fraction(const char **pp, const char *end)
{
	const char *p = *pp;
	uint64_t f = 0;
	int d = 0;

	while (p < end && isdig((unsigned char)*p)) {
		if (d < 9) {
			f = f * 10 + (uint64_t)(*p - '0');
			d++;
		}
		p++;
	}
	while (d++ < 9)
		f *= 10;
	*pp = p;
	return f;
}

/* YYYY-MM-DD?HH:MM:SS with sep one of seps; the rest after it in *rest */
static int
ymdhms(const char *p, size_t n, const char *seps, int64_t v[6])
{
	if (n < 19 || p[4] != '-' || p[7] != '-' ||
	    strchr(seps, p[10]) == NULL || p[10] == '\0' || p[13] != ':' ||
	    p[16] != ':')
		return -1;
	v[0] = num(p, 4);
	v[1] = num(p + 5, 2);
	v[2] = num(p + 8, 2);
	v[3] = num(p + 11, 2);
	v[4] = num(p + 14, 2);
	v[5] = num(p + 17, 2);
	if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || v[4] < 0 ||
	    v[5] < 0)
		return -1;
	return 0;
}

int
ts_iso8601(const char *s, size_t n, uint64_t *ns)
{
	const char *p, *end = s + n;
	int64_t v[6], off = 0;
	uint64_t frac = 0;

	if (ymdhms(s, n, "T", v) == -1)
		return -1;
	p = s + 19;
	if (p < end && (*p == '.' || *p == ',')) {
		p++;
		if (p == end || !isdig((unsigned char)*p))
			return -1;
		frac = fraction(&p, end);
	}
	if (p < end && *p == 'Z') {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1;
		int64_t hh, mm;

		p++;
		if (end - p == 5 && p[2] == ':') {
			hh = num(p, 2);
			mm = num(p + 3, 2);
		} else if (end - p == 4) {
			hh = num(p, 2);
			mm = num(p + 2, 2);
		} else
			return -1;
		if (hh < 0 || mm < 0 || hh > 23 || mm > 59)
			return -1;
		off = sign * (hh * 3600 + mm * 60);
		p = end;
	}
	if (p != end)
		return -1;
	return mkns(v[0], v[1], v[2], v[3], v[4], v[5], frac, off, ns);
}

int
ts_datetime(const char *s, size_t n, uint64_t *ns)
{
	const char *p, *end = s + n;
	int64_t v[6];
	uint64_t frac = 0;

	if (ymdhms(s, n, " \tT", v) == -1)
		return -1;
	p = s + 19;
	if (p < end && (*p == ',' || *p == '.')) {
		p++;
		frac = fraction(&p, end);
	}
	if (p != end)
		return -1;
	return mkns(v[0], v[1], v[2], v[3], v[4], v[5], frac, 0, ns);
}

int
ts_clf(const char *s, size_t n, uint64_t *ns)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int64_t d, y, h, mi, sec, hh, mm, off;
	int m;

	/* 06/Feb/2019:00:00:38 +0000 */
	if (n != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' ||
	    s[14] != ':' || s[17] != ':' || s[20] != ' ' ||
	    (s[21] != '+' && s[21] != '-'))
		return -1;
	for (m = 0; m < 12; m++)
		if (memcmp(mon + 3 * m, s + 3, 3) == 0)
			break;
	if (m == 12)
		return -1;
	d = num(s, 2);
	y = num(s + 7, 4);
	h = num(s + 12, 2);
	mi = num(s + 15, 2);
	sec = num(s + 18, 2);
	hh = num(s + 22, 2);
	mm = num(s + 24, 2);
	if (d < 0 || y < 0 || h < 0 || mi < 0 || sec < 0 || hh < 0 || mm < 0)
		return -1;
	off = (hh * 3600 + mm * 60) * (s[21] == '-' ? -1 : 1);
	return mkns(y, m + 1, d, h, mi, sec, 0, off, ns);
}

int
ts_epoch_digits(const char *s, size_t n, uint64_t *ns)
{
	uint64_t sec = 0, frac = 0;
	size_t i;

	if (n == 0 || n > 19 || !all_digits(s, n))
		return -1;
	for (i = 0; i < n && i < 10; i++)
		sec = sec * 10 + (uint64_t)(s[i] - '0');
	for (; i < n; i++)
		frac = frac * 10 + (uint64_t)(s[i] - '0');
	for (i = n > 10 ? n - 10 : 9; i < 9; i++)
		frac *= 10;
	if (n <= 10)
		frac = 0;
	*ns = sec * 1000000000ULL + frac;
	return 0;
}

/* The index of the '"' closing the string opened at p[i]; n if none. */
static size_t
str_end(const char *p, size_t n, size_t i)
{
	const char *q;
	size_t j = i + 1, b;

	for (;;) {
		q = memchr(p + j, '"', n - j);
		if (q == NULL)
			return n;
		j = (size_t)(q - p);
		for (b = 0; j - b > i + 1 && p[j - b - 1] == '\\'; b++)
			;
		if (b % 2 == 0)
			return j;
		j++;
	}
}

static int
isws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The string value of a top-level key of a JSON object, without
 * unescaping (timestamps have no escapes). 0 and *v, or -1.
 */
static int
top_field(const char *p, size_t n, const char *name, struct str *v)
{
	size_t nl = strlen(name), i = 0, j;
	int depth = 0, key_pos = 0, hit;

	while (i < n) {
		char c = p[i];

		if (c == '"') {
			j = str_end(p, n, i);
			if (j == n)
				return -1;
			if (depth != 1 || !key_pos) {
				i = j + 1;
				continue;
			}
			/* a key: p[i+1 .. j) */
			hit = j - i - 1 == nl &&
			    memcmp(p + i + 1, name, nl) == 0;
			i = j + 1;
			while (i < n && (isws(p[i]) || p[i] == ':'))
				i++;
			key_pos = 0;
			if (!hit)
				continue;
			if (i >= n || p[i] != '"')
				return -1;
			j = str_end(p, n, i);
			if (j == n)
				return -1;
			v->p = p + i + 1;
			v->n = j - i - 1;
			return 0;
		}
		if (c == '{' || c == '[') {
			depth++;
			key_pos = depth == 1 && c == '{';
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == ',' && depth == 1) {
			key_pos = 1;
		}
		i++;
	}
	return -1;
}

/* ---- lines ---- */

void
s3fmt_init(struct s3fmt *f, int parse, uint64_t obj_ns)
{
	memset(f, 0, sizeof(*f));
	f->parse = parse;
	f->obj_ns = obj_ns;
	f->start_col = -1;
}

/* The field number col (0-based) of a line split on sep. */
static int
field(const char *p, size_t n, char sep, int col, struct str *out)
{
	const char *end = p + n, *e;

	while (col-- > 0) {
		e = memchr(p, sep, (size_t)(end - p));
		if (e == NULL)
			return -1;
		p = e + 1;
	}
	e = memchr(p, sep, (size_t)(end - p));
	out->p = p;
	out->n = (size_t)((e != NULL ? e : end) - p);
	return 0;
}

static void
vpc_header(struct s3fmt *f, const char *p, size_t n)
{
	const char *end = p + n, *e;
	int col = 0;

	while (p < end) {
		e = memchr(p, ' ', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if (e - p == 5 && memcmp(p, "start", 5) == 0) {
			f->start_col = col;
			return;
		}
		col++;
		p = e + 1;
	}
}

/* The time of one line, by format; 0 and *ns, or -1 (none). */
static int
line_time(struct s3fmt *f, const char *p, size_t n, uint64_t *ns)
{
	struct str v;
	const char *q, *e, *end = p + n;
	int i;

	switch (f->parse) {
	case S3P_LB:
		/* ALB: 2nd field; NLB: 3rd (no zone); classic ELB,
		 * connection logs: 1st */
		for (i = 0, q = p; i < 4 && q < end; i++) {
			e = memchr(q, ' ', (size_t)(end - q));
			if (e == NULL)
				e = end;
			if (e - q >= 19 && q[4] == '-' && q[10] == 'T')
				return ts_iso8601(q, (size_t)(e - q), ns);
			q = e + 1;
		}
		return -1;
	case S3P_VPC:
		if (f->start_col < 0 || field(p, n, ' ', f->start_col, &v))
			return -1;
		if (ts_epoch_digits(v.p, v.n, ns) == -1 || v.n > 10)
			return -1;
		return 0;
	case S3P_CLOUDFRONT:
		return n >= 19 ? ts_datetime(p, 19, ns) : -1;
	case S3P_WAF:
		q = memfind(p, n, "\"timestamp\":");
		if (q == NULL)
			return -1;
		q += 12;
		while (q < end && *q == ' ')
			q++;
		for (e = q; e < end && isdig((unsigned char)*e); e++)
			;
		return ts_epoch_digits(q, (size_t)(e - q), ns);
	case S3P_GUARDDUTY:
		if (top_field(p, n, "updatedAt", &v) == 0 &&
		    ts_iso8601(v.p, v.n, ns) == 0)
			return 0;
		if (top_field(p, n, "createdAt", &v) == 0 &&
		    ts_iso8601(v.p, v.n, ns) == 0)
			return 0;
		return -1;
	case S3P_MSK:
		if (n < 25 || p[0] != '[' || p[24] != ']')
			return -1;
		return ts_datetime(p + 1, 23, ns);
	case S3P_ACCESS:
		q = memchr(p, '[', n);
		if (q == NULL || end - q < 28 || q[27] != ']')
			return -1;
		return ts_clf(q + 1, 26, ns);
	}
	return -1;
}

int
s3fmt_line(struct s3fmt *f, const char *p, size_t n, uint64_t *ns)
{
	f->lines++;
	if (f->parse == S3P_VPC && !f->header_done) {
		/* the first line names the fields (default or custom) */
		f->header_done = 1;
		vpc_header(f, p, n);
		return 0;
	}
	if (n == 0)
		return 0;
	if (f->parse == S3P_CLOUDFRONT && p[0] == '#')
		return 0;
	if (line_time(f, p, n, ns) == 0) {
		f->last_ns = *ns;
		return 1;
	}
	/* an MSK line without a time continues the one before (a stack
	 * trace): it gets that line's time and is not a bad line */
	if (f->parse == S3P_MSK && f->last_ns != 0) {
		*ns = f->last_ns;
		return 1;
	}
	f->no_ts++;
	*ns = f->obj_ns;
	return 1;
}

/* ---- CloudTrail ---- */

void
ctsplit_init(struct ctsplit *c, size_t max, uint64_t fallback_ns)
{
	memset(c, 0, sizeof(*c));
	c->max = max;
	c->fallback_ns = fallback_ns;
}

void
ctsplit_free(struct ctsplit *c)
{
	buf_free(&c->rec);
	buf_free(&c->key);
}

static int
ct_record(struct ctsplit *c, int (*rec)(void *, const char *, size_t,
    uint64_t), void *arg)
{
	struct str v;
	uint64_t ns = c->fallback_ns;

	if (c->skipping) {
		c->too_long++;
		c->skipping = 0;
		c->rec.len = 0;
		return 0;
	}
	c->records++;
	if (top_field(c->rec.p, c->rec.len, "eventTime", &v) == -1 ||
	    ts_iso8601(v.p, v.n, &ns) == -1) {
		ns = c->fallback_ns;
		c->no_ts++;
	}
	if (rec(arg, c->rec.p, c->rec.len, ns) == -1)
		return -1;
	c->rec.len = 0;
	return 0;
}

/* Appends to the record being collected, within the cap. */
static void
ct_put(struct ctsplit *c, const char *p, size_t n)
{
	if (c->skipping)
		return;
	if (c->rec.len + n > c->max) {
		c->skipping = 1;
		return;
	}
	buf_put(&c->rec, p, n);
}

int
ctsplit_feed(struct ctsplit *c, const char *p, size_t n,
    int (*rec)(void *, const char *, size_t, uint64_t), void *arg)
{
	const char *end = p + n;
	int collecting;

	while (p < end) {
		collecting = c->depth >= 3 && c->in_records;
		if (c->in_str) {
			/* copy the run up to the next '"' or '\\' */
			const char *q = p;

			if (c->esc) {
				c->esc = 0;
				q++;
			} else {
				while (q < end && *q != '"' && *q != '\\')
					q++;
				if (q < end) {
					if (*q == '\\')
						c->esc = 1;
					else
						c->in_str = 0;
					q++;
				}
			}
			if (collecting)
				ct_put(c, p, (size_t)(q - p));
			else if (c->depth == 1 && c->key.len < 64)
				buf_put(&c->key, p, (size_t)(q - p));
			p = q;
			continue;
		}
		switch (*p) {
		case ' ': case '\t': case '\n': case '\r':
			p++;
			continue;
		case '"':
			c->in_str = 1;
			if (c->depth == 1)
				c->key.len = 0;
			break;
		case '{':
		case '[':
			if (c->depth == 0) {
				if (*p != '{' || c->saw_top) {
					c->err = "not CloudTrail JSON";
					return -2;
				}
				c->saw_top = 1;
			} else if (c->depth == 1 && *p == '[') {
				/* key.len counts the closing quote */
				c->in_records = c->key.len == 8 &&
				    memcmp(c->key.p, "Records\"", 8) == 0;
			}
			c->depth++;
			if (c->depth == 3 && c->in_records) {
				c->rec.len = 0;
				c->skipping = 0;
				collecting = 1;
			}
			break;
		case '}':
		case ']':
			if (c->depth == 0) {
				c->err = "not CloudTrail JSON";
				return -2;
			}
			c->depth--;
			if (c->depth == 2 && c->in_records) {
				ct_put(c, p, 1);
				p++;
				if (ct_record(c, rec, arg) == -1)
					return -1;
				continue;
			}
			if (c->depth == 1)
				c->in_records = 0;
			break;
		default:
			if (c->depth == 0) {
				c->err = "not CloudTrail JSON";
				return -2;
			}
			break;
		}
		if (collecting)
			ct_put(c, p, 1);
		p++;
	}
	return 0;
}

int
ctsplit_finish(struct ctsplit *c)
{
	if (c->depth != 0 || c->in_str) {
		c->err = "truncated CloudTrail JSON";
		return -2;
	}
	return 0;
}
