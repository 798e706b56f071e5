/* test_json.c: the JSON cursor and writer — strings, escapes, UTF-8,
 * numbers, nesting, syntax errors, and writer/reader round trips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "json.h"

static int failed;

#define CHECK(name, cond) do {						\
	if (cond)							\
		printf("ok json %s\n", (name));			\
	else {								\
		printf("not ok json %s (line %d)\n", (name),		\
		    __LINE__);						\
		failed++;						\
	}								\
} while (0)

static struct buf scratch;

/* Reads one string document; 1 when it decodes to want (wn bytes). */
static int
str_is(const char *in, size_t n, const char *want, size_t wn)
{
	struct jr j;
	struct str s;

	jr_init(&j, in, n, &scratch);
	if (jr_str(&j, &s) < 0 || jr_end(&j) < 0)
		return 0;
	return s.n == wn && memcmp(s.p, want, wn) == 0;
}
#define STR_IS(in, want) str_is((in), sizeof(in) - 1, (want), \
	    sizeof(want) - 1)

/* 1 when the string document is rejected and the error mentions what. */
static int
str_bad(const char *in, size_t n, const char *what)
{
	struct jr j;
	struct str s;

	jr_init(&j, in, n, &scratch);
	if (jr_str(&j, &s) == 0 && jr_end(&j) == 0)
		return 0;
	return j.err != NULL && strstr(j.err, what) != NULL;
}
#define STR_BAD(in, what) str_bad((in), sizeof(in) - 1, (what))

/* jr_skip over a whole document: 0 valid, -1 not. */
static int
doc(const char *in)
{
	struct jr j;

	jr_init(&j, in, strlen(in), &scratch);
	if (jr_skip(&j, NULL) < 0 || jr_end(&j) < 0)
		return -1;
	return 0;
}

static int
u64_is(const char *in, uint64_t want)
{
	struct jr j;
	uint64_t v = 0;

	jr_init(&j, in, strlen(in), &scratch);
	return jr_u64(&j, &v) == 0 && jr_end(&j) == 0 && v == want;
}

static int
u64_bad(const char *in)
{
	struct jr j;
	uint64_t v;

	jr_init(&j, in, strlen(in), &scratch);
	return jr_u64(&j, &v) < 0 && j.err != NULL;
}

static void
strings(void)
{
	struct jr j;
	struct str s;
	const char plain[] = "\"plain text\"";

	jr_init(&j, plain, sizeof(plain) - 1, &scratch);
	CHECK("plain string points into the input",
	    jr_str(&j, &s) == 0 && s.p == plain + 1 && s.n == 10);
	CHECK("empty string", STR_IS("\"\"", ""));
	CHECK("simple escapes",
	    STR_IS("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
	    "\" \\ / \b \f \n \r \t"));
	CHECK("escape after a long clean prefix",
	    STR_IS("\"0123456789abcdefghijklmnopqrstuvwxyz\\n\"",
	    "0123456789abcdefghijklmnopqrstuvwxyz\n"));
	CHECK("\\u0041", STR_IS("\"\\u0041\"", "A"));
	CHECK("\\u00e9 two bytes", STR_IS("\"\\u00e9\"", "\xc3\xa9"));
	CHECK("\\u20AC three bytes, upper hex",
	    STR_IS("\"\\u20AC\"", "\xe2\x82\xac"));
	CHECK("\\u0000 decodes to NUL",
	    STR_IS("\"a\\u0000b\"", "a\0b"));
	CHECK("surrogate pair", STR_IS("\"\\ud83d\\ude00\"",
	    "\xf0\x9f\x98\x80"));
	CHECK("surrogate pair U+10FFFF", STR_IS("\"\\udbff\\udfff\"",
	    "\xf4\x8f\xbf\xbf"));
	CHECK("lone high surrogate at the end",
	    STR_BAD("\"\\ud800\"", "surrogate"));
	CHECK("high surrogate then text",
	    STR_BAD("\"\\ud800xxxxxx\"", "surrogate"));
	CHECK("high surrogate then a non-surrogate escape",
	    STR_BAD("\"\\ud800\\u0041\"", "surrogate"));
	CHECK("two high surrogates",
	    STR_BAD("\"\\ud800\\ud800\"", "surrogate"));
	CHECK("lone low surrogate", STR_BAD("\"\\udc00\"", "surrogate"));
	CHECK("low then high surrogate",
	    STR_BAD("\"\\udc00\\ud800\"", "surrogate"));
	CHECK("bad escape letter", STR_BAD("\"\\x41\"", "escape"));
	CHECK("short \\u", STR_BAD("\"\\u12\"", "escape"));
	CHECK("\\u with a non-hex digit", STR_BAD("\"\\u12g4\"", "escape"));
	CHECK("backslash at the end", STR_BAD("\"abc\\", "unterminated"));
	CHECK("unterminated", STR_BAD("\"abc", "unterminated"));
	CHECK("unterminated long",
	    STR_BAD("\"abcdefghijklmnopqrstuvwxyz0123456789", "unterminated"));
	CHECK("raw valid UTF-8",
	    STR_IS("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
	CHECK("raw UTF-8 after an escape",
	    STR_IS("\"\\n\xc3\xa9\"", "\n\xc3\xa9"));
	CHECK("byte 0xff", STR_BAD("\"a\xff\"", "UTF-8"));
	CHECK("lone continuation byte", STR_BAD("\"a\x80\"", "UTF-8"));
	CHECK("overlong NUL c0 80", STR_BAD("\"\xc0\x80\"", "UTF-8"));
	CHECK("overlong c1 bf", STR_BAD("\"\xc1\xbf\"", "UTF-8"));
	CHECK("overlong three bytes", STR_BAD("\"\xe0\x80\xaf\"", "UTF-8"));
	CHECK("overlong four bytes",
	    STR_BAD("\"\xf0\x80\x80\xaf\"", "UTF-8"));
	CHECK("UTF-8 encoded surrogate",
	    STR_BAD("\"\xed\xa0\x80\"", "UTF-8"));
	CHECK("above U+10FFFF", STR_BAD("\"\xf4\x90\x80\x80\"", "UTF-8"));
	CHECK("f5 lead byte", STR_BAD("\"\xf5\x80\x80\x80\"", "UTF-8"));
	CHECK("truncated sequence before the quote",
	    STR_BAD("\"\xe2\x82\"", "UTF-8"));
	CHECK("invalid UTF-8 after an escape",
	    STR_BAD("\"\\n\xff\"", "UTF-8"));
	CHECK("invalid UTF-8 past 16 clean bytes",
	    STR_BAD("\"0123456789abcdefgh\xff\"", "UTF-8"));
	CHECK("raw control character", STR_BAD("\"a\x01\"", "control"));
	CHECK("raw tab", STR_BAD("\"a\tb\"", "control"));
	CHECK("raw newline after an escape",
	    STR_BAD("\"\\t\nb\"", "control"));
	CHECK("DEL is fine", STR_IS("\"\x7f\"", "\x7f"));
	CHECK("not a string", STR_BAD("123", "string"));
}

/* Every position of a stop byte inside strings of 0..70 bytes, so that
 * the 16- and 8-byte scans meet it at every offset. */
static void
scan_positions(void)
{
	char in[128], want[128];
	int len, at, bad = 0;
	const char stops[] = "\"\\\x01\xff";
	int si;

	for (len = 0; len <= 70; len++) {
		for (at = -1; at < len; at++) {
			for (si = 0; si < 4; si++) {
				int i, ok;
				size_t n;

				for (i = 0; i < len; i++)
					in[1 + i] = want[i] = 'a' + i % 26;
				in[0] = '"';
				n = (size_t)len + 2;
				in[len + 1] = '"';
				if (at < 0) {
					ok = str_is(in, n, want, (size_t)len);
				} else if (stops[si] == '"') {
					/* the string ends early */
					in[1 + at] = '"';
					ok = str_bad(in, n, "trailing");
				} else if (stops[si] == '\\' && at + 1 < len) {
					/* "\n" in place of two bytes */
					in[1 + at] = '\\';
					in[2 + at] = 'n';
					want[at] = '\n';
					for (i = at + 1; i < len - 1; i++)
						want[i] = in[2 + i];
					ok = str_is(in, n, want,
					    (size_t)len - 1);
				} else if (stops[si] == '\\') {
					in[1 + at] = '\\';
					ok = str_bad(in, n, "unterminated");
				} else if (stops[si] == '\x01') {
					in[1 + at] = '\x01';
					ok = str_bad(in, n, "control");
				} else {
					in[1 + at] = '\xff';
					ok = str_bad(in, n, "UTF-8");
				}
				if (!ok) {
					if (bad++ < 3)
						fprintf(stderr, "scan: len %d "
						    "at %d stop %d\n", len,
						    at, si);
				}
			}
		}
	}
	CHECK("stop bytes found at every offset and length", bad == 0);
}

static void
numbers(void)
{
	CHECK("u64 string", u64_is("\"1700000000123456789\"",
	    1700000000123456789ULL));
	CHECK("u64 number keeps all 19 digits",
	    u64_is("1700000000123456789", 1700000000123456789ULL));
	CHECK("u64 max as string",
	    u64_is("\"18446744073709551615\"", UINT64_MAX));
	CHECK("u64 max as number", u64_is("18446744073709551615",
	    UINT64_MAX));
	CHECK("u64 2^64 as string is an error",
	    u64_bad("\"18446744073709551616\""));
	CHECK("u64 2^64 as number is an error",
	    u64_bad("18446744073709551616"));
	CHECK("u64 huge string is an error",
	    u64_bad("\"99999999999999999999999999\""));
	CHECK("u64 leading zeros in a string", u64_is("\"0001\"", 1));
	CHECK("u64 many leading zeros",
	    u64_is("\"000000000000000000000000000042\"", 42));
	CHECK("u64 zero", u64_is("0", 0) && u64_is("\"0\"", 0));
	CHECK("u64 -0 is zero", u64_is("-0", 0));
	CHECK("u64 1e3", u64_is("1e3", 1000));
	CHECK("u64 1.0", u64_is("1.0", 1));
	CHECK("u64 1.50E+1", u64_is("1.50E+1", 15));
	CHECK("u64 jq's exponent form",
	    u64_is("1.7000000000000001e+18", 1700000000000000100ULL));
	CHECK("u64 0e999", u64_is("0e999", 0));
	CHECK("u64 100e-2", u64_is("100e-2", 1));
	CHECK("u64 1.5 is an error", u64_bad("1.5"));
	CHECK("u64 1e-1 is an error", u64_bad("1e-1"));
	CHECK("u64 -1 is an error", u64_bad("-1"));
	CHECK("u64 2e19 is an error", u64_bad("2e19"));
	CHECK("u64 1e400 is an error", u64_bad("1e400"));
	CHECK("u64 1e99999999999999999999 is an error",
	    u64_bad("1e99999999999999999999"));
	CHECK("u64 escaped digits", u64_is("\"\\u0031\\u0032\"", 12));
	CHECK("u64 empty string is an error", u64_bad("\"\""));
	CHECK("u64 letters are an error", u64_bad("\"12a\""));
	CHECK("u64 signed string is an error", u64_bad("\"-1\""));
	CHECK("u64 true is an error", u64_bad("true"));
	CHECK("u64 01 is not JSON", doc("01") < 0);

	CHECK("numbers: valid forms", doc("0") == 0 && doc("-0") == 0 &&
	    doc("1.5e-3") == 0 && doc("12E+2") == 0 && doc("-12.25") == 0);
	CHECK("numbers: 1. .5 +1 1e 1e+ - -- 0x1 nan inf are not JSON",
	    doc("1.") < 0 && doc(".5") < 0 && doc("+1") < 0 &&
	    doc("1e") < 0 && doc("1e+") < 0 && doc("-") < 0 &&
	    doc("--1") < 0 && doc("0x1") < 0 && doc("nan") < 0 &&
	    doc("inf") < 0 && doc("00") < 0);
}

static void
syntax(void)
{
	char deep[600];
	int i;

	CHECK("literals", doc("true") == 0 && doc("false") == 0 &&
	    doc("null") == 0);
	CHECK("bad literals", doc("tru") < 0 && doc("nul") < 0 &&
	    doc("truex") < 0 && doc("True") < 0);
	CHECK("whitespace everywhere",
	    doc(" \t\r\n{ \"a\" :\n[ 1 ,\t2 , { } , [ ] ] , \"b\" : \"c\" }\n")
	    == 0);
	CHECK("trailing comma in object", doc("{\"a\":1,}") < 0);
	CHECK("trailing comma in array", doc("[1,]") < 0);
	CHECK("leading comma", doc("[,1]") < 0);
	CHECK("missing colon", doc("{\"a\" 1}") < 0);
	CHECK("missing comma", doc("[1 2]") < 0);
	CHECK("non-string key", doc("{1:2}") < 0);
	CHECK("unclosed object", doc("{\"a\":1") < 0);
	CHECK("unclosed array", doc("[1") < 0);
	CHECK("two documents", doc("{} {}") < 0);
	CHECK("empty input", doc("") < 0 && doc("  ") < 0);
	CHECK("form feed is not whitespace", doc("\f{}") < 0);

	for (i = 0; i < 256; i++)
		deep[i] = '[';
	for (i = 0; i < 256; i++)
		deep[256 + i] = ']';
	deep[512] = '\0';
	CHECK("nesting 256 deep is fine (as jq)", doc(deep) == 0);
	for (i = 0; i < 257; i++)
		deep[i] = '[';
	for (i = 0; i < 257; i++)
		deep[257 + i] = ']';
	deep[514] = '\0';
	CHECK("nesting 257 deep is an error (as jq)", doc(deep) < 0);
	/* jq counts an object member's key as a level too */
	memcpy(deep, "{\"a\":", 5);
	for (i = 0; i < 254; i++)
		deep[5 + i] = '[';
	for (i = 0; i < 254; i++)
		deep[5 + 254 + i] = ']';
	memcpy(deep + 5 + 508, "}", 2);
	CHECK("254 arrays in an object member are fine (as jq)",
	    doc(deep) == 0);
	deep[5 + 254] = '[';
	deep[5 + 255] = ']';
	for (i = 0; i < 254; i++)
		deep[5 + 255 + i] = ']';
	memcpy(deep + 5 + 510, "}", 2);
	CHECK("255 arrays in an object member are too deep (as jq)",
	    doc(deep) < 0);
	CHECK("depth comes back down after members",
	    doc("{\"a\":{\"b\":[1]},\"c\":[{\"d\":{}}],\"e\":1}") == 0);
}

static void
cursor(void)
{
	const char in[] = " { \"a\" : \"x\" , \"b\\u0031\" : [1, \"y\"], "
	    "\"c\": {\"d\": null} } ";
	struct jr j;
	struct str k, v, raw;
	int ok;

	jr_init(&j, in, sizeof(in) - 1, &scratch);
	ok = jr_obj(&j) == 0 && jr_next(&j, &k) == 1 && str_eq(k, "a") &&
	    jr_str(&j, &v) == 0 && str_eq(v, "x") &&
	    jr_next(&j, &k) == 1 && str_eq(k, "b1") &&
	    jr_skip(&j, &raw) == 0 && str_eq(raw, "[1, \"y\"]") &&
	    jr_next(&j, &k) == 1 && str_eq(k, "c") &&
	    jr_arr(&j) < 0;
	CHECK("cursor walks keys; skip gives the raw text", ok);
	jr_init(&j, in, sizeof(in) - 1, &scratch);
	ok = jr_obj(&j) == 0 && jr_next(&j, &k) == 1 &&
	    jr_skip(&j, NULL) == 0 && jr_next(&j, &k) == 1 &&
	    jr_arr(&j) == 0 && jr_more(&j) == 1 && jr_skip(&j, NULL) == 0 &&
	    jr_more(&j) == 1 && jr_str(&j, &v) == 0 && str_eq(v, "y") &&
	    jr_more(&j) == 0 && jr_next(&j, &k) == 1 && jr_obj(&j) == 0 &&
	    jr_next(&j, &k) == 1 && jr_skip(&j, NULL) == 0 &&
	    jr_next(&j, &k) == 0 && jr_next(&j, &k) == 0 && jr_end(&j) == 0;
	CHECK("cursor walks arrays and nested objects", ok);
	CHECK("jr_off", jr_off(&j) == sizeof(in) - 1);
	jr_init(&j, "{} x", 4, &scratch);
	CHECK("jr_end sees trailing text",
	    jr_obj(&j) == 0 && jr_next(&j, &k) == 0 && jr_end(&j) < 0 &&
	    strstr(j.err, "trailing") != NULL);
	jr_init(&j, "", 0, &scratch);
	CHECK("jr_peek at the end", jr_peek(&j) == -1);
}

static int
jw_is(const char *s, size_t n, const char *want)
{
	struct buf b = { 0 };
	int ok;

	jw_str(&b, s, n);
	ok = b.len == strlen(want) && memcmp(b.p, want, b.len) == 0;
	if (!ok)
		fprintf(stderr, "jw: got %.*s want %s\n", (int)b.len, b.p,
		    want);
	buf_free(&b);
	return ok;
}

static void
writer(void)
{
	struct buf b = { 0 };
	unsigned seed = 1;
	int i, bad = 0;

	CHECK("jw plain", jw_is("abc", 3, "\"abc\""));
	CHECK("jw empty", jw_is("", 0, "\"\""));
	CHECK("jw escapes", jw_is("\"\\\n\r\t\b\f/", 8,
	    "\"\\\"\\\\\\n\\r\\t\\b\\f/\""));
	CHECK("jw NUL and controls", jw_is("\0\x01\x1f", 3,
	    "\"\\u0000\\u0001\\u001f\""));
	CHECK("jw valid UTF-8 as is", jw_is("\xc3\xa9\xf0\x9f\x98\x80", 6,
	    "\"\xc3\xa9\xf0\x9f\x98\x80\""));
	CHECK("jw invalid UTF-8 becomes U+FFFD",
	    jw_is("a\xff" "b\xc0\x80", 5,
	    "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\""));
	CHECK("jw truncated sequence at the end",
	    jw_is("ab\xe2\x82", 4, "\"ab\xef\xbf\xbd\xef\xbf\xbd\""));
	jw_u64q(&b, 0);
	jw_u64q(&b, UINT64_MAX);
	CHECK("jw_u64q", b.len == 25 &&
	    memcmp(b.p, "\"0\"\"18446744073709551615\"", 25) == 0);
	CHECK("utf8_valid_prefix", utf8_valid_prefix("ab\xc3\xa9\xff", 5)
	    == 4 && utf8_valid_prefix("ab\xe2\x82", 4) == 2 &&
	    utf8_valid_prefix("abc", 3) == 3);

	/* random bytes: written, read back, equal once invalid UTF-8 is
	 * mapped to U+FFFD the way the writer does */
	for (i = 0; i < 3000; i++) {
		char in[200];
		struct buf want = { 0 };
		size_t n, k;
		struct jr j;
		struct str s;

		n = (size_t)(seed = seed * 1103515245 + 12345) % 150;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			switch (seed >> 16 & 7) {
			case 0: in[k] = (char)(seed >> 8); break;
			case 1: in[k] = (char)(seed >> 8 & 0x1f); break;
			case 2: in[k] = "\"\\"[seed >> 9 & 1]; break;
			default: in[k] = 'a' + (char)(seed >> 8 & 15);
			}
		}
		for (k = 0; k < n;) {
			size_t v = utf8_valid_prefix(in + k, n - k);

			buf_put(&want, in + k, v);
			k += v;
			if (k < n) {
				buf_put(&want, "\xef\xbf\xbd", 3);
				k++;
			}
		}
		b.len = 0;
		jw_str(&b, in, n);
		jr_init(&j, b.p, b.len, &scratch);
		if (jr_str(&j, &s) < 0 || jr_end(&j) < 0 || s.n != want.len ||
		    memcmp(s.p, want.p, s.n) != 0)
			bad++;
		buf_free(&want);
	}
	CHECK("jw_str then jr_str: 3000 random byte strings", bad == 0);
	buf_free(&b);
}

int
main(void)
{
	strings();
	scan_positions();
	numbers();
	syntax();
	cursor();
	writer();
	buf_free(&scratch);
	return failed ? 1 : 0;
}
