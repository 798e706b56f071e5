/* test_core.c: util, settings, labels, io and gz. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "gz.h"
#include "io.h"
#include "labels.h"
#include "settings.h"
#include "util.h"

static void
test_settings(void)
{
	uint64_t v;
	int64_t ms;
	int b;

	CHECK(parse_size("131072", &v) == 0 && v == 131072, "size plain");
	CHECK(parse_size("64k", &v) == 0 && v == 65536, "size k");
	CHECK(parse_size("2M", &v) == 0 && v == 2097152, "size M");
	CHECK(parse_size("", &v) < 0, "size empty");
	CHECK(parse_size("12x", &v) < 0, "size junk");
	CHECK(parse_size("-1", &v) < 0, "size negative");
	CHECK(parse_size("99999999999999999999999", &v) < 0, "size overflow");
	CHECK(parse_duration_ms("1s", &ms) == 0 && ms == 1000, "dur s");
	CHECK(parse_duration_ms("250ms", &ms) == 0 && ms == 250, "dur ms");
	CHECK(parse_duration_ms("1.5s", &ms) == 0 && ms == 1500, "dur frac");
	CHECK(parse_duration_ms("2m", &ms) == 0 && ms == 120000, "dur m");
	CHECK(parse_duration_ms("500", &ms) == 0 && ms == 500, "dur bare");
	CHECK(parse_duration_ms("soon", &ms) < 0, "dur junk");
	CHECK(parse_duration_ms("-1s", &ms) < 0, "dur negative");
	CHECK(parse_bool("TRUE", &b) == 0 && b == 1, "bool TRUE");
	CHECK(parse_bool("false", &b) == 0 && b == 0, "bool false");
	CHECK(parse_bool("maybe", &b) < 0, "bool junk");
	setenv("LP_TEST_SETTING", "env", 1);
	CHECK(strcmp(setting("flag", "LP_TEST_SETTING"), "flag") == 0,
	    "flag wins over env");
	CHECK(strcmp(setting(NULL, "LP_TEST_SETTING"), "env") == 0,
	    "env when no flag");
	setenv("LP_TEST_SETTING", "", 1);
	CHECK(setting(NULL, "LP_TEST_SETTING") == NULL, "empty env is unset");
}

static void
test_buf(void)
{
	struct buf b = { 0 };
	int i;

	buf_putu64(&b, 0);
	buf_putc(&b, ' ');
	buf_putu64(&b, UINT64_MAX);
	buf_putc(&b, ' ');
	buf_puti64(&b, INT64_MIN);
	CHECK(strcmp(buf_cstr(&b),
	    "0 18446744073709551615 -9223372036854775808") == 0, "buf numbers");
	b.len = 0;
	for (i = 0; i < 100000; i++)
		buf_putc(&b, 'x');
	CHECK(b.len == 100000 && b.cap > b.len, "buf grows");
	buf_free(&b);
}

static struct label
L(const char *n, const char *v)
{
	struct label l;

	l.name.p = n;
	l.name.n = strlen(n);
	l.value.p = v;
	l.value.n = strlen(v);
	return l;
}

static void
test_labels(void)
{
	struct label l[4];
	struct buf b = { 0 };

	CHECK(label_name_ok("__aws_log_type", 14), "name ok");
	CHECK(label_name_ok("a9_Z", 4), "name ok digits");
	CHECK(!label_name_ok("9a", 2), "name leading digit");
	CHECK(!label_name_ok("a-b", 3), "name dash");
	CHECK(!label_name_ok("", 0), "name empty");
	CHECK(!label_name_ok("é", 2), "name unicode");
	l[0] = L("b", "2");
	l[1] = L("a", "x\"y\\z\n\t\001é");
	l[2] = L("B", "");
	l[3] = L("a_", "3");
	labels_sort(l, 4);
	CHECK(str_eq(l[0].name, "B") && str_eq(l[1].name, "a") &&
	    str_eq(l[2].name, "a_") && str_eq(l[3].name, "b"), "sort bytewise");
	labels_loki(&b, l, 4);
	CHECK(strcmp(buf_cstr(&b),
	    "{B=\"\", a=\"x\\\"y\\\\z\\n\\t\\x01é\", a_=\"3\", b=\"2\"}") == 0,
	    "loki label string");
	CHECK(labels_hash(l, 4) == labels_hash(l, 4), "hash stable");
	CHECK(labels_hash(l, 4) != labels_hash(l, 3), "hash differs");
	CHECK(labels_find(l, 4, "a_", 2) == &l[2], "find");
	CHECK(labels_find(l, 4, "c", 1) == NULL, "find absent");
	buf_free(&b);
}

/* Runs a reader over the bytes in p written by a child through a pipe. */
static int
read_lines(const char *p, size_t n, size_t max, char *out, size_t outlen)
{
	int fd[2], got, count = 0;
	pid_t pid;
	struct rd r;
	struct str line;
	size_t o = 0;

	if (pipe(fd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		size_t i;

		close(fd[0]);
		/* in small pieces, to cross buffer boundaries */
		for (i = 0; i < n; i += 7)
			if (fd_write_all(fd[1], p + i, n - i < 7 ? n - i : 7) < 0)
				_exit(1);
		_exit(0);
	}
	close(fd[1]);
	rd_init(&r, fd[0], max, NULL);
	while ((got = rd_line(&r, &line)) != RD_EOF && got != RD_ERR) {
		const char *tag = got == RD_LONG ? "LONG" : "";

		if (got == RD_LONG)
			o += (size_t)snprintf(out + o, outlen - o, "[%s%zu]", tag,
			    line.n);
		else
			o += (size_t)snprintf(out + o, outlen - o, "[%.*s]",
			    (int)line.n, line.p);
		count++;
	}
	rd_free(&r);
	close(fd[0]);
	waitpid(pid, NULL, 0);
	return got == RD_ERR ? -1 : count;
}

static void
test_io(void)
{
	char out[4096];
	char big[200000];
	int n;

	n = read_lines("a\nbb\n\nccc", 9, 100, out, sizeof(out));
	CHECK(n == 4 && strcmp(out, "[a][bb][][ccc]") == 0,
	    "lines, empty line, last line without newline");
	n = read_lines("short\n0123456789abcdef\nok\n", 26, 10, out,
	    sizeof(out));
	CHECK(n == 3 && strcmp(out, "[short][LONG16][ok]") == 0,
	    "over-long line skipped and reported");
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	memcpy(big + sizeof(big) - 4, "\nyy\n", 4);
	n = read_lines(big, sizeof(big), 1000, out, sizeof(out));
	CHECK(n == 2 && strcmp(out, "[LONG199996][yy]") == 0,
	    "long line across many reads");
	n = read_lines("", 0, 10, out, sizeof(out));
	CHECK(n == 0, "empty input");
	n = read_lines("toolongtoolong", 14, 5, out, sizeof(out));
	CHECK(n == 1 && strcmp(out, "[LONG14]") == 0,
	    "over-long last line without newline");
}

static int
collect(void *arg, const char *p, size_t n)
{
	buf_put(arg, p, n);
	return 0;
}

static size_t
gzip_bytes(const char *s, unsigned char *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)(uintptr_t)s;
	z.avail_in = (unsigned)strlen(s);
	z.next_out = out;
	z.avail_out = (unsigned)cap;
	deflate(&z, Z_FINISH);
	deflateEnd(&z);
	return cap - z.avail_out;
}

static void
test_gz(void)
{
	unsigned char g[512];
	size_t n1, n2, i;
	struct gz z;
	struct buf b = { 0 };
	const char *err;
	int r;

	n1 = gzip_bytes("hello\n", g, sizeof(g));
	n2 = gzip_bytes("world\n", g + n1, sizeof(g) - n1);
	CHECK(gz_is_gzip(g, n1) && !gz_is_gzip("ab", 2), "gzip magic");
	/* two members, fed one byte at a time */
	gz_init(&z);
	for (i = 0, r = 0; i < n1 + n2 && r == 0; i++)
		r = gz_feed(&z, g + i, 1, collect, &b);
	CHECK(r == 0 && gz_finish(&z) == 0 && b.len == 12 &&
	    memcmp(b.p, "hello\nworld\n", 12) == 0, "multi-member gzip");
	gz_free(&z);
	b.len = 0;
	gz_init(&z);
	r = gz_feed(&z, g, n1 - 4, collect, &b);
	CHECK(r == 0 && gz_finish(&z) < 0 &&
	    strcmp(z.err, "truncated gzip data") == 0, "truncated gzip");
	gz_free(&z);
	b.len = 0;
	g[12] ^= 0xff;
	r = gz_inflate_buf(g, n1, &b, 100, &err);
	CHECK(r < 0, "corrupt gzip");
	g[12] ^= 0xff;
	b.len = 0;
	r = gz_inflate_buf(g, n1 + n2, &b, 8, &err);
	CHECK(r < 0 && strstr(err, "limit") != NULL, "inflate cap");
	b.len = 0;
	r = gz_inflate_buf(g, n1 + n2, &b, 100, &err);
	CHECK(r == 0 && b.len == 12, "inflate one shot");
	buf_free(&b);
}

int
main(void)
{
	test_settings();
	test_buf();
	test_labels();
	test_io();
	test_gz();
	return CHECK_DONE();
}
