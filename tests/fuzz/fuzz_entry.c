/*
 * fuzz_entry: libFuzzer target for the entry codec (not part of make
 * check). Every input is read as a record and as a push body; a record
 * that parses is written again and must read back the same; any bytes
 * written as a JSON string must read back as themselves (invalid UTF-8
 * as U+FFFD). Build and run (clang 14, libclang-rt-14-dev):
 *
 *   sh tests/fuzz/run.sh [SECONDS]
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "json.h"
#include "entry.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct rec_parser ps, ps2;
static struct push pb;
static struct buf out, want, scratch;

static void
need(int cond)
{
	if (!cond)
		abort();
}

static int
same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void
entry_round_trip(const struct rec *r)
{
	struct rec r2;
	const char *err;
	size_t i;

	out.len = 0;
	rec_write_entry(&out, r->ts, r->labels, r->nlabels, r->line, r->meta,
	    r->nmeta);
	need(out.len > 0 && out.p[out.len - 1] == '\n');
	need(memchr(out.p, '\n', out.len - 1) == NULL);
	need(rec_parse(&ps2, out.p, out.len - 1, &r2, &err) == REC_ENTRY);
	need(r2.ts == r->ts && same(r2.line.p, r2.line.n, r->line.p,
	    r->line.n));
	need(r2.nlabels == r->nlabels && r2.nmeta == r->nmeta);
	for (i = 0; i < r->nlabels; i++)
		need(same(r2.labels[i].value.p, r2.labels[i].value.n,
		    r->labels[i].value.p, r->labels[i].value.n));
	for (i = 0; i < r->nmeta; i++)
		need(same(r2.meta[i].value.p, r2.meta[i].value.n,
		    r->meta[i].value.p, r->meta[i].value.n));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *p = (const char *)data, *err;
	struct rec r;
	struct jr j;
	struct str s;
	size_t k;
	int kind;

	kind = rec_parse(&ps, p, n, &r, &err);
	need(kind == -1 ? err != NULL : kind == r.kind);
	if (kind == REC_ENTRY)
		entry_round_trip(&r);
	(void)push_parse(&pb, p, n, &err);
	(void)rec_peek_kind(p, n);

	/* bytes -> JSON string -> bytes */
	out.len = 0;
	jw_str(&out, p, n);
	want.len = 0;
	for (k = 0; k < n;) {
		size_t v = utf8_valid_prefix(p + k, n - k);

		buf_put(&want, p + k, v);
		k += v;
		if (k < n) {
			buf_put(&want, "\xef\xbf\xbd", 3);
			k++;
		}
	}
	jr_init(&j, out.p, out.len, &scratch);
	need(jr_str(&j, &s) == 0 && jr_end(&j) == 0);
	need(same(s.p, s.n, want.p, want.len));
	return 0;
}
