/* entry.c: the stream's records — a codec for exactly this schema, so the
 * hot path never builds a generic JSON tree. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "labels.h"

static int
key_is(struct str k, const char *lit, size_t n)
{
	return k.n == n && memcmp(k.p, lit, n) == 0;
}
#define KEY(k, lit)	key_is((k), (lit), sizeof(lit) - 1)

/* An object of string values into *arr (grown as needed). names: check
 * label names. Duplicate names: the last value wins. */
static int
str_map(struct jr *j, struct label **arr, size_t *cap, size_t *np,
    int names, const char **err)
{
	struct str k, v;
	size_t n = 0, i;
	int r;

	if (jr_obj(j) < 0)
		return -1;
	while ((r = jr_next(j, &k)) == 1) {
		if (jr_peek(j) != '"') {
			*err = names ? "label value is not a string" :
			    "meta value is not a string";
			return -1;
		}
		if (jr_str(j, &v) < 0)
			return -1;
		if (names && !label_name_ok(k.p, k.n)) {
			*err = "invalid label name";
			return -1;
		}
		for (i = 0; i < n; i++)
			if ((*arr)[i].name.n == k.n &&
			    memcmp((*arr)[i].name.p, k.p, k.n) == 0)
				break;
		if (i == n) {
			if (n == *cap) {
				*cap = *cap ? *cap * 2 : 16;
				*arr = xrealloc(*arr, *cap * sizeof(**arr));
			}
			n++;
		}
		(*arr)[i].name = k;
		(*arr)[i].value = v;
	}
	*np = n;
	return r;
}

/* The labels object at the cursor; unchanged bytes reuse the last one. */
static int
labels_read(struct rec_parser *ps, struct jr *j, struct rec *r,
    const char **err)
{
	struct str raw;
	struct jr lj;

	if (jr_peek(j) != '{') {
		*err = "labels is not an object";
		return -1;
	}
	if (ps->have_labels && (size_t)(j->end - j->p) >= ps->labraw.len &&
	    memcmp(j->p, ps->labraw.p, ps->labraw.len) == 0) {
		j->p += ps->labraw.len;
		return 0;
	}
	if (jr_skip(j, &raw) < 0)
		return -1;
	ps->have_labels = 0;
	ps->labraw.len = 0;
	buf_put(&ps->labraw, raw.p, raw.n);
	jr_init(&lj, ps->labraw.p, ps->labraw.len, &ps->labdec);
	if (str_map(&lj, &ps->labels, &ps->labcap, &ps->nlabels, 1,
	    err) < 0) {
		if (*err == NULL)
			*err = lj.err;
		return -1;
	}
	ps->have_labels = 1;
	r->labels_changed = 1;
	return 0;
}

void
rec_parser_reset_labels(struct rec_parser *ps)
{
	ps->have_labels = 0;
}

void
rec_parser_free(struct rec_parser *ps)
{
	buf_free(&ps->scratch);
	buf_free(&ps->labraw);
	buf_free(&ps->labdec);
	free(ps->labels);
	free(ps->meta);
	memset(ps, 0, sizeof(*ps));
}

static int
parse_one(struct rec_parser *ps, const char *p, size_t n, struct rec *r,
    const char **err)
{
	struct jr j;
	struct str k;
	int rc, has_ts = 0, has_line = 0, has_flush = 0, has_ack = 0;
	int has_labels = 0;

	*err = NULL;
	memset(r, 0, sizeof(*r));
	jr_init(&j, p, n, &ps->scratch);
	if (jr_obj(&j) < 0)
		goto bad;
	while ((rc = jr_next(&j, &k)) == 1) {
		if (KEY(k, "ts")) {
			if (jr_u64(&j, &r->ts) < 0) {
				*err = "ts is not a string of digits";
				goto bad;
			}
			has_ts = 1;
		} else if (KEY(k, "line")) {
			if (jr_peek(&j) != '"') {
				*err = "line is not a string";
				goto bad;
			}
			if (jr_str(&j, &r->line) < 0)
				goto bad;
			has_line = 1;
		} else if (KEY(k, "labels")) {
			if (labels_read(ps, &j, r, err) < 0)
				goto bad;
			has_labels = 1;
		} else if (KEY(k, "meta")) {
			if (jr_peek(&j) != '{') {
				*err = "meta is not an object";
				goto bad;
			}
			if (str_map(&j, &ps->meta, &ps->metacap, &r->nmeta, 0,
			    err) < 0)
				goto bad;
		} else if (KEY(k, "flush") || KEY(k, "ack")) {
			if (jr_peek(&j) != '"') {
				*err = "control token is not a string";
				goto bad;
			}
			if (jr_str(&j, &r->token) < 0)
				goto bad;
			if (k.n == 5)
				has_flush = 1;
			else
				has_ack = 1;
		} else if (KEY(k, "error")) {
			if (jr_peek(&j) == 'n') {
				if (jr_skip(&j, NULL) < 0)
					goto bad;
				continue;
			}
			if (jr_peek(&j) != '"') {
				*err = "error is not a string";
				goto bad;
			}
			if (jr_str(&j, &r->error) < 0)
				goto bad;
			r->has_error = 1;
		} else if (KEY(k, "ok")) {
			int c = jr_peek(&j);

			if (c != 't' && c != 'f') {
				*err = "ok is not a boolean";
				goto bad;
			}
			if (jr_skip(&j, NULL) < 0)
				goto bad;
			r->ok = c == 't';
		} else if (KEY(k, "entries") || KEY(k, "bytes")) {
			uint64_t v;

			if (jr_u64(&j, &v) < 0)
				goto bad;
			if (k.n == 7)
				r->entries = v;
			else
				r->bytes = v;
		} else if (jr_skip(&j, NULL) < 0)
			goto bad;
	}
	if (rc < 0 || jr_end(&j) < 0)
		goto bad;
	if (has_flush && !has_ack) {
		r->kind = REC_FLUSH;
		return REC_FLUSH;
	}
	if (has_ack && !has_flush) {
		r->kind = REC_ACK;
		return REC_ACK;
	}
	if (has_ack && has_flush) {
		*err = "both flush and ack";
		return -1;
	}
	if (!has_ts) {
		*err = "missing ts";
		return -1;
	}
	if (!has_line) {
		*err = "missing line";
		return -1;
	}
	if (has_labels) {
		r->labels = ps->labels;
		r->nlabels = ps->nlabels;
	} else {
		/* no labels: an empty set, which differs from a non-empty
		 * previous one */
		if (ps->have_labels && ps->nlabels > 0)
			r->labels_changed = 1;
		ps->have_labels = 0;
		ps->nlabels = 0;
		r->labels = ps->labels;
	}
	r->meta = ps->meta;
	r->kind = REC_ENTRY;
	return REC_ENTRY;
bad:
	if (*err == NULL)
		*err = j.err != NULL ? j.err : "invalid JSON";
	return -1;
}

int
rec_parse(struct rec_parser *ps, const char *p, size_t n, struct rec *r,
    const char **err)
{
	int kind = parse_one(ps, p, n, r, err);

	/* a record that failed after reading new labels must not let the
	 * next one look unchanged: the stage never saw these */
	if (kind < 0 && r->labels_changed)
		ps->have_labels = 0;
	return kind;
}

static void
write_map(struct buf *b, const struct label *l, size_t n)
{
	size_t i;

	buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		jw_str(b, l[i].name.p, l[i].name.n);
		buf_putc(b, ':');
		jw_str(b, l[i].value.p, l[i].value.n);
	}
	buf_putc(b, '}');
}

void
rec_write_labels(struct buf *b, const struct label *l, size_t n)
{
	write_map(b, l, n);
}

void
rec_write_entry_raw(struct buf *b, uint64_t ts, struct str labels_json,
    struct str line, const struct label *meta, size_t nmeta)
{
	buf_put(b, "{\"ts\":\"", 7);
	buf_putu64(b, ts);
	buf_put(b, "\",\"labels\":", 11);
	buf_put(b, labels_json.p, labels_json.n);
	buf_put(b, ",\"line\":", 8);
	jw_str(b, line.p, line.n);
	if (nmeta > 0) {
		buf_put(b, ",\"meta\":", 8);
		write_map(b, meta, nmeta);
	}
	buf_put(b, "}\n", 2);
}

void
rec_write_entry(struct buf *b, uint64_t ts, const struct label *l,
    size_t nl, struct str line, const struct label *meta, size_t nmeta)
{
	buf_put(b, "{\"ts\":\"", 7);
	buf_putu64(b, ts);
	buf_put(b, "\",\"labels\":", 11);
	write_map(b, l, nl);
	buf_put(b, ",\"line\":", 8);
	jw_str(b, line.p, line.n);
	if (nmeta > 0) {
		buf_put(b, ",\"meta\":", 8);
		write_map(b, meta, nmeta);
	}
	buf_put(b, "}\n", 2);
}

void
rec_write_flush(struct buf *b, struct str token, struct str error)
{
	buf_put(b, "{\"flush\":", 9);
	jw_str(b, token.p, token.n);
	if (error.n > 0) {
		buf_put(b, ",\"error\":", 9);
		jw_str(b, error.p, error.n);
	}
	buf_put(b, "}\n", 2);
}

void
rec_write_ack(struct buf *b, struct str token, int ok, uint64_t entries,
    uint64_t bytes, struct str error)
{
	buf_put(b, "{\"ack\":", 7);
	jw_str(b, token.p, token.n);
	buf_puts(b, ok ? ",\"ok\":true" : ",\"ok\":false");
	buf_put(b, ",\"entries\":", 11);
	buf_putu64(b, entries);
	buf_put(b, ",\"bytes\":", 9);
	buf_putu64(b, bytes);
	if (error.n > 0) {
		buf_put(b, ",\"error\":", 9);
		jw_str(b, error.p, error.n);
	}
	buf_put(b, "}\n", 2);
}

#define ERRS_CAP	8192

static void
errs_append(struct errs *e, const char *p, size_t n)
{
	if (n == 0)
		return;
	e->n++;
	if (e->b.len + n + 2 > ERRS_CAP) {
		e->dropped++;
		return;
	}
	if (e->b.len > 0)
		buf_put(&e->b, "; ", 2);
	buf_put(&e->b, p, n);
}

void
errs_add(struct errs *e, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	errs_append(e, tmp, (size_t)n);
}

void
errs_add_str(struct errs *e, struct str s)
{
	errs_append(e, s.p, s.n);
}

struct str
errs_get(struct errs *e)
{
	struct str s;
	size_t keep;

	if (e->dropped > 0) {
		keep = e->b.len;
		errs_add(e, "and %llu more", (unsigned long long)e->dropped);
		/* errs_add counted itself; undo the count, keep the text */
		e->n--;
		if (e->b.len == keep) {
			/* at the cap: replace the tail */
			if (keep > 40)
				e->b.len = keep - 40;
			buf_puts(&e->b, "; and more");
		}
		e->dropped = 0;
	}
	s.p = e->b.p;
	s.n = e->b.len;
	return s;
}

void
errs_clear(struct errs *e)
{
	e->b.len = 0;
	e->n = 0;
	e->dropped = 0;
}

int
rec_peek_kind(const char *p, size_t n)
{
	const char *e = p + n;

	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (p >= e || *p++ != '{')
		return 0;
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (e - p >= 7 && memcmp(p, "\"flush\"", 7) == 0)
		return REC_FLUSH;
	if (e - p >= 5 && memcmp(p, "\"ack\"", 5) == 0)
		return REC_ACK;
	return 0;
}

/* Grows a typed array by one; returns the new element's index. */
#define PUSH_ONE(arr, n, cap) do {					\
	if ((n) == (cap)) {						\
		(cap) = (cap) ? (cap) * 2 : 64;				\
		(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));	\
	}								\
} while (0)

static int
push_values(struct push *pb, struct jr *j, struct push_stream *st,
    const char **err)
{
	int r;

	if (jr_peek(j) != '[') {
		*err = "values is not an array";
		return -1;
	}
	if (jr_arr(j) < 0)
		return -1;
	st->values_off = pb->nvalues;
	while ((r = jr_more(j)) == 1) {
		struct push_value *v;
		int c;

		PUSH_ONE(pb->values, pb->nvalues, pb->valuecap);
		v = &pb->values[pb->nvalues];
		memset(v, 0, sizeof(*v));
		if (jr_peek(j) != '[' || jr_arr(j) < 0 || jr_more(j) != 1 ||
		    jr_u64(j, &v->ts) < 0 || jr_more(j) != 1 ||
		    jr_peek(j) != '"' || jr_str(j, &v->line) < 0) {
			*err = "a value is not [\"ts\", \"line\"]";
			return -1;
		}
		c = jr_more(j);
		if (c == 1) {
			size_t before = pb->nmeta, got;
			struct label *m;

			if (jr_peek(j) != '{') {
				*err = "structured metadata is not an object";
				return -1;
			}
			/* read into the tail of the shared meta array */
			m = NULL;
			got = 0;
			{
				size_t cap = 0;

				if (str_map(j, &m, &cap, &got, 0, err) < 0) {
					free(m);
					return -1;
				}
			}
			while (pb->nmeta + got > pb->metacap) {
				pb->metacap = pb->metacap ? pb->metacap * 2 : 64;
				pb->meta = xrealloc(pb->meta,
				    pb->metacap * sizeof(*pb->meta));
			}
			if (got > 0)
				memcpy(pb->meta + before, m, got * sizeof(*m));
			free(m);
			v->meta_off = before;
			v->nmeta = got;
			pb->nmeta += got;
			c = jr_more(j);
		}
		if (c != 0) {
			*err = "a value has more than 3 elements";
			return -1;
		}
		pb->line_bytes += v->line.n;
		pb->nvalues++;
	}
	if (r < 0)
		return -1;
	st->nvalues = pb->nvalues - st->values_off;
	return 0;
}

int
push_parse(struct push *pb, const char *p, size_t n, const char **err)
{
	struct jr j;
	struct str k;
	int r;

	*err = NULL;
	pb->tenant.n = 0;
	pb->tenant.p = NULL;
	pb->nstreams = pb->nlabels = pb->nvalues = pb->nmeta = 0;
	pb->line_bytes = 0;
	jr_init(&j, p, n, &pb->scratch);
	if (jr_obj(&j) < 0)
		goto bad;
	while ((r = jr_next(&j, &k)) == 1) {
		if (KEY(k, "tenant")) {
			if (jr_peek(&j) != '"') {
				*err = "tenant is not a string";
				goto bad;
			}
			if (jr_str(&j, &pb->tenant) < 0)
				goto bad;
		} else if (KEY(k, "streams")) {
			int rs;

			if (jr_peek(&j) != '[') {
				*err = "streams is not an array";
				goto bad;
			}
			if (jr_arr(&j) < 0)
				goto bad;
			while ((rs = jr_more(&j)) == 1) {
				struct push_stream *st;
				struct str sk;
				int rk;

				PUSH_ONE(pb->streams, pb->nstreams,
				    pb->streamcap);
				st = &pb->streams[pb->nstreams++];
				memset(st, 0, sizeof(*st));
				st->labels_off = pb->nlabels;
				if (jr_peek(&j) != '{' || jr_obj(&j) < 0) {
					*err = "a stream is not an object";
					goto bad;
				}
				while ((rk = jr_next(&j, &sk)) == 1) {
					if (KEY(sk, "stream")) {
						struct label *l = NULL;
						size_t cap = 0, got = 0;

						if (jr_peek(&j) != '{') {
							*err = "stream is not an object";
							goto bad;
						}
						if (str_map(&j, &l, &cap, &got, 1,
						    err) < 0) {
							free(l);
							goto bad;
						}
						while (pb->nlabels + got >
						    pb->labelcap) {
							pb->labelcap = pb->labelcap
							    ? pb->labelcap * 2 : 64;
							pb->labels = xrealloc(
							    pb->labels,
							    pb->labelcap *
							    sizeof(*pb->labels));
						}
						if (got > 0)
							memcpy(pb->labels +
							    pb->nlabels, l,
							    got * sizeof(*l));
						free(l);
						st->labels_off = pb->nlabels;
						st->nlabels = got;
						pb->nlabels += got;
					} else if (KEY(sk, "values")) {
						if (push_values(pb, &j, st,
						    err) < 0)
							goto bad;
					} else if (jr_skip(&j, NULL) < 0)
						goto bad;
				}
				if (rk < 0)
					goto bad;
			}
			if (rs < 0)
				goto bad;
		} else if (jr_skip(&j, NULL) < 0)
			goto bad;
	}
	if (r < 0 || jr_end(&j) < 0)
		goto bad;
	return 0;
bad:
	if (*err == NULL)
		*err = j.err != NULL ? j.err : "invalid JSON";
	return -1;
}

void
push_free(struct push *pb)
{
	free(pb->streams);
	free(pb->labels);
	free(pb->values);
	free(pb->meta);
	buf_free(&pb->scratch);
	memset(pb, 0, sizeof(*pb));
}
