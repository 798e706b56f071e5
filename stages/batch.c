/*
 * batch: groups entries into Loki push bodies.
 *
 * Reads entries and control records (DESIGN.md §1) on stdin; writes push
 * bodies, one per tenant per flush, and the control records, in order, on
 * stdout. Entries are grouped into streams by (tenant, label set); the
 * label __tenant_id__ selects the tenant and is removed. An entry's meta
 * becomes the third element of its value. Entries keep their order within
 * a stream.
 *
 * Everything held is written out when the line bytes held (summed over all
 * streams, as lambda-promtail counts them) reach the batch size, when the
 * oldest held entry is older than the maximum wait, at every flush marker
 * (which is then passed on, with the reasons for any entry dropped since
 * the last one added to its error), and at end of input.
 *
 * Options:
 *   -s, --batch-size BYTES   (env BATCH_SIZE; default 131072)
 *   -w, --max-wait DURATION  (default 1s; 0 = only size, flush and EOF)
 *       --max-line BYTES     longest input line (default 8M)
 *       --check, --help
 * Environment: BATCH_SIZE, LOG_LEVEL.
 * Exit: 0; 1 entries were dropped as invalid; 100 usage; 111 system.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entry.h"
#include "io.h"
#include "labels.h"
#include "log.h"
#include "settings.h"

struct stream {
	struct buf	 key;		/* tenant '\0' labels JSON */
	size_t		 tenant_len;
	struct buf	 values;	/* ["ts","line"],... */
	uint64_t	 nvalues;
	struct stream	*next_in_tenant;
};

struct tenant {
	struct buf	 name;
	struct stream	*first, *last;
};

static struct stream	**tab;		/* open addressing, by key hash */
static size_t		  tabcap, nstreams;
static struct tenant	 *tenants;
static size_t		  ntenants;
static uint64_t		  held_bytes, held_entries;
static int64_t		  held_since;	/* now_ms() of the oldest held */
static uint64_t		  dropped, entries_in, bodies_out;
static struct errs	  errs;

static void
usage(int code)
{
	static const char u[] =
	    "usage: batch [-s BYTES] [-w DURATION] [--max-line BYTES] "
	    "[--check]\n"
	    "Groups entries into Loki push bodies; flushes by size (BATCH_SIZE,"
	    "\ndefault 131072), by age (default 1s), at flush markers and EOF."
	    "\n";

	if (code == 0)
		(void)!write(1, u, sizeof(u) - 1);
	else
		(void)!write(2, u, sizeof(u) - 1);
	exit(code);
}

static struct tenant *
tenant_get(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < ntenants; i++)
		if (tenants[i].name.len == n &&
		    memcmp(tenants[i].name.p, p, n) == 0)
			return &tenants[i];
	tenants = xrealloc(tenants, (ntenants + 1) * sizeof(*tenants));
	memset(&tenants[ntenants], 0, sizeof(*tenants));
	buf_put(&tenants[ntenants].name, p, n);
	return &tenants[ntenants++];
}

static void
tab_grow(void)
{
	struct stream **old = tab;
	size_t oldcap = tabcap, i;

	tabcap = tabcap ? tabcap * 2 : 64;
	tab = xcalloc(tabcap, sizeof(*tab));
	for (i = 0; i < oldcap; i++) {
		struct stream *s = old[i];
		size_t h;

		if (s == NULL)
			continue;
		h = hash_bytes(0xcbf29ce484222325ULL, s->key.p, s->key.len);
		while (tab[h & (tabcap - 1)] != NULL)
			h++;
		tab[h & (tabcap - 1)] = s;
	}
	free(old);
}

/* The stream for this tenant and label set (labels sorted, tenant label
 * removed); key holds tenant '\0' labels JSON. */
static struct stream *
stream_get(struct buf *key, size_t tenant_len)
{
	uint64_t h;
	struct stream *s;
	struct tenant *t;

	if ((nstreams + 1) * 2 > tabcap)
		tab_grow();
	h = hash_bytes(0xcbf29ce484222325ULL, key->p, key->len);
	for (;; h++) {
		s = tab[h & (tabcap - 1)];
		if (s == NULL)
			break;
		if (s->key.len == key->len &&
		    memcmp(s->key.p, key->p, key->len) == 0)
			return s;
	}
	s = xcalloc(1, sizeof(*s));
	buf_put(&s->key, key->p, key->len);
	s->tenant_len = tenant_len;
	tab[h & (tabcap - 1)] = s;
	nstreams++;
	t = tenant_get(key->p, tenant_len);
	if (t->last)
		t->last->next_in_tenant = s;
	else
		t->first = s;
	t->last = s;
	return s;
}

/* Forgets every stream and tenant (the table itself is kept). */
static void
streams_free(void)
{
	size_t i;

	for (i = 0; i < tabcap; i++)
		if (tab[i] != NULL) {
			buf_free(&tab[i]->key);
			buf_free(&tab[i]->values);
			free(tab[i]);
			tab[i] = NULL;
		}
	nstreams = 0;
	for (i = 0; i < ntenants; i++)
		buf_free(&tenants[i].name);
	ntenants = 0;
}

/* Writes every held stream, one push body per tenant, and forgets the
 * streams (their memory is kept for the next batch unless there are many).
 */
static void
flush_all(struct wr *out)
{
	size_t i;

	for (i = 0; i < ntenants; i++) {
		struct tenant *t = &tenants[i];
		struct stream *s;
		int first = 1;

		for (s = t->first; s != NULL; s = s->next_in_tenant) {
			if (s->nvalues == 0)
				continue;
			if (first) {
				buf_putc(&out->b, '{');
				if (t->name.len > 0) {
					buf_puts(&out->b, "\"tenant\":");
					jw_str(&out->b, t->name.p, t->name.len);
					buf_putc(&out->b, ',');
				}
				buf_puts(&out->b, "\"streams\":[");
				first = 0;
			} else
				buf_putc(&out->b, ',');
			buf_puts(&out->b, "{\"stream\":");
			buf_put(&out->b, s->key.p + s->tenant_len + 1,
			    s->key.len - s->tenant_len - 1);
			buf_puts(&out->b, ",\"values\":[");
			buf_put(&out->b, s->values.p, s->values.len);
			buf_puts(&out->b, "]}");
			s->values.len = 0;
			s->nvalues = 0;
		}
		if (!first) {
			buf_put(&out->b, "]}\n", 3);
			bodies_out++;
			if (wr_end(out) < 0)
				die(EX_SYS, "cannot write", "fd=%s err=%s",
				    out->name, strerror(errno));
		}
	}
	held_bytes = held_entries = 0;
	if (nstreams > 4096)
		streams_free();	/* many label sets: start afresh */
}

/* Finds the stream of an entry whose labels changed. */
static struct stream *
derive(const struct rec *r, struct buf *key, const char **err)
{
	static struct label *tmp;
	static size_t tmpcap;
	struct str tenant = { "", 0 };
	size_t i, n = 0;

	if (r->nlabels > tmpcap) {
		tmpcap = r->nlabels * 2;
		tmp = xrealloc(tmp, tmpcap * sizeof(*tmp));
	}
	for (i = 0; i < r->nlabels; i++) {
		if (str_eq(r->labels[i].name, "__tenant_id__")) {
			tenant = r->labels[i].value;
			continue;
		}
		tmp[n++] = r->labels[i];
	}
	if (n == 0) {
		*err = "no labels (Loki needs at least one)";
		return NULL;
	}
	if (memchr(tenant.p, '\0', tenant.n) != NULL) {
		*err = "NUL byte in __tenant_id__";
		return NULL;
	}
	labels_sort(tmp, n);
	key->len = 0;
	buf_put(key, tenant.p, tenant.n);
	buf_putc(key, '\0');
	rec_write_labels(key, tmp, n);
	return stream_get(key, tenant.n);
}

static void
add(struct stream *s, const struct rec *r)
{
	struct buf *v = &s->values;

	if (s->nvalues++ > 0)
		buf_putc(v, ',');
	buf_put(v, "[\"", 2);
	buf_putu64(v, r->ts);
	buf_put(v, "\",", 2);
	jw_str(v, r->line.p, r->line.n);
	if (r->nmeta > 0) {
		buf_putc(v, ',');
		rec_write_labels(v, r->meta, r->nmeta);
	}
	buf_putc(v, ']');
	if (held_entries++ == 0)
		held_since = now_ms();
	held_bytes += r->line.n;
	entries_in++;
}

static void
drop(struct rd *in, const char *why)
{
	dropped++;
	log_msg(LOG_WARN, "invalid entry dropped", "line=%llu err=%s",
	    (unsigned long long)in->lineno, why);
	errs_add(&errs, "batch: input line %llu: %s",
	    (unsigned long long)in->lineno, why);
}

static void
pass_flush(struct wr *out, const struct rec *r)
{
	rec_pass_flush(&out->b, r, &errs);
	if (wr_flush(out) < 0)
		die(EX_SYS, "cannot write", "fd=%s err=%s", out->name,
		    strerror(errno));
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "batch-size", required_argument, NULL, 's' },
		{ "max-wait", required_argument, NULL, 'w' },
		{ "max-line", required_argument, NULL, 'L' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *fsize = NULL, *fwait = "1s", *fline = "8M", *e;
	uint64_t batch_size, max_line;
	int64_t max_wait;
	int c, check = 0;
	struct rd in;
	struct wr out;
	struct rec r;
	struct rec_parser ps;
	struct stream *cur = NULL;
	struct buf key = { 0 };
	struct str line;

	if (log_init("batch", getenv("LOG_LEVEL")) < 0)
		die(EX_USAGE, "invalid LOG_LEVEL (debug, info, warn, error)",
		    "value=%s", getenv("LOG_LEVEL"));
	while ((c = getopt_long(argc, argv, "s:w:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': fsize = optarg; break;
		case 'w': fwait = optarg; break;
		case 'L': fline = optarg; break;
		case 'C': check = 1; break;
		case 'h': usage(0); break;
		default: usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);
	e = setting(fsize, "BATCH_SIZE");
	if (e == NULL)
		e = "131072";
	if (parse_size(e, &batch_size) < 0 || batch_size == 0)
		die(EX_USAGE, "invalid batch size (BATCH_SIZE): want a "
		    "positive number of bytes", "value=%s", e);
	if (parse_duration_ms(fwait, &max_wait) < 0)
		die(EX_USAGE, "invalid --max-wait", "value=%s", fwait);
	if (parse_size(fline, &max_line) < 0 || max_line < 64)
		die(EX_USAGE, "invalid --max-line", "value=%s", fline);
	if (check)
		return 0;

	sig_setup();
	wr_init(&out, 1, "stdout");
	rd_init(&in, 0, max_line, &out);
	memset(&ps, 0, sizeof(ps));
	for (;;) {
		int got, kind;
		const char *err;

		if (held_entries > 0 && max_wait > 0) {
			int64_t left = held_since + max_wait - now_ms();

			if (left <= 0 ||
			    rd_wait(&in, left > 60000 ? 60000 : (int)left) == 0) {
				if (now_ms() - held_since >= max_wait)
					flush_all(&out);
				continue;
			}
		}
		got = rd_line(&in, &line);
		if (got == RD_EOF)
			break;
		if (got == RD_ERR)
			die(EX_SYS, "cannot read or write", "err=%s",
			    strerror(errno));
		if (got == RD_LONG) {
			drop(&in, "line over --max-line");
			continue;
		}
		kind = rec_parse(&ps, line.p, line.n, &r, &err);
		if (kind == REC_ENTRY) {
			if (r.labels_changed || cur == NULL) {
				cur = derive(&r, &key, &err);
				if (cur == NULL) {
					drop(&in, err);
					continue;
				}
			}
			add(cur, &r);
			if (held_bytes >= batch_size)
				flush_all(&out);
			if (nstreams == 0)
				cur = NULL;	/* the table was reset */
		} else if (kind == REC_FLUSH) {
			flush_all(&out);
			if (nstreams == 0)
				cur = NULL;
			pass_flush(&out, &r);
		} else if (kind == REC_ACK) {
			/* not ours: pass it on as it came */
			buf_put(&out.b, line.p, line.n);
			buf_putc(&out.b, '\n');
			if (wr_flush(&out) < 0)
				die(EX_SYS, "cannot write", "fd=stdout err=%s",
				    strerror(errno));
		} else {
			cur = NULL;
			drop(&in, err);
		}
	}
	flush_all(&out);
	if (errs.n > 0)
		log_msg(LOG_ERROR, "entries dropped since the last flush "
		    "marker", "errors=%.*s", (int)errs_get(&errs).n,
		    errs_get(&errs).p);
	if (wr_flush(&out) < 0)
		die(EX_SYS, "cannot write", "fd=stdout err=%s",
		    strerror(errno));
	log_msg(LOG_INFO, "done", "entries=%llu bodies=%llu dropped=%llu",
	    (unsigned long long)entries_in, (unsigned long long)bodies_out,
	    (unsigned long long)dropped);
	rd_free(&in);
	rec_parser_free(&ps);
	buf_free(&key);
	buf_free(&out.b);
	streams_free();
	free(tab);
	free(tenants);
	buf_free(&errs.b);
	return dropped > 0 ? EX_LOST : EX_OK;
}
