/*
 * goregex.c: Go's regexp (RE2 syntax, leftmost-first search, Expand
 * templates) and strings.ToUpper/ToLower, on PCRE2 with JIT.
 *
 * Where PCRE2 and Go's RE2 syntax differ, patterns are translated: what Go
 * rejects is rejected here (backreferences, lookaround, atomic and
 * possessive groups, \K, \C, \G, \Z, (*VERBS), repeat counts over 1000
 * ...), and what both accept with different meanings is rewritten (\s,
 * \v, octal escapes, named groups, literal '{', repeated assertions),
 * and RE2's rule that a search visits a loop at a position once is added
 * with callouts (tr_star), so groups capture what Go reports. Known
 * differences are listed in tests/relabel/README.md. Replacement templates
 * expand as Go's Regexp.Expand.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND	0
#endif
#include <stdlib.h>
#include <string.h>

#include "goregex.h"
#include "json.h"
#include "log.h"

#define MAX_REPEAT	1000	/* RE2's limit on {n,m} counts */
#define TR_DEPTH	1000	/* RE2's limit on nesting */

/* ---------------------------------------------------------------- UTF-8 */

/* Decodes one code point; returns its length, or 0 if s is not UTF-8. */
static size_t
u8_dec(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i;
	uint32_t c, min;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c < 0xe0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c < 0xf0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c < 0xf5) {
		len = 4, c &= 0x07, min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static void
u8_put(struct buf *b, uint32_t c)
{
	char t[4];

	if (c < 0x80) {
		buf_putc(b, (char)c);
	} else if (c < 0x800) {
		t[0] = (char)(0xc0 | c >> 6);
		t[1] = (char)(0x80 | (c & 0x3f));
		buf_put(b, t, 2);
	} else if (c < 0x10000) {
		t[0] = (char)(0xe0 | c >> 12);
		t[1] = (char)(0x80 | (c >> 6 & 0x3f));
		t[2] = (char)(0x80 | (c & 0x3f));
		buf_put(b, t, 3);
	} else {
		t[0] = (char)(0xf0 | c >> 18);
		t[1] = (char)(0x80 | (c >> 12 & 0x3f));
		t[2] = (char)(0x80 | (c >> 6 & 0x3f));
		t[3] = (char)(0x80 | (c & 0x3f));
		buf_put(b, t, 4);
	}
}

/* ----------------------------------------------------------- case table */

/*
 * Simple case mappings of Unicode 15.0.0 (Go's unicode tables), made by
 * tests/relabel/gen-case.py from UnicodeData.txt. {lo, hi, dup, dlo}:
 * upper = c + dup, lower = c + dlo; ALT: alternating upper/lower pairs.
 */
#define ALT	0x7fffffff
static const struct crange {
	uint32_t	lo, hi;
	int32_t		dup, dlo;
} casetab[] = {
/* case table begin */
	{0x0041,0x005a,0,32}, {0x0061,0x007a,-32,0}, {0x00b5,0x00b5,743,0},
	{0x00c0,0x00d6,0,32}, {0x00d8,0x00de,0,32}, {0x00e0,0x00f6,-32,0},
	{0x00f8,0x00fe,-32,0}, {0x00ff,0x00ff,121,0}, {0x0100,0x012f,ALT,0},
	{0x0130,0x0130,0,-199}, {0x0131,0x0131,-232,0}, {0x0132,0x0137,ALT,0},
	{0x0139,0x0148,ALT,0}, {0x014a,0x0177,ALT,0}, {0x0178,0x0178,0,-121},
	{0x0179,0x017e,ALT,0}, {0x017f,0x017f,-300,0}, {0x0180,0x0180,195,0},
	{0x0181,0x0181,0,210}, {0x0182,0x0185,ALT,0}, {0x0186,0x0186,0,206},
	{0x0187,0x0187,0,1}, {0x0188,0x0188,-1,0}, {0x0189,0x018a,0,205},
	{0x018b,0x018b,0,1}, {0x018c,0x018c,-1,0}, {0x018e,0x018e,0,79},
	{0x018f,0x018f,0,202}, {0x0190,0x0190,0,203}, {0x0191,0x0191,0,1},
	{0x0192,0x0192,-1,0}, {0x0193,0x0193,0,205}, {0x0194,0x0194,0,207},
	{0x0195,0x0195,97,0}, {0x0196,0x0196,0,211}, {0x0197,0x0197,0,209},
	{0x0198,0x0198,0,1}, {0x0199,0x0199,-1,0}, {0x019a,0x019a,163,0},
	{0x019c,0x019c,0,211}, {0x019d,0x019d,0,213}, {0x019e,0x019e,130,0},
	{0x019f,0x019f,0,214}, {0x01a0,0x01a5,ALT,0}, {0x01a6,0x01a6,0,218},
	{0x01a7,0x01a7,0,1}, {0x01a8,0x01a8,-1,0}, {0x01a9,0x01a9,0,218},
	{0x01ac,0x01ac,0,1}, {0x01ad,0x01ad,-1,0}, {0x01ae,0x01ae,0,218},
	{0x01af,0x01af,0,1}, {0x01b0,0x01b0,-1,0}, {0x01b1,0x01b2,0,217},
	{0x01b3,0x01b6,ALT,0}, {0x01b7,0x01b7,0,219}, {0x01b8,0x01b8,0,1},
	{0x01b9,0x01b9,-1,0}, {0x01bc,0x01bc,0,1}, {0x01bd,0x01bd,-1,0},
	{0x01bf,0x01bf,56,0}, {0x01c4,0x01c4,0,2}, {0x01c5,0x01c5,-1,1},
	{0x01c6,0x01c6,-2,0}, {0x01c7,0x01c7,0,2}, {0x01c8,0x01c8,-1,1},
	{0x01c9,0x01c9,-2,0}, {0x01ca,0x01ca,0,2}, {0x01cb,0x01cb,-1,1},
	{0x01cc,0x01cc,-2,0}, {0x01cd,0x01dc,ALT,0}, {0x01dd,0x01dd,-79,0},
	{0x01de,0x01ef,ALT,0}, {0x01f1,0x01f1,0,2}, {0x01f2,0x01f2,-1,1},
	{0x01f3,0x01f3,-2,0}, {0x01f4,0x01f4,0,1}, {0x01f5,0x01f5,-1,0},
	{0x01f6,0x01f6,0,-97}, {0x01f7,0x01f7,0,-56}, {0x01f8,0x021f,ALT,0},
	{0x0220,0x0220,0,-130}, {0x0222,0x0233,ALT,0}, {0x023a,0x023a,0,10795},
	{0x023b,0x023b,0,1}, {0x023c,0x023c,-1,0}, {0x023d,0x023d,0,-163},
	{0x023e,0x023e,0,10792}, {0x023f,0x0240,10815,0}, {0x0241,0x0241,0,1},
	{0x0242,0x0242,-1,0}, {0x0243,0x0243,0,-195}, {0x0244,0x0244,0,69},
	{0x0245,0x0245,0,71}, {0x0246,0x024f,ALT,0}, {0x0250,0x0250,10783,0},
	{0x0251,0x0251,10780,0}, {0x0252,0x0252,10782,0},
	{0x0253,0x0253,-210,0}, {0x0254,0x0254,-206,0}, {0x0256,0x0257,-205,0},
	{0x0259,0x0259,-202,0}, {0x025b,0x025b,-203,0},
	{0x025c,0x025c,42319,0}, {0x0260,0x0260,-205,0},
	{0x0261,0x0261,42315,0}, {0x0263,0x0263,-207,0},
	{0x0265,0x0265,42280,0}, {0x0266,0x0266,42308,0},
	{0x0268,0x0268,-209,0}, {0x0269,0x0269,-211,0},
	{0x026a,0x026a,42308,0}, {0x026b,0x026b,10743,0},
	{0x026c,0x026c,42305,0}, {0x026f,0x026f,-211,0},
	{0x0271,0x0271,10749,0}, {0x0272,0x0272,-213,0},
	{0x0275,0x0275,-214,0}, {0x027d,0x027d,10727,0},
	{0x0280,0x0280,-218,0}, {0x0282,0x0282,42307,0},
	{0x0283,0x0283,-218,0}, {0x0287,0x0287,42282,0},
	{0x0288,0x0288,-218,0}, {0x0289,0x0289,-69,0}, {0x028a,0x028b,-217,0},
	{0x028c,0x028c,-71,0}, {0x0292,0x0292,-219,0}, {0x029d,0x029d,42261,0},
	{0x029e,0x029e,42258,0}, {0x0345,0x0345,84,0}, {0x0370,0x0373,ALT,0},
	{0x0376,0x0376,0,1}, {0x0377,0x0377,-1,0}, {0x037b,0x037d,130,0},
	{0x037f,0x037f,0,116}, {0x0386,0x0386,0,38}, {0x0388,0x038a,0,37},
	{0x038c,0x038c,0,64}, {0x038e,0x038f,0,63}, {0x0391,0x03a1,0,32},
	{0x03a3,0x03ab,0,32}, {0x03ac,0x03ac,-38,0}, {0x03ad,0x03af,-37,0},
	{0x03b1,0x03c1,-32,0}, {0x03c2,0x03c2,-31,0}, {0x03c3,0x03cb,-32,0},
	{0x03cc,0x03cc,-64,0}, {0x03cd,0x03ce,-63,0}, {0x03cf,0x03cf,0,8},
	{0x03d0,0x03d0,-62,0}, {0x03d1,0x03d1,-57,0}, {0x03d5,0x03d5,-47,0},
	{0x03d6,0x03d6,-54,0}, {0x03d7,0x03d7,-8,0}, {0x03d8,0x03ef,ALT,0},
	{0x03f0,0x03f0,-86,0}, {0x03f1,0x03f1,-80,0}, {0x03f2,0x03f2,7,0},
	{0x03f3,0x03f3,-116,0}, {0x03f4,0x03f4,0,-60}, {0x03f5,0x03f5,-96,0},
	{0x03f7,0x03f7,0,1}, {0x03f8,0x03f8,-1,0}, {0x03f9,0x03f9,0,-7},
	{0x03fa,0x03fa,0,1}, {0x03fb,0x03fb,-1,0}, {0x03fd,0x03ff,0,-130},
	{0x0400,0x040f,0,80}, {0x0410,0x042f,0,32}, {0x0430,0x044f,-32,0},
	{0x0450,0x045f,-80,0}, {0x0460,0x0481,ALT,0}, {0x048a,0x04bf,ALT,0},
	{0x04c0,0x04c0,0,15}, {0x04c1,0x04ce,ALT,0}, {0x04cf,0x04cf,-15,0},
	{0x04d0,0x052f,ALT,0}, {0x0531,0x0556,0,48}, {0x0561,0x0586,-48,0},
	{0x10a0,0x10c5,0,7264}, {0x10c7,0x10c7,0,7264}, {0x10cd,0x10cd,0,7264},
	{0x10d0,0x10fa,3008,0}, {0x10fd,0x10ff,3008,0},
	{0x13a0,0x13ef,0,38864}, {0x13f0,0x13f5,0,8}, {0x13f8,0x13fd,-8,0},
	{0x1c80,0x1c80,-6254,0}, {0x1c81,0x1c81,-6253,0},
	{0x1c82,0x1c82,-6244,0}, {0x1c83,0x1c84,-6242,0},
	{0x1c85,0x1c85,-6243,0}, {0x1c86,0x1c86,-6236,0},
	{0x1c87,0x1c87,-6181,0}, {0x1c88,0x1c88,35266,0},
	{0x1c90,0x1cba,0,-3008}, {0x1cbd,0x1cbf,0,-3008},
	{0x1d79,0x1d79,35332,0}, {0x1d7d,0x1d7d,3814,0},
	{0x1d8e,0x1d8e,35384,0}, {0x1e00,0x1e95,ALT,0}, {0x1e9b,0x1e9b,-59,0},
	{0x1e9e,0x1e9e,0,-7615}, {0x1ea0,0x1eff,ALT,0}, {0x1f00,0x1f07,8,0},
	{0x1f08,0x1f0f,0,-8}, {0x1f10,0x1f15,8,0}, {0x1f18,0x1f1d,0,-8},
	{0x1f20,0x1f27,8,0}, {0x1f28,0x1f2f,0,-8}, {0x1f30,0x1f37,8,0},
	{0x1f38,0x1f3f,0,-8}, {0x1f40,0x1f45,8,0}, {0x1f48,0x1f4d,0,-8},
	{0x1f51,0x1f51,8,0}, {0x1f53,0x1f53,8,0}, {0x1f55,0x1f55,8,0},
	{0x1f57,0x1f57,8,0}, {0x1f59,0x1f59,0,-8}, {0x1f5b,0x1f5b,0,-8},
	{0x1f5d,0x1f5d,0,-8}, {0x1f5f,0x1f5f,0,-8}, {0x1f60,0x1f67,8,0},
	{0x1f68,0x1f6f,0,-8}, {0x1f70,0x1f71,74,0}, {0x1f72,0x1f75,86,0},
	{0x1f76,0x1f77,100,0}, {0x1f78,0x1f79,128,0}, {0x1f7a,0x1f7b,112,0},
	{0x1f7c,0x1f7d,126,0}, {0x1f80,0x1f87,8,0}, {0x1f88,0x1f8f,0,-8},
	{0x1f90,0x1f97,8,0}, {0x1f98,0x1f9f,0,-8}, {0x1fa0,0x1fa7,8,0},
	{0x1fa8,0x1faf,0,-8}, {0x1fb0,0x1fb1,8,0}, {0x1fb3,0x1fb3,9,0},
	{0x1fb8,0x1fb9,0,-8}, {0x1fba,0x1fbb,0,-74}, {0x1fbc,0x1fbc,0,-9},
	{0x1fbe,0x1fbe,-7205,0}, {0x1fc3,0x1fc3,9,0}, {0x1fc8,0x1fcb,0,-86},
	{0x1fcc,0x1fcc,0,-9}, {0x1fd0,0x1fd1,8,0}, {0x1fd8,0x1fd9,0,-8},
	{0x1fda,0x1fdb,0,-100}, {0x1fe0,0x1fe1,8,0}, {0x1fe5,0x1fe5,7,0},
	{0x1fe8,0x1fe9,0,-8}, {0x1fea,0x1feb,0,-112}, {0x1fec,0x1fec,0,-7},
	{0x1ff3,0x1ff3,9,0}, {0x1ff8,0x1ff9,0,-128}, {0x1ffa,0x1ffb,0,-126},
	{0x1ffc,0x1ffc,0,-9}, {0x2126,0x2126,0,-7517}, {0x212a,0x212a,0,-8383},
	{0x212b,0x212b,0,-8262}, {0x2132,0x2132,0,28}, {0x214e,0x214e,-28,0},
	{0x2160,0x216f,0,16}, {0x2170,0x217f,-16,0}, {0x2183,0x2183,0,1},
	{0x2184,0x2184,-1,0}, {0x24b6,0x24cf,0,26}, {0x24d0,0x24e9,-26,0},
	{0x2c00,0x2c2f,0,48}, {0x2c30,0x2c5f,-48,0}, {0x2c60,0x2c60,0,1},
	{0x2c61,0x2c61,-1,0}, {0x2c62,0x2c62,0,-10743},
	{0x2c63,0x2c63,0,-3814}, {0x2c64,0x2c64,0,-10727},
	{0x2c65,0x2c65,-10795,0}, {0x2c66,0x2c66,-10792,0},
	{0x2c67,0x2c6c,ALT,0}, {0x2c6d,0x2c6d,0,-10780},
	{0x2c6e,0x2c6e,0,-10749}, {0x2c6f,0x2c6f,0,-10783},
	{0x2c70,0x2c70,0,-10782}, {0x2c72,0x2c72,0,1}, {0x2c73,0x2c73,-1,0},
	{0x2c75,0x2c75,0,1}, {0x2c76,0x2c76,-1,0}, {0x2c7e,0x2c7f,0,-10815},
	{0x2c80,0x2ce3,ALT,0}, {0x2ceb,0x2cee,ALT,0}, {0x2cf2,0x2cf2,0,1},
	{0x2cf3,0x2cf3,-1,0}, {0x2d00,0x2d25,-7264,0}, {0x2d27,0x2d27,-7264,0},
	{0x2d2d,0x2d2d,-7264,0}, {0xa640,0xa66d,ALT,0}, {0xa680,0xa69b,ALT,0},
	{0xa722,0xa72f,ALT,0}, {0xa732,0xa76f,ALT,0}, {0xa779,0xa77c,ALT,0},
	{0xa77d,0xa77d,0,-35332}, {0xa77e,0xa787,ALT,0}, {0xa78b,0xa78b,0,1},
	{0xa78c,0xa78c,-1,0}, {0xa78d,0xa78d,0,-42280}, {0xa790,0xa793,ALT,0},
	{0xa794,0xa794,48,0}, {0xa796,0xa7a9,ALT,0}, {0xa7aa,0xa7aa,0,-42308},
	{0xa7ab,0xa7ab,0,-42319}, {0xa7ac,0xa7ac,0,-42315},
	{0xa7ad,0xa7ad,0,-42305}, {0xa7ae,0xa7ae,0,-42308},
	{0xa7b0,0xa7b0,0,-42258}, {0xa7b1,0xa7b1,0,-42282},
	{0xa7b2,0xa7b2,0,-42261}, {0xa7b3,0xa7b3,0,928}, {0xa7b4,0xa7c3,ALT,0},
	{0xa7c4,0xa7c4,0,-48}, {0xa7c5,0xa7c5,0,-42307},
	{0xa7c6,0xa7c6,0,-35384}, {0xa7c7,0xa7ca,ALT,0}, {0xa7d0,0xa7d0,0,1},
	{0xa7d1,0xa7d1,-1,0}, {0xa7d6,0xa7d9,ALT,0}, {0xa7f5,0xa7f5,0,1},
	{0xa7f6,0xa7f6,-1,0}, {0xab53,0xab53,-928,0}, {0xab70,0xabbf,-38864,0},
	{0xff21,0xff3a,0,32}, {0xff41,0xff5a,-32,0}, {0x10400,0x10427,0,40},
	{0x10428,0x1044f,-40,0}, {0x104b0,0x104d3,0,40},
	{0x104d8,0x104fb,-40,0}, {0x10570,0x1057a,0,39},
	{0x1057c,0x1058a,0,39}, {0x1058c,0x10592,0,39}, {0x10594,0x10595,0,39},
	{0x10597,0x105a1,-39,0}, {0x105a3,0x105b1,-39,0},
	{0x105b3,0x105b9,-39,0}, {0x105bb,0x105bc,-39,0},
	{0x10c80,0x10cb2,0,64}, {0x10cc0,0x10cf2,-64,0},
	{0x118a0,0x118bf,0,32}, {0x118c0,0x118df,-32,0},
	{0x16e40,0x16e5f,0,32}, {0x16e60,0x16e7f,-32,0},
	{0x1e900,0x1e921,0,34}, {0x1e922,0x1e943,-34,0},
/* case table end */
};

static uint32_t
case_map(uint32_t c, int upper)
{
	size_t lo = 0, hi = sizeof(casetab) / sizeof(casetab[0]), m;
	const struct crange *r;

	while (lo < hi) {
		m = (lo + hi) / 2;
		r = &casetab[m];
		if (c < r->lo)
			hi = m;
		else if (c > r->hi)
			lo = m + 1;
		else if (r->dup == ALT) {
			if ((c - r->lo) % 2 == 0)
				return upper ? c : c + 1;
			return upper ? c - 1 : c;
		} else
			return (uint32_t)((int32_t)c +
			    (upper ? r->dup : r->dlo));
	}
	return c;
}

static void
case_conv(struct buf *out, const char *s, size_t n, int upper)
{
	size_t i = 0, k;
	uint32_t c;

	while (i < n) {
		unsigned char b = (unsigned char)s[i];

		if (b < 0x80) {
			if (upper && b >= 'a' && b <= 'z')
				b -= 32;
			else if (!upper && b >= 'A' && b <= 'Z')
				b += 32;
			buf_putc(out, (char)b);
			i++;
			continue;
		}
		k = u8_dec(s + i, n - i, &c);
		if (k == 0) {
			/* Go's strings.Map: an invalid byte becomes U+FFFD */
			u8_put(out, 0xfffd);
			i++;
			continue;
		}
		u8_put(out, case_map(c, upper));
		i += k;
	}
}

void
case_upper(struct buf *out, const char *s, size_t n)
{
	case_conv(out, s, n, 1);
}

void
case_lower(struct buf *out, const char *s, size_t n)
{
	case_conv(out, s, n, 0);
}

/* -------------------------------------------- RE2 syntax, PCRE2 engine */

struct re {
	pcre2_code		*code;
	pcre2_match_data	*md;
	pcre2_match_context	*mc;
	pcre2_jit_stack		*js;
	char			**names;	/* [group]; NULL: unnamed */
	uint32_t		 ngroups;	/* groups, without 0 */
	size_t			 nmarks;	/* loop callouts */
	uint32_t		*gfirst, *gnum;	/* see re_groups */
	unsigned char		*off;		/* [callout]: unchecked */
	unsigned char		*memo;		/* visits: nmarks x (n+1) */
	size_t			 memo_n, memocap;
	uint64_t		 errors;	/* match errors (limits) */
	size_t			*gov;		/* Go's groups: re_find */
	struct re_tmpl		 last;		/* see re_tmpl_last */
	int			 has_last;
};

struct tr {			/* the translator's state */
	const char	*p;
	size_t		 n, i;
	struct buf	*out;
	char		*err;
	size_t		 errlen;
	char		**names;
	size_t		 ngroups, namecap;
	size_t		 nmarks;	/* loop callouts (see tr_star) */
	unsigned char	*off;		/* [callout]: 1 = not checked */
	size_t		 offcap;
	size_t		 open[TR_DEPTH + 1];	/* out offset of each '(' */
	struct aloop {			/* a loop over one character */
		size_t	 start, end;	/* the atom's text in out */
		int	 plus, done, dup;
	}		*al;
	size_t		 nal, alcap;
};

static int
tr_fail(struct tr *t, const char *what, size_t from, size_t to)
{
	int len;

	if (to > t->n)
		to = t->n;
	len = (int)(to - from);
	if (len > 40)
		len = 40;
	snprintf(t->err, t->errlen, "%s: `%.*s`", what, len, t->p + from);
	return -1;
}

static int
is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
hexval(int c)
{
	if (c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

static void
put_cp(struct buf *b, uint32_t c)
{
	char t[16];
	int k = snprintf(t, sizeof(t), "\\x{%x}", (unsigned)c);

	buf_put(b, t, (size_t)k);
}

/*
 * An escape that stands for one character (Go's parseEscape); t->i is on
 * the backslash. 0 and *cp, or -1.
 */
static int
tr_esc_char(struct tr *t, uint32_t *cp)
{
	size_t s = t->i, k;
	uint32_t c, v;
	int d;

	if (t->i + 1 >= t->n)
		return tr_fail(t, "trailing backslash at end of expression",
		    s, t->n);
	t->i++;
	c = (unsigned char)t->p[t->i];
	if (c < 0x80 && !is_alnum((int)c)) {
		/* escaped punctuation is itself */
		t->i++;
		*cp = c;
		return 0;
	}
	switch (c) {
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		/* a single nonzero digit is a backreference */
		if (t->i + 1 >= t->n || t->p[t->i + 1] < '0' ||
		    t->p[t->i + 1] > '7')
			break;
		/* FALLTHROUGH */
	case '0':
		v = c - '0';
		t->i++;
		for (k = 1; k < 3 && t->i < t->n && t->p[t->i] >= '0' &&
		    t->p[t->i] <= '7'; k++, t->i++)
			v = v * 8 + (uint32_t)(t->p[t->i] - '0');
		*cp = v;
		return 0;
	case 'x':
		t->i++;
		if (t->i < t->n && t->p[t->i] == '{') {
			v = 0;
			t->i++;
			for (k = 0; t->i < t->n && is_hex(t->p[t->i]);
			    k++, t->i++) {
				d = hexval(t->p[t->i]);
				v = v * 16 + (uint32_t)d;
				if (v > 0x10ffff)
					break;
			}
			if (k == 0 || t->i >= t->n || t->p[t->i] != '}')
				break;
			t->i++;
			*cp = v;
			return 0;
		}
		if (t->i + 1 < t->n && is_hex(t->p[t->i]) &&
		    is_hex(t->p[t->i + 1])) {
			*cp = (uint32_t)(hexval(t->p[t->i]) * 16 +
			    hexval(t->p[t->i + 1]));
			t->i += 2;
			return 0;
		}
		break;
	case 'a': *cp = 7; t->i++; return 0;
	case 'f': *cp = 12; t->i++; return 0;
	case 't': *cp = 9; t->i++; return 0;
	case 'n': *cp = 10; t->i++; return 0;
	case 'r': *cp = 13; t->i++; return 0;
	case 'v': *cp = 11; t->i++; return 0;
	}
	k = u8_dec(t->p + s + 1, t->n - s - 1, &v);
	return tr_fail(t, "invalid escape sequence", s,
	    t->i > s + 1 + k ? t->i : s + 1 + (k ? k : 1));
}

/*
 * \pX, \p{Name}, \PX, \P{Name}: copied; PCRE2 checks the name (as Go 1.25
 * does, ignoring case, '_', '-' and ' '), except PCRE2's own Xan, Xps,
 * Xsp, Xuc and Xwd, which Go does not know.
 */
static int
tr_uniclass(struct tr *t)
{
	static const char *const pcre_only[] = {
		"xan", "xps", "xsp", "xuc", "xwd", NULL
	};
	size_t s = t->i, e, k;
	char low[4];

	if (t->i + 2 >= t->n)
		return tr_fail(t, "invalid character class range", s, t->n);
	if (t->p[t->i + 2] == '{') {
		for (e = t->i + 3; e < t->n && t->p[e] != '}'; e++)
			if (!is_alnum(t->p[e]) && t->p[e] != '_' &&
			    t->p[e] != '^')
				break;
		if (e >= t->n || t->p[e] != '}' || e == t->i + 3)
			return tr_fail(t, "invalid character class range",
			    s, e + 1);
		k = t->i + 3 + (t->p[t->i + 3] == '^');
		if (e - k == 3) {
			for (int j = 0; j < 3; j++)
				low[j] = (char)(t->p[k + j] | 0x20);
			low[3] = '\0';
			for (int j = 0; pcre_only[j] != NULL; j++)
				if (strcmp(low, pcre_only[j]) == 0)
					return tr_fail(t, "invalid character "
					    "class range", s, e + 1);
		}
		e++;
	} else {
		if (!is_alnum(t->p[t->i + 2]))
			return tr_fail(t, "invalid character class range",
			    s, t->i + 3);
		e = t->i + 3;
	}
	buf_put(t->out, t->p + s, e - s);
	t->i = e;
	return 0;
}

/* Go's Perl classes, ASCII only; \s has no \v in RE2. */
static int
tr_perlclass(struct tr *t, int inclass)
{
	char c = t->p[t->i + 1];

	switch (c) {
	case 'd': case 'D': case 'w': case 'W':
		buf_putc(t->out, '\\');
		buf_putc(t->out, c);
		break;
	case 's':
		buf_puts(t->out, inclass ? "\\t\\n\\f\\r " :
		    "[\\t\\n\\f\\r ]");
		break;
	case 'S':
		buf_puts(t->out, inclass ?
		    "\\x{0}-\\x{8}\\x{b}\\x{e}-\\x{1f}\\x{21}-\\x{10ffff}" :
		    "[^\\t\\n\\f\\r ]");
		break;
	default:
		return 0;
	}
	t->i += 2;
	return 1;
}

static const char *const posix_names[] = {
	"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
	"lower", "print", "punct", "space", "upper", "word", "xdigit", NULL
};

static int
tr_class(struct tr *t)
{
	size_t s = t->i, e, k, first;
	uint32_t lo, hi;
	int i, ok;

	t->i++;
	buf_putc(t->out, '[');
	if (t->i < t->n && t->p[t->i] == '^') {
		buf_putc(t->out, '^');
		t->i++;
	}
	first = t->i;
	for (;;) {
		if (t->i >= t->n)
			return tr_fail(t, "missing closing ]", s, t->n);
		if (t->p[t->i] == ']' && t->i != first) {
			t->i++;
			buf_putc(t->out, ']');
			return 0;
		}
		if (t->p[t->i] == '[' && t->i + 1 < t->n &&
		    t->p[t->i + 1] == ':') {
			for (e = t->i + 2; e + 1 < t->n; e++)
				if (t->p[e] == ':' && t->p[e + 1] == ']')
					break;
			if (e + 1 < t->n) {
				k = t->i + 2;
				if (t->p[k] == '^')
					k++;
				ok = 0;
				for (i = 0; posix_names[i] != NULL; i++)
					if (strlen(posix_names[i]) == e - k &&
					    memcmp(posix_names[i], t->p + k,
					    e - k) == 0)
						ok = 1;
				if (!ok)
					return tr_fail(t, "invalid character "
					    "class range", t->i, e + 2);
				buf_put(t->out, t->p + t->i, e + 2 - t->i);
				t->i = e + 2;
				continue;
			}
		}
		if (t->p[t->i] == '\\' && t->i + 1 < t->n &&
		    (t->p[t->i + 1] == 'p' || t->p[t->i + 1] == 'P')) {
			if (tr_uniclass(t) < 0)
				return -1;
			continue;
		}
		if (t->p[t->i] == '\\' && t->i + 1 < t->n &&
		    tr_perlclass(t, 1))
			continue;
		e = t->i;
		if (t->p[t->i] == '\\') {
			if (tr_esc_char(t, &lo) < 0)
				return -1;
		} else {
			k = u8_dec(t->p + t->i, t->n - t->i, &lo);
			if (k == 0)
				return tr_fail(t, "invalid UTF-8", t->i,
				    t->i + 1);
			t->i += k;
		}
		hi = lo;
		if (t->i + 1 < t->n && t->p[t->i] == '-' &&
		    t->p[t->i + 1] != ']') {
			t->i++;
			if (t->p[t->i] == '\\') {
				if (tr_esc_char(t, &hi) < 0)
					return -1;
			} else {
				k = u8_dec(t->p + t->i, t->n - t->i, &hi);
				if (k == 0)
					return tr_fail(t, "invalid UTF-8",
					    t->i, t->i + 1);
				t->i += k;
			}
			if (hi < lo)
				return tr_fail(t, "invalid character class "
				    "range", e, t->i);
		}
		put_cp(t->out, lo);
		if (hi != lo) {
			buf_putc(t->out, '-');
			put_cp(t->out, hi);
		}
	}
}

/* Go's parseInt for repeat counts: no leading zeros; -1 if huge. */
static int
tr_int(struct tr *t, size_t *i, long *v)
{
	size_t s = *i;

	if (s >= t->n || t->p[s] < '0' || t->p[s] > '9')
		return 0;
	if (s + 1 < t->n && t->p[s] == '0' && t->p[s + 1] >= '0' &&
	    t->p[s + 1] <= '9')
		return 0;
	*v = 0;
	for (; *i < t->n && t->p[*i] >= '0' && t->p[*i] <= '9'; (*i)++) {
		if (*v >= 100000000)
			*v = -1;
		else if (*v >= 0)
			*v = *v * 10 + (t->p[*i] - '0');
	}
	return 1;
}

/* {n}, {n,}, {n,m}: 1 with the counts (max -1: none), 0: a literal. */
static int
tr_repeat(struct tr *t, long *min, long *max, size_t *end)
{
	size_t i = t->i + 1;

	if (!tr_int(t, &i, min))
		return 0;
	if (i < t->n && t->p[i] == ',') {
		i++;
		if (i < t->n && t->p[i] == '}')
			*max = -1;
		else if (!tr_int(t, &i, max))
			return 0;
		else if (*max < 0)
			*max = MAX_REPEAT + 1;
	} else
		*max = *min;
	if (i >= t->n || t->p[i] != '}')
		return 0;
	*end = i + 1;
	return 1;
}

/*
 * A capturing group, named u<N> for PCRE2 (Go's own names are kept in
 * t->names): copies of a group (tr_count) share its name, and its value
 * is that of the last copy that took part (re_group).
 */
static void
tr_open(struct tr *t)
{
	char nm[32];
	int k = snprintf(nm, sizeof(nm), "(?<u%zu>", t->ngroups);

	buf_put(t->out, nm, (size_t)k);
}

static int
tr_group_name(struct tr *t, size_t s, size_t from)
{
	size_t e;

	for (e = from; e < t->n && t->p[e] != '>'; e++)
		if (!is_alnum(t->p[e]) && t->p[e] != '_')
			break;
	if (e >= t->n || t->p[e] != '>' || e == from) {
		while (e < t->n && t->p[e] != '>')
			e++;
		return tr_fail(t, "invalid named capture", s, e + 1);
	}
	t->ngroups++;
	if (t->ngroups >= t->namecap) {
		t->namecap = t->namecap ? t->namecap * 2 : 8;
		t->names = xrealloc(t->names, t->namecap * sizeof(char *));
	}
	t->names[t->ngroups] = NULL;
	for (size_t g = 1; g < t->ngroups; g++)
		if (t->names[g] != NULL && strlen(t->names[g]) == e - from &&
		    memcmp(t->names[g], t->p + from, e - from) == 0)
			return tr_fail(t, "duplicate capture group name",
			    s, e + 1);
	t->names[t->ngroups] = xstrndup(t->p + from, e - from);
	t->i = e + 1;
	tr_open(t);
	return 0;
}

static void
tr_plain_group(struct tr *t)
{
	t->ngroups++;
	if (t->ngroups >= t->namecap) {
		t->namecap = t->namecap ? t->namecap * 2 : 8;
		t->names = xrealloc(t->names, t->namecap * sizeof(char *));
	}
	t->names[t->ngroups] = NULL;
}

/* (?flags) and (?flags:  0, or -1; *colon says which. */
static int
tr_flags(struct tr *t, int *colon)
{
	size_t s = t->i, i = t->i + 2;
	int neg = 0, saw = 0;

	for (; i < t->n; i++) {
		char c = t->p[i];

		if (c == 'i' || c == 'm' || c == 's' || c == 'U') {
			saw = 1;
			continue;
		}
		if (c == '-') {
			if (neg)
				break;
			neg = 1;
			saw = 0;
			continue;
		}
		if (c == ':' || c == ')') {
			if (neg && !saw)
				break;
			*colon = c == ':';
			buf_put(t->out, t->p + s, i + 1 - s);
			t->i = i + 1;
			return 0;
		}
		break;
	}
	return tr_fail(t, "invalid or unsupported Perl syntax", s,
	    i + 1);
}

/*
 * Go's matchers visit each (instruction, position) at most once per
 * search: a path that comes back to a loop where it has already been, at
 * the same place, is dropped. PCRE2 keeps no such record, and where a
 * repeated group can match the empty string it takes other paths than
 * RE2, which changes what the groups report. So each loop over a group
 * notes its visits with callouts (re_callout) and fails a second one:
 *   (body)*  becomes  (?C'L')(?:(body)(?C'L'))*   (L: the loop's split)
 *   (body)+  becomes  (?:(?C'L')(body)(?C'S'))+   (L: start, S: split)
 * (and the same for the lazy forms).
 */
/* Inserts text at off in out, moving what was recorded after it. */
static void
tr_insert(struct tr *t, size_t off, const char *p, size_t n)
{
	size_t i;

	buf_grow(t->out, n);
	memmove(t->out->p + off + n, t->out->p + off, t->out->len - off);
	memcpy(t->out->p + off, p, n);
	t->out->len += n;
	for (i = 0; i < t->nal; i++) {
		if (t->al[i].start >= off)
			t->al[i].start += n;
		if (t->al[i].end >= off)
			t->al[i].end += n;
	}
	for (i = 0; i <= TR_DEPTH; i++)
		if (t->open[i] > off)
			t->open[i] += n;
}

/* Wraps out[start, end) in a loop's callouts; 'end' is where the
 * quantifier goes. */
static void
tr_wrap(struct tr *t, size_t start, size_t end, int plus)
{
	char pre[48], post[48];
	int a, b;
	size_t k = t->nmarks;

	t->nmarks += 2;
	if (t->nmarks > t->offcap) {
		t->offcap = t->nmarks * 2;
		t->off = xrealloc(t->off, t->offcap);
	}
	t->off[k] = t->off[k + 1] = 0;
	if (plus) {
		a = snprintf(pre, sizeof(pre), "(?:(?C'%06zu')", k);
		b = snprintf(post, sizeof(post), "(?C'%06zu'))", k + 1);
	} else {
		a = snprintf(pre, sizeof(pre), "(?C'%06zu')(?:", k);
		b = snprintf(post, sizeof(post), "(?C'%06zu'))", k);
	}
	tr_insert(t, end, post, (size_t)b);
	tr_insert(t, start, pre, (size_t)a);
}

/* A repeated group; the loops over one character inside it get their
 * callouts too (they are revisited when the group repeats). */
static void
tr_star(struct tr *t, size_t gstart, int plus)
{
	size_t i, end = t->out->len;

	for (i = t->nal; i-- > 0; ) {
		struct aloop *l = &t->al[i];

		if (l->start < gstart)
			break;
		if (l->done || l->dup)
			continue;
		l->done = 1;
		tr_wrap(t, l->start, l->end, l->plus);
	}
	end = t->out->len;
	tr_wrap(t, gstart, end, plus);
}

/* A loop over one character: noted, wrapped if a group around it
 * repeats. */
static void
tr_atom_loop(struct tr *t, size_t start, int plus)
{
	if (t->nal == t->alcap) {
		t->alcap = t->alcap ? t->alcap * 2 : 8;
		t->al = xrealloc(t->al, t->alcap * sizeof(*t->al));
	}
	t->al[t->nal].start = start;
	t->al[t->nal].end = t->out->len;
	t->al[t->nal].plus = plus;
	t->al[t->nal].done = t->al[t->nal].dup = 0;
	t->nal++;
}

/* Appends a copy of a group's text with callouts of its own (ids are six
 * digits, so offsets move by the same amount for all of it), and copies
 * the notes of the loops inside. */
static void
tr_copy(struct tr *t, const char *body, size_t blen, size_t orig,
    const struct aloop *al, size_t nal)
{
	size_t at = t->out->len, i, k, nmap = 0, mapcap = 0;
	size_t (*map)[2] = NULL;
	char id[8];

	for (i = 0; i < blen; ) {
		if (i + 12 <= blen && memcmp(body + i, "(?C'", 4) == 0 &&
		    body[i + 10] == '\'') {
			size_t old = 0, nw;

			for (k = 4; k < 10; k++)
				old = old * 10 + (size_t)(body[i + k] - '0');
			for (k = 0; k < nmap && map[k][0] != old; k++)
				;
			if (k == nmap) {
				if (nmap == mapcap) {
					mapcap = mapcap ? mapcap * 2 : 8;
					map = xrealloc(map, mapcap *
					    sizeof(*map));
				}
				map[nmap][0] = old;
				map[nmap][1] = t->nmarks++;
				if (t->nmarks > t->offcap) {
					t->offcap = t->nmarks * 2;
					t->off = xrealloc(t->off, t->offcap);
				}
				t->off[map[nmap][1]] = 0;
				nmap++;
			}
			nw = map[k][1];
			snprintf(id, sizeof(id), "%06zu", nw);
			buf_put(t->out, "(?C'", 4);
			buf_put(t->out, id, 6);
			i += 10;
			continue;
		}
		buf_putc(t->out, body[i]);
		i++;
	}
	free(map);
	for (i = 0; i < nal; i++) {
		struct aloop l = al[i];

		l.start = l.start - orig + at;
		l.end = l.end - orig + at;
		if (t->nal == t->alcap) {
			t->alcap = t->alcap ? t->alcap * 2 : 8;
			t->al = xrealloc(t->al, t->alcap * sizeof(*t->al));
		}
		t->al[t->nal++] = l;
	}
}

/*
 * x{2,1000}: too deep to nest in PCRE2 as copies. Left to PCRE2's counted
 * repeat, with the loops inside unchecked: one record of visits for all
 * the copies Go would make would fail paths RE2 takes.
 */
static void
tr_nocount(struct tr *t, size_t gstart)
{
	size_t i, k, id;

	for (i = gstart; i + 12 <= t->out->len; i++) {
		if (memcmp(t->out->p + i, "(?C'", 4) != 0)
			continue;
		id = 0;
		for (k = 4; k < 10; k++)
			id = id * 10 + (size_t)(t->out->p[i + k] - '0');
		if (id < t->nmarks)
			t->off[id] = 1;
	}
	for (i = t->nal; i-- > 0 && t->al[i].start >= gstart; )
		t->al[i].dup = 1;
}

/*
 * A counted repeat of a group: Go's parser writes x{2,4} as x x (x(x)?)?
 * and x{3,} as x x x+, copies with loops of their own (which matters
 * for its visit rule, tr_star). Done the same way here.
 */
static void
tr_count(struct tr *t, size_t gstart, long min, long max, int lazy)
{
	size_t end = t->out->len, blen = end - gstart, r0, r1 = t->nal;
	size_t start, nal;
	struct aloop *al;
	char *body;
	long i, fixed = max < 0 ? min - 1 : min;

	/* the group's text and loop notes, taken out and put back as
	 * copies, each with callouts and notes of its own */
	r0 = r1;
	while (r0 > 0 && t->al[r0 - 1].start >= gstart)
		r0--;
	nal = r1 - r0;
	al = xcalloc(nal + 1, sizeof(*al));
	if (nal > 0)
		memcpy(al, t->al + r0, nal * sizeof(*al));
	t->nal = r0;
	body = xmalloc(blen + 1);
	memcpy(body, t->out->p + gstart, blen);
	t->out->len = gstart;
	for (i = 0; i < fixed; i++)
		tr_copy(t, body, blen, gstart, al, nal);
	if (max < 0) {
		start = t->out->len;
		tr_copy(t, body, blen, gstart, al, nal);
		tr_star(t, start, 1);
		buf_puts(t->out, lazy ? "+?" : "+");
	} else {
		for (i = fixed; i < max; i++) {
			buf_puts(t->out, "(?:");
			tr_copy(t, body, blen, gstart, al, nal);
		}
		for (i = fixed; i < max; i++)
			buf_puts(t->out, lazy ? ")??" : ")?");
	}
	free(al);
	free(body);
}

/*
 * Translates the Go pattern p into PCRE2 syntax in out. Go's repeat
 * limits are checked here: counts over 1000, and nested counted repeats
 * whose product exceeds 1000 (Go's repeatIsValid).
 */
static int
tr_run(struct tr *t)
{
	long min, max, m, prod[TR_DEPTH + 1], last = 0, np;
	size_t s, end, k, depth = 0, gstart = 0, astart = 0;
	int atom = 0, lastrep = 0, colon, group = 0, star, plus;
	uint32_t cp;

	prod[0] = 1;
	while (t->i < t->n) {
		char c = t->p[t->i];

		if (c != '*' && c != '+' && c != '?' && c != '{') {
			group = 0;
			astart = t->out->len;
		}
		s = t->i;
		switch (c) {
		case '(':
			t->open[depth + 1 <= TR_DEPTH ? depth + 1 : TR_DEPTH] =
			    t->out->len;
			if (t->i + 1 < t->n && t->p[t->i + 1] == '?') {
				if (t->i + 2 < t->n && t->p[t->i + 2] == 'P' &&
				    t->i + 3 < t->n && t->p[t->i + 3] == '<') {
					if (tr_group_name(t, s, t->i + 4) < 0)
						return -1;
				} else if (t->i + 2 < t->n &&
				    t->p[t->i + 2] == '<' && t->i + 3 < t->n &&
				    t->p[t->i + 3] != '=' &&
				    t->p[t->i + 3] != '!') {
					if (tr_group_name(t, s, t->i + 3) < 0)
						return -1;
				} else {
					if (tr_flags(t, &colon) < 0)
						return -1;
					if (!colon) {
						/* flags only: no atom */
						atom = 0;
						lastrep = 0;
						break;
					}
				}
			} else {
				tr_plain_group(t);
				tr_open(t);
				t->i++;
			}
			if (++depth > TR_DEPTH)
				return tr_fail(t, "expression nests too "
				    "deeply", s, s + 1);
			prod[depth] = 1;
			atom = 0;
			lastrep = 0;
			break;
		case ')':
			if (depth == 0)
				return tr_fail(t, "unexpected )", s, s + 1);
			last = prod[depth];
			gstart = t->open[depth--];
			buf_putc(t->out, ')');
			t->i++;
			atom = 1;
			lastrep = 0;
			group = 1;
			break;
		case '|':
			buf_putc(t->out, '|');
			t->i++;
			atom = 0;
			lastrep = 0;
			break;
		case '*': case '+': case '?': case '{':
			if (c == '{') {
				if (!tr_repeat(t, &min, &max, &end)) {
					astart = t->out->len;
					buf_puts(t->out, "\\{");
					t->i++;
					atom = 1;
					last = 1;
					lastrep = 0;
					break;
				}
				if (min < 0 || min > MAX_REPEAT ||
				    max > MAX_REPEAT ||
				    (max >= 0 && min > max))
					return tr_fail(t, "invalid repeat "
					    "count", s, end);
			} else
				end = t->i + 1;
			if (end < t->n && t->p[end] == '?')
				end++;
			if (lastrep)
				return tr_fail(t, "invalid nested repetition"
				    " operator", lastrep - 1, end);
			if (!atom)
				return tr_fail(t, "missing argument to "
				    "repetition operator", s, end);
			np = last;
			if (c == '{' && (min >= 2 || max >= 2)) {
				m = max < 0 ? min : max;
				if (m > 0)
					np = last * m;
				if (np > MAX_REPEAT)
					return tr_fail(t, "invalid repeat "
					    "count", s, end);
			}
			if (np > prod[depth])
				prod[depth] = np;
			star = c == '*' || (c == '{' && min == 0 && max < 0);
			plus = c == '+' || (c == '{' && min == 1 && max < 0);
			if (group && (star || plus))
				tr_star(t, gstart, plus);
			else if (!group && (star || plus))
				tr_atom_loop(t, astart, plus);
			else if (group && c == '{' && (max >= 2 ||
			    (max < 0 && min >= 2)) && max - min <= 100) {
				tr_count(t, gstart, min, max,
				    t->p[end - 1] == '?');
				t->i = end;
				lastrep = (int)s + 1;
				group = 0;
				break;
			} else if (group && c == '{' && max - min > 100)
				tr_nocount(t, gstart);
			buf_put(t->out, t->p + s, end - s);
			t->i = end;
			lastrep = (int)s + 1;
			group = 0;
			break;
		case '[':
			if (tr_class(t) < 0)
				return -1;
			atom = 1;
			last = 1;
			lastrep = 0;
			break;
		case '^': case '$': case '.':
			/* Go lets an assertion be repeated (^*); PCRE2 only
			 * a group */
			if (c == '.')
				buf_putc(t->out, c);
			else {
				buf_puts(t->out, "(?:");
				buf_putc(t->out, c);
				buf_putc(t->out, ')');
			}
			t->i++;
			atom = 1;
			last = 1;
			lastrep = 0;
			break;
		case '\\':
			atom = 1;
			last = 1;
			lastrep = 0;
			if (t->i + 1 < t->n) {
				char e = t->p[t->i + 1];

				if (e == 'A' || e == 'z' || e == 'b' ||
				    e == 'B') {
					buf_puts(t->out, "(?:");
					buf_put(t->out, t->p + t->i, 2);
					buf_putc(t->out, ')');
					t->i += 2;
					break;
				}
				if (e == 'p' || e == 'P') {
					if (tr_uniclass(t) < 0)
						return -1;
					break;
				}
				if (tr_perlclass(t, 0))
					break;
				if (e == 'Q') {
					/* literal text up to \E or the end */
					t->i += 2;
					while (t->i < t->n) {
						if (t->p[t->i] == '\\' &&
						    t->i + 1 < t->n &&
						    t->p[t->i + 1] == 'E') {
							t->i += 2;
							break;
						}
						k = u8_dec(t->p + t->i,
						    t->n - t->i, &cp);
						if (k == 0)
							return tr_fail(t,
							    "invalid UTF-8",
							    t->i, t->i + 1);
						astart = t->out->len;
						put_cp(t->out, cp);
						t->i += k;
					}
					break;
				}
			}
			if (tr_esc_char(t, &cp) < 0)
				return -1;
			put_cp(t->out, cp);
			break;
		default:
			k = u8_dec(t->p + t->i, t->n - t->i, &cp);
			if (k == 0)
				return tr_fail(t, "invalid UTF-8", s, s + 1);
			if (cp < 0x80 && !is_alnum((int)cp))
				buf_putc(t->out, '\\');
			buf_put(t->out, t->p + t->i, k);
			t->i += k;
			atom = 1;
			last = 1;
			lastrep = 0;
			break;
		}
	}
	if (depth > 0)
		return tr_fail(t, "missing closing )", 0, t->n);
	return 0;
}

/*
 * Which of PCRE2's groups stand for each of Go's: u<N> names them, more
 * than one when tr_count copied a group. re->gnum[re->gfirst[g] ..
 * re->gfirst[g + 1]) in increasing order.
 */
static int
re_groups(struct re *re, uint32_t cap)
{
	uint32_t cnt = 0, esz = 0, i, g, *count;
	PCRE2_SPTR tab = NULL;

	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &cnt);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &esz);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &tab);
	if (cnt != cap)
		return -1;
	re->gfirst = xcalloc(re->ngroups + 2, sizeof(*re->gfirst));
	re->gnum = xcalloc(cnt + 1, sizeof(*re->gnum));
	count = xcalloc(re->ngroups + 2, sizeof(*count));
	for (i = 0; i < cnt; i++) {
		PCRE2_SPTR e = tab + (size_t)i * esz;
		const char *nm = (const char *)e + 2;
		uint64_t v;

		if (nm[0] != 'u' ||
		    parse_u64(nm + 1, strlen(nm + 1), &v) < 0 ||
		    v < 1 || v > re->ngroups) {
			free(count);
			return -1;
		}
		count[v]++;
	}
	for (g = 1; g <= re->ngroups + 1; g++)
		re->gfirst[g] = re->gfirst[g - 1] + (g > 1 ? count[g - 1] : 0);
	memset(count, 0, (re->ngroups + 2) * sizeof(*count));
	for (i = 0; i < cnt; i++) {
		PCRE2_SPTR e = tab + (size_t)i * esz;
		const char *nm = (const char *)e + 2;
		uint64_t v;
		uint32_t num = (uint32_t)e[0] << 8 | e[1];

		(void)parse_u64(nm + 1, strlen(nm + 1), &v);
		re->gnum[re->gfirst[v] + count[v]++] = num;
	}
	free(count);
	for (g = 1; g <= re->ngroups; g++) {
		if (re->gfirst[g + 1] == re->gfirst[g])
			return -1;	/* a group without PCRE2's */
		/* sort each list (the table is sorted by name only) */
		for (i = re->gfirst[g] + 1; i < re->gfirst[g + 1]; i++) {
			uint32_t x = re->gnum[i], j = i;

			while (j > re->gfirst[g] && re->gnum[j - 1] > x) {
				re->gnum[j] = re->gnum[j - 1];
				j--;
			}
			re->gnum[j] = x;
		}
	}
	return 0;
}

/* Go's group g in the last match: the last of its copies that took
 * part. 1 and *a, *b set, or 0 when it did not take part. */
static int
re_group(struct re *re, uint32_t g, size_t *a, size_t *b)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
	uint32_t i, n;

	if (g == 0) {
		*a = ov[0];
		*b = ov[1];
		return 1;
	}
	if (g > re->ngroups)
		return 0;
	for (i = re->gfirst[g + 1]; i-- > re->gfirst[g]; ) {
		n = re->gnum[i];
		if (ov[2 * n] != PCRE2_UNSET) {
			*a = ov[2 * n];
			*b = ov[2 * n + 1];
			return 1;
		}
	}
	return 0;
}

/* A visit of a loop (tr_star): 1 (fail this path) when this loop was
 * already here at this position in this search. */
static int
re_callout(pcre2_callout_block *cb, void *arg)
{
	struct re *re = arg;
	size_t k = 0, bit;
	PCRE2_SIZE i;

	for (i = 0; i < cb->callout_string_length; i++)
		k = k * 10 + (size_t)(cb->callout_string[i] - '0');
	if (k >= re->nmarks || re->off[k] ||
	    cb->current_position > re->memo_n)
		return 0;
	bit = k * (re->memo_n + 1) + cb->current_position;
	if (re->memo[bit / 8] & (1u << (bit % 8)))
		return 1;
	re->memo[bit / 8] |= (unsigned char)(1u << (bit % 8));
	return 0;
}

struct re *
re_compile(const char *pat, size_t n, char *err, size_t errlen)
{
	struct buf out = { 0 };
	struct tr t = { 0 };
	struct re *re;
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	pcre2_compile_context *cc;
	int ec;
	uint32_t cap;

	t.p = pat;
	t.n = n;
	t.out = &out;
	t.err = err;
	t.errlen = errlen;
	if (utf8_valid_prefix(pat, n) != n) {
		snprintf(err, errlen, "invalid UTF-8");
		return NULL;
	}
	if (tr_run(&t) < 0) {
		for (size_t g = 1; g <= t.ngroups; g++)
			free(t.names[g]);
		free(t.names);
		free(t.off);
		free(t.al);
		buf_free(&out);
		return NULL;
	}
	free(t.al);
	re = xcalloc(1, sizeof(*re));
	re->off = t.off;
	re->names = t.names;
	re->ngroups = (uint32_t)t.ngroups;
	cc = pcre2_compile_context_create(NULL);
	if (cc == NULL)
		die(EX_SYS, "out of memory", NULL);
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	re->code = pcre2_compile((PCRE2_SPTR)(out.p ? out.p : ""), out.len,
	    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_CIRCUMFLEX |
	    PCRE2_NEVER_BACKSLASH_C | PCRE2_NO_AUTO_CAPTURE | PCRE2_DUPNAMES,
	    &ec, &off, cc);
	pcre2_compile_context_free(cc);
	buf_free(&out);
	if (re->code == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "%s", (char *)msg);
		re_free(re);
		return NULL;
	}
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &cap);
	re->nmarks = t.nmarks;
	if (re_groups(re, cap) < 0) {
		snprintf(err, errlen, "internal: groups do not add up");
		re_free(re);
		return NULL;
	}
	/*
	 * Without JIT (not built in, or no memory) pcre2_match interprets.
	 * Under valgrind too: JIT code reads stack slots it never set, which
	 * valgrind reports (PCRE2 has --enable-valgrind for this; Debian's
	 * is built without it).
	 */
	re->mc = pcre2_match_context_create(NULL);
	if (re->mc == NULL)
		die(EX_SYS, "out of memory", NULL);
	if (t.nmarks > 0)
		pcre2_set_callout(re->mc, re_callout, re);
	if (!RUNNING_ON_VALGRIND &&
	    pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0) {
		re->js = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
		if (re->js != NULL)
			pcre2_jit_stack_assign(re->mc, NULL, re->js);
	}
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	if (re->md == NULL)
		die(EX_SYS, "out of memory", NULL);
	re->gov = xcalloc(2 * ((size_t)re->ngroups + 1), sizeof(*re->gov));
	return re;
}

void
re_free(struct re *re)
{
	if (re == NULL)
		return;
	for (uint32_t g = 1; g <= re->ngroups; g++)
		free(re->names[g]);
	free(re->names);
	free(re->memo);
	free(re->off);
	free(re->gfirst);
	free(re->gnum);
	free(re->gov);
	if (re->has_last)
		re_tmpl_free(&re->last);
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mc);
	pcre2_jit_stack_free(re->js);
	pcre2_code_free(re->code);
	free(re);
}

/*
 * One search from start: 1 match (ovector in re->md), 0 none, -1 a
 * matching error (counted). With check 0 the subject is taken as valid
 * UTF-8 (an earlier search on it checked it).
 */
static int
re_exec(struct re *re, const char *s, size_t n, size_t start, int check)
{
	int rc;
	size_t bytes;

	if (re->nmarks > 0) {
		bytes = (re->nmarks * (n + 1) + 7) / 8;
		if (bytes > re->memocap) {
			re->memocap = bytes * 2;
			re->memo = xrealloc(re->memo, re->memocap);
		}
		memset(re->memo, 0, bytes);
		re->memo_n = n;
	}
	rc = pcre2_match(re->code, (PCRE2_SPTR)(n ? s : ""), n, start,
	    check ? 0 : PCRE2_NO_UTF_CHECK, re->md, re->mc);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	re->errors++;
	return -1;
}

/* Go's groups of the last match, into re->gov. */
static const size_t *
re_fill(struct re *re)
{
	size_t a, b;
	uint32_t g;

	for (g = 0; g <= re->ngroups; g++) {
		if (!re_group(re, g, &a, &b))
			a = b = SIZE_MAX;
		re->gov[2 * g] = a;
		re->gov[2 * g + 1] = b;
	}
	return re->gov;
}

int
re_match(struct re *re, const char *s, size_t n)
{
	return re_exec(re, s, n, 0, 1) == 1;
}

int
re_find(struct re *re, const char *s, size_t n, size_t start,
    const size_t **ov)
{
	int rc = re_exec(re, s, n, start, 1);

	if (rc == 1)
		*ov = re_fill(re);
	return rc;
}

uint32_t
re_ngroups(const struct re *re)
{
	return re->ngroups;
}

const char *
re_name(const struct re *re, uint32_t i)
{
	return i >= 1 && i <= re->ngroups ? re->names[i] : NULL;
}

uint64_t
re_errors(const struct re *re)
{
	return re->errors;
}

void
re_quote(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '\0' && strchr("\\.+*?()|[]{}^$", s[i]) != NULL)
			buf_putc(b, '\\');
		buf_putc(b, s[i]);
	}
}

/* Go's unicode.IsLetter || unicode.IsDigit || '_', for a name in a
 * template: the length of the name at s. */
static size_t
tmpl_name_len(const char *s, size_t n)
{
	static pcre2_code *word;
	pcre2_match_data *md;
	PCRE2_SIZE *ov, off;
	size_t len = 0;
	int ec;

	while (len < n && (is_alnum(s[len]) || s[len] == '_'))
		len++;
	if (len == n || (unsigned char)s[len] < 0x80)
		return len;
	if (word == NULL) {
		word = pcre2_compile((PCRE2_SPTR)"[\\p{L}\\p{Nd}_]*",
		    PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP |
		    PCRE2_ANCHORED, &ec, &off, NULL);
		if (word == NULL)
			die(EX_BUG, "template name pattern", NULL);
	}
	md = pcre2_match_data_create(1, NULL);
	if (md == NULL)
		die(EX_SYS, "out of memory", NULL);
	if (pcre2_match(word, (PCRE2_SPTR)s, n, len, 0, md, NULL) >= 0) {
		ov = pcre2_get_ovector_pointer(md);
		len = ov[1];
	}
	pcre2_match_data_free(md);
	return len;
}

static void
tmpl_add(struct re_tmpl *t, int grp, size_t off, size_t n, size_t *cap)
{
	if (grp == -2 && n == 0)
		return;
	if (grp == -2 && t->np > 0 && t->p[t->np - 1].grp == -2 &&
	    t->p[t->np - 1].off + t->p[t->np - 1].n == off) {
		t->p[t->np - 1].n += n;
		return;
	}
	if (t->np == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		t->p = xrealloc(t->p, *cap * sizeof(*t->p));
	}
	t->p[t->np].grp = grp;
	t->p[t->np].off = off;
	t->p[t->np].n = n;
	t->np++;
}

void
re_tmpl_parse(struct re_tmpl *t, const struct re *re, const char *s,
    size_t n)
{
	size_t i = 0, cap = 0, k, nl, d;
	long num;
	int brace, g;

	t->text = xstrndup(s, n);
	t->n = n;
	t->p = NULL;
	t->np = 0;
	t->has_var = memchr(s, '$', n) != NULL;
	s = t->text;
	while (i < n) {
		const char *dl = memchr(s + i, '$', n - i);

		if (dl == NULL)
			break;
		k = (size_t)(dl - s);
		tmpl_add(t, -2, i, k - i, &cap);
		i = k + 1;
		if (i < n && s[i] == '$') {
			tmpl_add(t, -2, i, 1, &cap);	/* $$ is $ */
			i++;
			continue;
		}
		brace = i < n && s[i] == '{';
		k = i + brace;
		nl = tmpl_name_len(s + k, n - k);
		if (nl == 0 || (brace && (k + nl >= n || s[k + nl] != '}'))) {
			tmpl_add(t, -2, i - 1, 1, &cap);	/* raw '$' */
			continue;
		}
		/* a number: digits only, no leading zero, below 1e8 */
		num = 0;
		for (d = 0; d < nl; d++) {
			if (s[k + d] < '0' || s[k + d] > '9' ||
			    num >= 100000000) {
				num = -1;
				break;
			}
			num = num * 10 + (s[k + d] - '0');
		}
		if (s[k] == '0' && nl > 1)
			num = -1;
		g = -1;
		if (num >= 0) {
			if (re != NULL && num <= (long)re->ngroups)
				g = (int)num;
		} else if (re != NULL) {
			for (uint32_t x = 1; x <= re->ngroups; x++)
				if (re->names[x] != NULL &&
				    strlen(re->names[x]) == nl &&
				    memcmp(re->names[x], s + k, nl) == 0) {
					g = (int)x;
					break;
				}
		}
		tmpl_add(t, g, 0, 0, &cap);
		i = k + nl + brace;
	}
	tmpl_add(t, -2, i, n - i, &cap);
}

void
re_tmpl_free(struct re_tmpl *t)
{
	free(t->text);
	free(t->p);
	t->text = NULL;
	t->p = NULL;
}

void
re_tmpl_expand(const struct re_tmpl *t, const char *s, const size_t *ov,
    struct buf *out)
{
	size_t i, g;

	for (i = 0; i < t->np; i++) {
		const struct re_piece *p = &t->p[i];

		if (p->grp == -2) {
			buf_put(out, t->text + p->off, p->n);
			continue;
		}
		g = (size_t)p->grp;
		if (p->grp >= 0 && ov[2 * g] != SIZE_MAX)
			buf_put(out, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
}

void
re_tmpl_replace_all(struct re *re, const char *s, size_t n,
    const struct re_tmpl *t, struct buf *out)
{
	const size_t *ov;
	size_t pos = 0, lastend = 0, a0, a1, w;
	uint32_t cp;

	while (pos <= n) {
		if (re_exec(re, s, n, pos, pos == 0) != 1)
			break;
		ov = re_fill(re);
		a0 = ov[0];
		a1 = ov[1];
		buf_put(out, s + lastend, a0 - lastend);
		/* no replacement for an empty match right after a match */
		if (a1 > lastend || a0 == 0)
			re_tmpl_expand(t, s, ov, out);
		lastend = a1;
		w = pos < n ? u8_dec(s + pos, n - pos, &cp) : 0;
		if (pos < n && w == 0)
			w = 1;
		if (pos + w > a1)
			pos += w;
		else if (pos + 1 > a1)
			pos++;
		else
			pos = a1;
	}
	buf_put(out, s + lastend, n - lastend);
}

/* The template tmpl parsed for re: the last one parsed, kept in re, so
 * that a template used for every record is parsed once. */
static const struct re_tmpl *
re_tmpl_last(struct re *re, const char *tmpl, size_t tn)
{
	if (tmpl == NULL)
		tmpl = "";
	if (re->has_last && re->last.n == tn &&
	    (tn == 0 || memcmp(re->last.text, tmpl, tn) == 0))
		return &re->last;
	if (re->has_last)
		re_tmpl_free(&re->last);
	re_tmpl_parse(&re->last, re, tmpl, tn);
	re->has_last = 1;
	return &re->last;
}

void
re_replace_all(struct re *re, const char *s, size_t n, const char *tmpl,
    size_t tn, struct buf *out)
{
	re_tmpl_replace_all(re, s, n, re_tmpl_last(re, tmpl, tn), out);
}

void
re_replace_literal(struct re *re, const char *s, size_t n, const char *lit,
    size_t ln, struct buf *out)
{
	struct re_piece p = { -2, 0, ln };
	struct re_tmpl t = { (char *)lit, ln, &p, 1, 0 };

	re_tmpl_replace_all(re, s, n, &t, out);
}

int
re_expand(struct re *re, const char *s, size_t n, const char *tmpl,
    size_t tn, struct buf *out)
{
	const size_t *ov;

	if (re_find(re, s, n, 0, &ov) != 1)
		return 0;
	re_tmpl_expand(re_tmpl_last(re, tmpl, tn), s, ov, out);
	return 1;
}
