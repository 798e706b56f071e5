/* test_b64.c: base64 decoding against RFC 4648's vectors and bad input. */
#include <stdio.h>
#include <string.h>
#include "util.h"
#include "b64.h"

static int failed;

#define CHECK(name, cond) do {						\
	if (cond)							\
		printf("ok b64 %s\n", name);				\
	else {								\
		printf("not ok b64 %s\n", name);			\
		failed++;						\
	}								\
} while (0)

static int
dec_is(const char *in, const char *want, size_t wantn)
{
	struct buf	 b = { 0 };
	const char	*err = NULL;
	int		 r;

	buf_put(&b, "x", 1);	/* decoding appends */
	r = b64_decode(in, strlen(in), &b, &err);
	r = r == 0 && b.len == wantn + 1 && b.p[0] == 'x' &&
	    memcmp(b.p + 1, want, wantn) == 0;
	buf_free(&b);
	return r;
}

static int
dec_fails(const char *in)
{
	struct buf	 b = { 0 };
	const char	*err = NULL;
	int		 r;

	r = b64_decode(in, strlen(in), &b, &err);
	r = r == -1 && err != NULL && b.len == 0;
	buf_free(&b);
	return r;
}

int
main(void)
{
	struct buf	 b = { 0 };
	const char	*err;
	char		 all[256], enc[400];
	size_t		 i, n;
	unsigned	 v;
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	CHECK("empty", dec_is("", "", 0));
	CHECK("rfc f", dec_is("Zg==", "f", 1));
	CHECK("rfc fo", dec_is("Zm8=", "fo", 2));
	CHECK("rfc foo", dec_is("Zm9v", "foo", 3));
	CHECK("rfc foob", dec_is("Zm9vYg==", "foob", 4));
	CHECK("rfc fooba", dec_is("Zm9vYmE=", "fooba", 5));
	CHECK("rfc foobar", dec_is("Zm9vYmFy", "foobar", 6));
	CHECK("no padding", dec_is("Zm9vYg", "foob", 4));
	CHECK("no padding 2", dec_is("Zm9vYmE", "fooba", 5));
	CHECK("line breaks", dec_is("Zm9v\r\nYmFy\n", "foobar", 6));
	CHECK("kinesis sample",
	    dec_is("SGVsbG8gV29ybGQ=", "Hello World", 11));
	CHECK("nul bytes", dec_is("AAAA", "\0\0\0", 3));
	CHECK("bad char", dec_fails("Zm9v!mFy"));
	CHECK("url alphabet rejected", dec_fails("Zm9v-_"));
	CHECK("lone char", dec_fails("Zm9vY"));
	CHECK("data after padding", dec_fails("Zg==Zg=="));
	CHECK("too much padding", dec_fails("Zm8=="));
	CHECK("padding only", dec_fails("===="));
	CHECK("one pad after 2", dec_fails("Zg="));

	/* every byte value round-trips through a hand-made encoding */
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	n = 0;
	for (i = 0; i < 256; i += 3) {
		v = (unsigned char)all[i] << 16;
		if (i + 1 < 256)
			v |= (unsigned char)all[i + 1] << 8;
		if (i + 2 < 256)
			v |= (unsigned char)all[i + 2];
		enc[n++] = abc[v >> 18 & 63];
		enc[n++] = abc[v >> 12 & 63];
		enc[n++] = i + 1 < 256 ? abc[v >> 6 & 63] : '=';
		enc[n++] = i + 2 < 256 ? abc[v & 63] : '=';
	}
	err = NULL;
	CHECK("all bytes", b64_decode(enc, n, &b, &err) == 0 &&
	    b.len == 256 && memcmp(b.p, all, 256) == 0);
	buf_free(&b);
	CHECK("max bound", b64_decoded_max(4) >= 3 && b64_decoded_max(6) >= 4);
	return failed != 0;
}
