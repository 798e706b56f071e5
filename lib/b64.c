/* b64.c: base64 decoding (RFC 4648, standard alphabet). */
#include <stddef.h>
#include <stdint.h>
#include "util.h"
#include "b64.h"

/* 0..63: value; 64: ignored whitespace; 65: '='; 255: invalid. */
static const unsigned char b64_val[256] = {
	['A'] = 0, ['B'] = 1, ['C'] = 2, ['D'] = 3, ['E'] = 4, ['F'] = 5,
	['G'] = 6, ['H'] = 7, ['I'] = 8, ['J'] = 9, ['K'] = 10, ['L'] = 11,
	['M'] = 12, ['N'] = 13, ['O'] = 14, ['P'] = 15, ['Q'] = 16,
	['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20, ['V'] = 21,
	['W'] = 22, ['X'] = 23, ['Y'] = 24, ['Z'] = 25,
	['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29, ['e'] = 30,
	['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35,
	['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40,
	['p'] = 41, ['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45,
	['u'] = 46, ['v'] = 47, ['w'] = 48, ['x'] = 49, ['y'] = 50,
	['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55,
	['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60,
	['9'] = 61, ['+'] = 62, ['/'] = 63,
	['\r'] = 64, ['\n'] = 64, [' '] = 64, ['\t'] = 64, ['='] = 65,
};

/* The table's zero entries are 'A' or invalid: tell them apart here. */
static int
b64_class(unsigned char c)
{
	if (c == 'A')
		return 0;
	if (b64_val[c] == 0)
		return 255;
	return b64_val[c];
}

size_t
b64_decoded_max(size_t n)
{
	return n / 4 * 3 + 3;
}

int
b64_decode(const char *s, size_t n, struct buf *out, const char **err)
{
	unsigned char	*o;
	uint32_t	 acc = 0;
	size_t		 i, olen = 0;
	int		 k = 0, pad = 0, v;

	o = (unsigned char *)buf_grow(out, b64_decoded_max(n));
	for (i = 0; i < n; i++) {
		v = b64_class((unsigned char)s[i]);
		if (v == 64)
			continue;
		if (v == 255) {
			*err = "invalid base64 character";
			return -1;
		}
		if (v == 65) {
			pad++;
			continue;
		}
		if (pad > 0) {
			*err = "base64 data after padding";
			return -1;
		}
		acc = acc << 6 | (uint32_t)v;
		if (++k == 4) {
			o[olen++] = (unsigned char)(acc >> 16);
			o[olen++] = (unsigned char)(acc >> 8);
			o[olen++] = (unsigned char)acc;
			acc = 0;
			k = 0;
		}
	}
	switch (k) {
	case 0:
		if (pad != 0) {
			*err = "misplaced base64 padding";
			return -1;
		}
		break;
	case 1:
		*err = "truncated base64 data";
		return -1;
	case 2:
		if (pad != 0 && pad != 2) {
			*err = "misplaced base64 padding";
			return -1;
		}
		o[olen++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		if (pad > 1) {
			*err = "misplaced base64 padding";
			return -1;
		}
		o[olen++] = (unsigned char)(acc >> 10);
		o[olen++] = (unsigned char)(acc >> 2);
		break;
	}
	out->len += olen;
	return 0;
}
