/*
 * codec_bench: throughput of the entry codec (lib/entry.c, lib/json.c)
 * next to libjq on the same bytes.
 *
 *   codec_bench -g FILE [-n entries] [-l linebytes] [-r run]
 *	writes FILE: entries with CloudWatch-like labels, lines of about
 *	linebytes bytes (plain text and JSON log lines with escapes), the
 *	labels changing every run entries (one log stream's batch).
 *   codec_bench -m MODE FILE
 *	reads FILE into memory, then processes it whole, repeatedly for at
 *	least 1 s, and prints "MODE MB/s entries/s" (MB = 10^6 input bytes):
 *	  split        find the lines only (memchr), the floor
 *	  parse        rec_parse every line
 *	  parse+write  rec_parse, then write the entry again: labels rendered
 *	               once per labels change (rec_write_labels), each entry
 *	               with rec_write_entry_raw -- what a stage does
 *	  parse+write-full   the same with rec_write_entry (labels re-encoded
 *	               on every entry)
 *	  jq-parse     jv_parse_sized every line
 *	  jq-parse+dump      jv_parse_sized + jv_dump_string
 *	  push-parse   push_parse of the push bodies batch would make of
 *	               FILE (1000 entries a body); MB/s of body bytes
 *	  jq-push-parse      jv_parse_sized of the same bodies
 *	Output goes to /dev/null in 64 KiB writes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jv.h>

#include "util.h"
#include "entry.h"

static unsigned long long rs = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (unsigned)(rs % n);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
hexs(char *o, unsigned n)
{
	while (n-- > 0)
		*o++ = "0123456789abcdef"[rnd(16)];
	*o = '\0';
}

/* A log line of about n bytes, as Lambda and applications write them. */
static void
gen_line(struct buf *b, unsigned n)
{
	static const char *const words[] = { "GET", "POST", "/api/v1/users",
	    "status=200", "latency_ms=12", "user_id=48213", "cache", "miss",
	    "upstream", "connect", "timeout", "retry", "ok", "INFO", "WARN",
	    "handler", "request", "completed", "bytes=5321",
	    "region=eu-west-1",
	    "trace", "span", "db.query", "SELECT", "FROM", "orders" };
	char id[40];
	size_t start = b->len;

	hexs(id, 32);
	if (rnd(10) < 3) {
		/* a JSON log line: its quotes come out escaped */
		buf_puts(b, "{\"level\":\"info\","
		    "\"ts\":\"2024-05-01T12:00:00.");
		buf_putu64(b, rnd(1000));
		buf_puts(b, "Z\",\"request_id\":\"");
		buf_puts(b, id);
		buf_puts(b, "\",\"msg\":\"");
		while (b->len - start < n - 2) {
			buf_puts(b, words[rnd(sizeof(words) /
			    sizeof(words[0]))]);
			buf_putc(b, ' ');
		}
		buf_puts(b, "\"}");
	} else {
		buf_puts(b, "2024-05-01T12:00:00.123Z\t");
		buf_puts(b, id);
		buf_puts(b, "\tINFO\t");
		while (b->len - start < n) {
			buf_puts(b, words[rnd(sizeof(words) /
			    sizeof(words[0]))]);
			buf_putc(b, ' ');
		}
	}
}

static int
generate(const char *path, unsigned long n, unsigned len, unsigned run)
{
	struct buf out = { 0 }, ln = { 0 }, grp = { 0 }, own = { 0 };
	struct label l[3];
	unsigned long i;
	uint64_t ts = 1714564800000000000ULL;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(path);
		return 111;
	}
	l[0].name = STR_LIT("__aws_log_type");
	l[0].value = STR_LIT("cloudwatch");
	l[1].name = STR_LIT("__aws_cloudwatch_log_group");
	l[2].name = STR_LIT("__aws_cloudwatch_owner");
	for (i = 0; i < n; i++) {
		if (i % run == 0) {
			grp.len = 0;
			buf_puts(&grp, "/aws/lambda/service-");
			buf_putu64(&grp, rnd(50));
			own.len = 0;
			buf_puts(&own, "1234567890");
			buf_putu64(&own, rnd(90) + 10);
			l[1].value = (struct str){ grp.p, grp.len };
			l[2].value = (struct str){ own.p, own.len };
		}
		ln.len = 0;
		gen_line(&ln, len);
		ts += rnd(1000000);
		rec_write_entry(&out, ts, l, 3, (struct str){ ln.p, ln.len },
		    NULL, 0);
		if (out.len > 1 << 20) {
			if (write(fd, out.p, out.len) != (ssize_t)out.len) {
				perror(path);
				return 111;
			}
			out.len = 0;
		}
	}
	if (write(fd, out.p, out.len) != (ssize_t)out.len || close(fd) < 0) {
		perror(path);
		return 111;
	}
	buf_free(&out);
	buf_free(&ln);
	buf_free(&grp);
	buf_free(&own);
	return 0;
}

static char *
slurp(const char *path, size_t *n)
{
	struct buf b = { 0 };
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		perror(path);
		exit(111);
	}
	for (;;) {
		buf_grow(&b, 1 << 20);
		r = read(fd, b.p + b.len, 1 << 20);
		if (r < 0) {
			perror(path);
			exit(111);
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
	}
	close(fd);
	*n = b.len;
	return b.p;
}

enum { M_SPLIT, M_PARSE, M_PW, M_PWFULL, M_JQ, M_JQDUMP, M_PUSH, M_JQPUSH,
	M_N };

/* Push bodies of up to 1000 entries each, one stream per labels run. */
static char *
bodies(const char *p, size_t n, size_t *outn)
{
	struct buf b = { 0 }, labs = { 0 };
	struct rec_parser ps;
	const char *e = p + n, *nl, *err;
	struct rec r;
	unsigned long k = 0;
	int open_ = 0;

	memset(&ps, 0, sizeof(ps));
	for (; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		if (rec_parse(&ps, p, (size_t)(nl - p), &r, &err) != REC_ENTRY)
			exit(1);
		if (r.labels_changed || k % 1000 == 0) {
			labs.len = 0;
			rec_write_labels(&labs, r.labels, r.nlabels);
			if (open_)
				buf_puts(&b, "]}");
			if (k % 1000 == 0) {
				if (open_)
					buf_puts(&b, "]}\n");
				buf_puts(&b, "{\"streams\":[");
			} else
				buf_putc(&b, ',');
			buf_puts(&b, "{\"stream\":");
			buf_put(&b, labs.p, labs.len);
			buf_puts(&b, ",\"values\":[");
			open_ = 1;
		} else
			buf_putc(&b, ',');
		buf_puts(&b, "[");
		jw_u64q(&b, r.ts);
		buf_putc(&b, ',');
		jw_str(&b, r.line.p, r.line.n);
		buf_putc(&b, ']');
		k++;
	}
	if (open_)
		buf_puts(&b, "]}]}\n");
	rec_parser_free(&ps);
	buf_free(&labs);
	*outn = b.len;
	return b.p;
}

static int out_fd;
static unsigned long long sink;

static void
drain(struct buf *o, int force)
{
	if (o->len >= 65536 || (force && o->len > 0)) {
		if (write(out_fd, o->p, o->len) != (ssize_t)o->len) {
			perror("write");
			exit(111);
		}
		o->len = 0;
	}
}

/* One pass over the data; returns the entries seen. */
static unsigned long
pass(int mode, const char *p, size_t n, struct rec_parser *ps,
    struct buf *o, struct buf *labs)
{
	const char *e = p + n, *nl;
	unsigned long cnt = 0;
	struct rec r;
	const char *err;

	for (; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		cnt++;
		switch (mode) {
		case M_SPLIT:
			sink += (size_t)(nl - p);
			break;
		case M_PARSE:
			if (rec_parse(ps, p, (size_t)(nl - p), &r, &err) !=
			    REC_ENTRY)
				exit(1);
			sink += r.ts;
			break;
		case M_PW:
			if (rec_parse(ps, p, (size_t)(nl - p), &r, &err) !=
			    REC_ENTRY)
				exit(1);
			if (r.labels_changed) {
				labs->len = 0;
				rec_write_labels(labs, r.labels, r.nlabels);
			}
			rec_write_entry_raw(o, r.ts, (struct str){ labs->p,
			    labs->len }, r.line, r.meta, r.nmeta);
			drain(o, 0);
			break;
		case M_PWFULL:
			if (rec_parse(ps, p, (size_t)(nl - p), &r, &err) !=
			    REC_ENTRY)
				exit(1);
			rec_write_entry(o, r.ts, r.labels, r.nlabels, r.line,
			    r.meta, r.nmeta);
			drain(o, 0);
			break;
		case M_JQ: {
			jv v = jv_parse_sized(p, (int)(nl - p));

			if (!jv_is_valid(v))
				exit(1);
			jv_free(v);
			break;
		}
		case M_PUSH: {
			static struct push pb;

			if (push_parse(&pb, p, (size_t)(nl - p), &err) < 0)
				exit(1);
			cnt += pb.nvalues - 1;
			break;
		}
		case M_JQPUSH: {
			jv v = jv_parse_sized(p, (int)(nl - p));

			if (!jv_is_valid(v))
				exit(1);
			jv_free(v);
			cnt += 999;
			break;
		}
		default: {
			jv v = jv_parse_sized(p, (int)(nl - p));
			jv s;

			if (!jv_is_valid(v))
				exit(1);
			s = jv_dump_string(v, 0);
			buf_puts(o, jv_string_value(s));
			buf_putc(o, '\n');
			jv_free(s);
			drain(o, 0);
		}
		}
	}
	drain(o, 1);
	return cnt;
}

int
main(int argc, char **argv)
{
	static const char *const names[] = { "split", "parse", "parse+write",
	    "parse+write-full", "jq-parse", "jq-parse+dump", "push-parse",
	    "jq-push-parse" };
	const char *gen = NULL, *mode = NULL;
	unsigned long n = 200000, len = 200, run = 1000, cnt = 0, passes = 0;
	struct rec_parser ps;
	struct buf o = { 0 }, labs = { 0 };
	double t0, t;
	size_t size;
	char *data;
	int c, m;

	while ((c = getopt(argc, argv, "g:n:l:r:m:")) != -1) {
		switch (c) {
		case 'g': gen = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'l': len = strtoul(optarg, NULL, 10); break;
		case 'r': run = strtoul(optarg, NULL, 10); break;
		case 'm': mode = optarg; break;
		default:
			fprintf(stderr, "usage: codec_bench -g FILE "
			    "[-n entries] "
			    "[-l bytes] [-r run] | -m MODE FILE\n");
			return 100;
		}
	}
	if (gen != NULL)
		return generate(gen, n, (unsigned)len,
		    run ? (unsigned)run : 1);
	if (mode == NULL || optind != argc - 1)
		return 100;
	for (m = 0; m < M_N; m++)
		if (strcmp(mode, names[m]) == 0)
			break;
	if (m == M_N) {
		fprintf(stderr, "codec_bench: unknown mode %s\n", mode);
		return 100;
	}
	data = slurp(argv[optind], &size);
	if (m == M_PUSH || m == M_JQPUSH) {
		char *b = bodies(data, size, &size);

		free(data);
		data = b;
	}
	out_fd = open("/dev/null", O_WRONLY);
	memset(&ps, 0, sizeof(ps));
	pass(m, data, size, &ps, &o, &labs);	/* warm up */
	t0 = now();
	do {
		cnt += pass(m, data, size, &ps, &o, &labs);
		passes++;
		t = now() - t0;
	} while (t < 1.0);
	printf("%s %.0f %.0f\n", names[m], (double)size * (double)passes /
	    t / 1e6, (double)cnt / t);
	rec_parser_free(&ps);
	buf_free(&o);
	buf_free(&labs);
	free(data);
	return sink == 42 ? 1 : 0;
}
