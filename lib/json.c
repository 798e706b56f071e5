/* json.c: a small JSON reader for the stream's records, and a writer. */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json.h"

/* jq 1.6 refuses documents nested deeper than 256: so do we */
#define MAX_DEPTH	256

/* Bytes a string scan stops at: '"', '\\', controls, non-ASCII. */
static unsigned char stop[256];
static int stop_ready;

static void
stop_init(void)
{
	int c;

	for (c = 0; c < 256; c++)
		stop[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
	stop_ready = 1;
}

/*
 * The first byte in [p, e) that a string scan stops at, or e. Strings are
 * mostly plain ASCII: test 16 bytes at a time (SSE2, every x86-64) or 8
 * (portable word-at-a-time), then finish byte by byte.
 */
static inline const unsigned char *
scan_plain(const unsigned char *p, const unsigned char *e)
{
#if defined(__SSE2__)
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	const __m128i sp = _mm_set1_epi8(0x20);

	while (e - p >= 16) {
		__m128i v, m;
		unsigned mask;

		v = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* signed: bytes >= 0x80 are negative, so "< 0x20" takes
		 * both the controls and everything that is not ASCII */
		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q),
		    _mm_cmpeq_epi8(v, bs)), _mm_cmplt_epi8(v, sp));
		mask = (unsigned)_mm_movemask_epi8(m);
		if (mask != 0)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;

	while (e - p >= 8) {
		uint64_t w, xq, xb, m;

		memcpy(&w, p, 8);
		xq = w ^ (ones * '"');
		xb = w ^ (ones * '\\');
		/* a byte is 0 in xq or xb, below 0x20, or has bit 7: the
		 * lowest flagged byte is exact (borrows only run upward) */
		m = ((xq - ones) & ~xq) | ((xb - ones) & ~xb) |
		    ((w - ones * 0x20) & ~w) | w;
		m &= high;
		if (m != 0)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < e && !stop[*p])
		p++;
	return p;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/* The end of the run of valid non-ASCII characters at p: text in other
 * scripts is validated without going back to the ASCII scan per
 * character. Stops at ASCII or at the first invalid sequence. */
static inline const unsigned char *
utf8_run(const unsigned char *p, const unsigned char *e)
{
	while (p < e && *p >= 0x80) {
		size_t k = utf8_seq(p, (size_t)(e - p));

		if (k == 0)
			break;
		p += k;
	}
	return p;
}

size_t
utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k;

		if (u[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(u + i, n - i);
		if (k == 0)
			break;
		i += k;
	}
	return i;
}

void
jr_init(struct jr *j, const char *p, size_t n, struct buf *scratch)
{
	if (!stop_ready)
		stop_init();
	j->p = j->start = p;
	j->end = p + n;
	j->scratch = scratch;
	j->err = NULL;
	j->depth = 0;
	j->first = 0;
	if (scratch != NULL) {
		scratch->len = 0;
		buf_grow(scratch, n);
	}
}

static int
fail(struct jr *j, const char *why)
{
	if (j->err == NULL)
		j->err = why;
	return -1;
}

static void
ws(struct jr *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

int
jr_peek(struct jr *j)
{
	ws(j);
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

size_t
jr_off(const struct jr *j)
{
	return (size_t)(j->p - j->start);
}

static int
open_(struct jr *j, char c, const char *why)
{
	if (jr_peek(j) != c)
		return fail(j, why);
	if (++j->depth > MAX_DEPTH)
		return fail(j, "nesting too deep");
	j->p++;
	return 0;
}

int
jr_obj(struct jr *j)
{
	if (open_(j, '{', "expected an object") < 0)
		return -1;
	j->first = 1;
	return 0;
}

int
jr_arr(struct jr *j)
{
	if (open_(j, '[', "expected an array") < 0)
		return -1;
	j->first = 1;
	return 0;
}

/*
 * Depth is counted as jq 1.6 counts it, so that both refuse the same
 * documents: every open container is a level, and so is the key of the
 * object member being read.
 */
int
jr_next(struct jr *j, struct str *key)
{
	int c = jr_peek(j), first = j->first;

	j->first = 0;
	if (!first)
		j->depth--;		/* the previous member's key */
	if (c == '}') {
		j->p++;
		j->depth--;
		return 0;
	}
	if (!first) {
		if (c != ',')
			return fail(j, "expected ',' or '}' in object");
		j->p++;
	}
	if (jr_peek(j) != '"')
		return fail(j, "expected a key");
	if (jr_str(j, key) < 0)
		return -1;
	if (jr_peek(j) != ':')
		return fail(j, "expected ':'");
	j->p++;
	j->depth++;
	return 1;
}

int
jr_more(struct jr *j)
{
	int c = jr_peek(j), first = j->first;

	j->first = 0;
	if (c == ']') {
		j->p++;
		j->depth--;
		return 0;
	}
	if (!first) {
		if (c != ',')
			return fail(j, "expected ',' or ']' in array");
		j->p++;
	}
	return 1;
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned c = (unsigned char)p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static char *
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80)
		*o++ = (char)cp;
	else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* Decodes the rest of a string that has escapes, from q (just after the
 * opening quote) into scratch. */
static int
str_slow(struct jr *j, const char *q, struct str *out)
{
	const unsigned char *p = (const unsigned char *)q;
	const unsigned char *e = (const unsigned char *)j->end;
	char *o0, *o;

	if (j->scratch == NULL)
		return fail(j, "escaped string without scratch space");
	o0 = o = j->scratch->p + j->scratch->len;
	while (p < e) {
		const unsigned char *r = scan_plain(p, e);
		unsigned c;

		/* the plain run up to the next quote, escape or non-ASCII */
		memcpy(o, p, (size_t)(r - p));
		o += r - p;
		p = r;
		if (p >= e)
			break;
		c = *p;
		if (c == '"') {
			out->p = o0;
			out->n = (size_t)(o - o0);
			j->scratch->len += out->n;
			j->p = (const char *)p + 1;
			return 0;
		}
		if (c < 0x20)
			return fail(j, "control character in string");
		if (c >= 0x80) {
			const unsigned char *r2 = utf8_run(p, e);

			if (r2 == p)
				return fail(j, "invalid UTF-8 in string");
			memcpy(o, p, (size_t)(r2 - p));
			o += r2 - p;
			p = r2;
			continue;
		}
		if (c != '\\') {
			*o++ = (char)c;
			p++;
			continue;
		}
		if (e - p < 2)
			break;
		switch (p[1]) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;

			if (e - p < 6 || hex4((const char *)p + 2, &cp) < 0)
				return fail(j, "bad \\u escape");
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(j, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (e - p < 12 || p[6] != '\\' ||
				    p[7] != 'u' ||
				    hex4((const char *)p + 8, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return fail(j, "lone high surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			o = put_utf8(o, cp);
			p += 6;
			continue;
		}
		default:
			return fail(j, "bad escape in string");
		}
		p += 2;
	}
	return fail(j, "unterminated string");
}

int
jr_str(struct jr *j, struct str *out)
{
	const unsigned char *p, *e;

	if (jr_peek(j) != '"')
		return fail(j, "expected a string");
	p = (const unsigned char *)j->p + 1;
	e = (const unsigned char *)j->end;
	for (;;) {
		p = scan_plain(p, e);
		if (p >= e)
			return fail(j, "unterminated string");
		if (*p == '"') {
			out->p = j->p + 1;
			out->n = (size_t)((const char *)p - out->p);
			j->p = (const char *)p + 1;
			return 0;
		}
		if (*p >= 0x80) {
			const unsigned char *r = utf8_run(p, e);

			if (r == p)
				return fail(j, "invalid UTF-8 in string");
			p = r;
			continue;
		}
		if (*p == '\\') {
			/* copy the clean prefix, then decode the rest */
			const char *s0 = j->p + 1;
			size_t pre = (size_t)((const char *)p - s0);
			struct str rest;
			size_t at;

			if (j->scratch == NULL)
				return fail(j,
				    "escaped string without scratch");
			at = j->scratch->len;
			memcpy(j->scratch->p + at, s0, pre);
			j->scratch->len += pre;
			if (str_slow(j, (const char *)p, &rest) < 0)
				return -1;
			out->p = j->scratch->p + at;
			out->n = pre + rest.n;
			return 0;
		}
		return fail(j, "control character in string");
	}
}

static int
number(struct jr *j, struct str *raw)
{
	const char *p = j->p, *e = j->end, *s = p;

	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return fail(j, "bad number");
	if (p < e && *p == '.') {
		p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(j, "bad number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(j, "bad number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (raw != NULL) {
		raw->p = s;
		raw->n = (size_t)(p - s);
	}
	j->p = p;
	return 0;
}

static int
word(struct jr *j, const char *w, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return fail(j, "invalid literal");
	j->p += n;
	return 0;
}

int
jr_skip(struct jr *j, struct str *raw)
{
	const char *s;
	struct str k, v;
	int c = jr_peek(j), r;

	s = j->p;
	switch (c) {
	case '{':
		if (jr_obj(j) < 0)
			return -1;
		while ((r = jr_next(j, &k)) == 1)
			if (jr_skip(j, NULL) < 0)
				return -1;
		if (r < 0)
			return -1;
		break;
	case '[':
		if (jr_arr(j) < 0)
			return -1;
		while ((r = jr_more(j)) == 1)
			if (jr_skip(j, NULL) < 0)
				return -1;
		if (r < 0)
			return -1;
		break;
	case '"':
		if (jr_str(j, &v) < 0)
			return -1;
		break;
	case 't':
		if (word(j, "true", 4) < 0)
			return -1;
		break;
	case 'f':
		if (word(j, "false", 5) < 0)
			return -1;
		break;
	case 'n':
		if (word(j, "null", 4) < 0)
			return -1;
		break;
	case -1:
		return fail(j, "unexpected end of input");
	default:
		if (number(j, NULL) < 0)
			return -1;
	}
	if (raw != NULL) {
		raw->p = s;
		raw->n = (size_t)(j->p - s);
	}
	return 0;
}

/* A string of decimal digits, leading zeros allowed. 0 or -1. */
static int
digits_u64(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	while (n > 1 && *p == '0') {
		p++;
		n--;
	}
	if (n > 20)
		return -1;
	/* 19 digits cannot overflow; only the 20th needs a check */
	for (i = 0; i < n && i < 19; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	if (n == 20) {
		unsigned d = (unsigned char)p[19] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/*
 * The value of a JSON number's text (already checked) when it is an
 * integer in [0, 2^64): 1e3, 10.0, 1.7e+18 and -0 are; 1.5, -1 and 2e19
 * are not. jq prints big numbers with exponents, so an entry that went
 * through jq may carry its ts this way.
 */
static int
num_u64(const char *p, size_t n, uint64_t *out)
{
	const char *e = p + n, *q, *mend, *s0 = NULL, *s1 = NULL;
	int64_t ex = 0, nfrac = 0, tz = 0, ns = 0, scale;
	int neg = 0, frac = 0;
	uint64_t v = 0;

	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	for (q = p; q < e && *q != 'e' && *q != 'E'; q++) {
		if (*q == '.') {
			frac = 1;
			continue;
		}
		nfrac += frac;
		if (*q != '0') {
			if (s0 == NULL)
				s0 = q;
			s1 = q;
		}
	}
	mend = q;
	if (q < e) {
		int eneg = 0;

		q++;
		if (*q == '+' || *q == '-')
			eneg = *q++ == '-';
		for (; q < e; q++)
			if (ex < (int64_t)1 << 40)
				ex = ex * 10 + (*q - '0');
		if (eneg)
			ex = -ex;
	}
	if (s0 == NULL) {
		*out = 0;		/* zero, in any form */
		return 0;
	}
	if (neg)
		return -1;
	/* value = S * 10^(ex - nfrac + tz), S = the digits s0..s1 */
	for (q = s0; q < mend; q++)
		if (*q != '.') {
			if (q <= s1)
				ns++;
			else
				tz++;
		}
	scale = ex - nfrac + tz;
	if (scale < 0 || ns + scale > 20)
		return -1;
	for (q = s0; q <= s1; q++) {
		unsigned d;

		if (*q == '.')
			continue;
		d = (unsigned)(*q - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	while (scale-- > 0) {
		if (v > UINT64_MAX / 10)
			return -1;
		v *= 10;
	}
	*out = v;
	return 0;
}

int
jr_u64(struct jr *j, uint64_t *out)
{
	struct str s;
	int c = jr_peek(j);

	if (c == '"') {
		const char *p0 = j->p + 1, *p = p0;

		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
		if (p < j->end && *p == '"') {
			if (digits_u64(p0, (size_t)(p - p0), out) < 0)
				return fail(j, p > p0 ? "number out of range" :
				    "expected a string of digits");
			j->p = p + 1;
			return 0;
		}
		/* rare: escapes ("\u0031") or not digits at all */
		if (jr_str(j, &s) < 0)
			return -1;
		if (digits_u64(s.p, s.n, out) < 0) {
			size_t i;

			for (i = 0; i < s.n; i++)
				if (s.p[i] < '0' || s.p[i] > '9')
					return fail(j,
					    "expected a string of digits");
			return fail(j, s.n > 0 ? "number out of range" :
			    "expected a string of digits");
		}
		return 0;
	}
	if (c != '-' && (c < '0' || c > '9'))
		return fail(j, "expected a nonnegative integer");
	if (number(j, &s) < 0)
		return -1;
	if (num_u64(s.p, s.n, out) < 0)
		return fail(j, s.p[0] == '-' ? "expected a nonnegative integer"
		    : "number out of range or not an integer");
	return 0;
}

int
jr_end(struct jr *j)
{
	if (jr_peek(j) != -1)
		return fail(j, "trailing characters after the record");
	return 0;
}

static const char hexd[] = "0123456789abcdef";

void
jw_str(struct buf *b, const char *s, size_t n)
{
	char *o;

	/* worst case: every byte becomes \u00XX or U+FFFD (6 or 3 bytes) */
	o = buf_grow(b, JW_STR_MAX(n));
	o = jw_str_to(o, s, n);
	b->len = (size_t)(o - b->p);
}

char *
jw_str_to(char *o, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *e = p + n;

	if (!stop_ready)
		stop_init();
	*o++ = '"';
	while (p < e) {
		const unsigned char *q = scan_plain(p, e);

		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		p = q;
		if (p >= e)
			break;
		if (*p >= 0x80) {
			const unsigned char *r = utf8_run(p, e);

			if (r == p) {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				p++;
			} else {
				memcpy(o, p, (size_t)(r - p));
				o += r - p;
				p = r;
			}
			continue;
		}
		*o++ = '\\';
		switch (*p) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hexd[*p >> 4];
			*o++ = hexd[*p & 15];
		}
		p++;
	}
	*o++ = '"';
	return o;
}

void
jw_u64q(struct buf *b, uint64_t v)
{
	buf_putc(b, '"');
	buf_putu64(b, v);
	buf_putc(b, '"');
}
