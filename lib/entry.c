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

/* Finding a name among n already read: a scan for the few labels of an
 * ordinary object, a hash table past this many (a hostile line with
 * 100000 keys must not cost 10^10 comparisons). */
#define MAP_SCAN	16

struct dedup {
	uint32_t	*slot;		/* index + 1; 0: empty */
	size_t		 mask;
};

static uint64_t
name_hash(struct str k)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < k.n; i++)
		h = (h ^ (unsigned char)k.p[i]) * 1099511628211ULL;
	return h;
}

static int
name_eq(struct str a, struct str b)
{
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* The index of k in arr[0..n), or n. Inserts nothing. */
static size_t
dedup_find(struct dedup *d, const struct label *arr, size_t n, struct str k,
    size_t *slot)
{
	size_t i;

	if (d->slot == NULL) {
		for (i = 0; i < n; i++)
			if (name_eq(arr[i].name, k))
				return i;
		return n;
	}
	for (i = name_hash(k) & d->mask; d->slot[i] != 0;
	    i = (i + 1) & d->mask)
		if (name_eq(arr[d->slot[i] - 1].name, k))
			return d->slot[i] - 1;
	*slot = i;
	return n;
}

/* (Re)builds the table for arr[0..n) with room to double. */
static void
dedup_build(struct dedup *d, const struct label *arr, size_t n)
{
	size_t size = 64, i, s;

	while (size < 4 * n)
		size *= 2;
	free(d->slot);
	d->slot = xcalloc(size, sizeof(*d->slot));
	d->mask = size - 1;
	for (i = 0; i < n; i++) {
		for (s = name_hash(arr[i].name) & d->mask; d->slot[s] != 0;
		    s = (s + 1) & d->mask)
			;
		d->slot[s] = (uint32_t)(i + 1);
	}
}

/*
 * An object of string values into *arr (grown as needed). names: check
 * label names. Duplicate names: the last value wins, as in jq, so a value
 * of the wrong type is an error only when no later one replaces it.
 */
static int
str_map(struct jr *j, struct label **arr, size_t *cap, size_t *np,
    int names, const char **err)
{
	struct dedup d = { NULL, 0 };
	struct str k, v;
	size_t n = 0, i, slot = 0;
	int r, rc = -1;

	if (jr_obj(j) < 0)
		return -1;
	while ((r = jr_next(j, &k)) == 1) {
		if (names && !label_name_ok(k.p, k.n)) {
			*err = "invalid label name";
			goto out;
		}
		if (jr_peek(j) == '"') {
			if (jr_str(j, &v) < 0)
				goto out;
		} else {
			if (jr_skip(j, NULL) < 0)
				goto out;
			v.p = NULL;	/* wrong type, unless replaced */
			v.n = 0;
		}
		i = dedup_find(&d, *arr, n, k, &slot);
		if (i == n) {
			if (n == *cap) {
				*cap = *cap ? *cap * 2 : 16;
				*arr = xrealloc(*arr, *cap * sizeof(**arr));
			}
			(*arr)[n].name = k;
			n++;
			if (d.slot != NULL)
				d.slot[slot] = (uint32_t)n;
			if (n == MAP_SCAN || (d.slot != NULL &&
			    4 * n > 3 * (d.mask + 1)))
				dedup_build(&d, *arr, n);
		}
		(*arr)[i].name = k;
		(*arr)[i].value = v;
	}
	if (r < 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((*arr)[i].value.p == NULL) {
			*err = names ? "label value is not a string" :
			    "meta value is not a string";
			goto out;
		}
	*np = n;
	rc = 0;
out:
	free(d.slot);
	return rc;
}

/* ps->have_labels: what the consumer saw as the last entry's labels */
#define LAB_UNKNOWN	0	/* nothing yet, or invalidated */
#define LAB_RAW		1	/* the object in labraw */
#define LAB_NONE	2	/* an entry without labels */

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
	if (ps->have_labels == LAB_RAW &&
	    (size_t)(j->end - j->p) >= ps->labraw.len &&
	    memcmp(j->p, ps->labraw.p, ps->labraw.len) == 0) {
		/* the same bytes make the same complete object */
		j->p += ps->labraw.len;
		return 0;
	}
	if (jr_skip(j, &raw) < 0)
		return -1;
	ps->have_labels = LAB_UNKNOWN;
	r->labels_changed = 1;
	ps->labraw.len = 0;
	buf_put(&ps->labraw, raw.p, raw.n);
	jr_init(&lj, ps->labraw.p, ps->labraw.len, &ps->labdec);
	if (str_map(&lj, &ps->labels, &ps->labcap, &ps->nlabels, 1,
	    err) < 0) {
		if (*err == NULL)
			*err = lj.err;
		return -1;
	}
	ps->have_labels = LAB_RAW;
	return 0;
}

void
rec_parser_reset_labels(struct rec_parser *ps)
{
	ps->have_labels = LAB_UNKNOWN;
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

/* The fields this codec knows; any other is skipped (syntax checked). */
enum { F_TS, F_LINE, F_LABELS, F_META, F_FLUSH, F_ACK, F_ERROR, F_OK,
	F_ENTRIES, F_BYTES, F_N };

static int
field_of(struct str k)
{
	switch (k.n) {
	case 2:
		if (KEY(k, "ts"))
			return F_TS;
		return KEY(k, "ok") ? F_OK : -1;
	case 3:
		return KEY(k, "ack") ? F_ACK : -1;
	case 4:
		if (KEY(k, "line"))
			return F_LINE;
		return KEY(k, "meta") ? F_META : -1;
	case 5:
		if (KEY(k, "flush"))
			return F_FLUSH;
		return KEY(k, "error") ? F_ERROR : KEY(k, "bytes") ? F_BYTES :
		    -1;
	case 6:
		return KEY(k, "labels") ? F_LABELS : -1;
	case 7:
		return KEY(k, "entries") ? F_ENTRIES : -1;
	default:
		return -1;
	}
}

/* Reads the value of field f; -1 with *fe (a type error) or j->err. */
static int
read_field(struct rec_parser *ps, struct jr *j, struct rec *r, int f,
    const char **fe)
{
	int c = jr_peek(j);

	switch (f) {
	case F_TS:
		if (jr_u64(j, &r->ts) == 0)
			return 0;
		*fe = j->err != NULL && strstr(j->err, "range") != NULL ?
		    "ts out of range or not an integer" :
		    "ts is not a nonnegative integer or a string of digits";
		return -1;
	case F_LINE:
		if (c != '"') {
			*fe = "line is not a string";
			return -1;
		}
		return jr_str(j, &r->line);
	case F_LABELS:
		return labels_read(ps, j, r, fe);
	case F_META:
		if (c != '{') {
			*fe = "meta is not an object";
			return -1;
		}
		r->nmeta = 0;
		return str_map(j, &ps->meta, &ps->metacap, &r->nmeta, 0, fe);
	case F_FLUSH:
	case F_ACK:
		if (c != '"') {
			*fe = "control token is not a string";
			return -1;
		}
		return jr_str(j, &r->token);
	case F_ERROR:
		if (c == 'n') {
			r->has_error = 0;
			r->error.p = NULL;
			r->error.n = 0;
			return jr_skip(j, NULL);
		}
		if (c != '"') {
			*fe = "error is not a string";
			return -1;
		}
		r->has_error = 1;
		return jr_str(j, &r->error);
	case F_OK:
		if (c != 't' && c != 'f') {
			*fe = "ok is not a boolean";
			return -1;
		}
		r->ok = c == 't';
		return jr_skip(j, NULL);
	default:
		if (jr_u64(j, f == F_ENTRIES ? &r->entries : &r->bytes) == 0)
			return 0;
		*fe = "entries or bytes is not a nonnegative integer";
		return -1;
	}
}

/* The first error among the fields in mask, in field order. */
static const char *
first_err(const char *const *ferr, unsigned mask)
{
	int f;

	for (f = 0; f < F_N; f++)
		if ((mask & 1u << f) != 0 && ferr[f] != NULL)
			return ferr[f];
	return NULL;
}

#define BIT(f)	(1u << (f))

static int
parse_one(struct rec_parser *ps, const char *p, size_t n, struct rec *r,
    const char **err)
{
	const char *ferr[F_N];
	unsigned has = 0;
	struct jr j;
	struct str k;
	int rc, f;

	*err = NULL;
	memset(r, 0, sizeof(*r));
	for (f = 0; f < F_N; f++)
		ferr[f] = NULL;
	jr_init(&j, p, n, &ps->scratch);
	if (jr_obj(&j) < 0)
		goto bad;
	while ((rc = jr_next(&j, &k)) == 1) {
		struct jr save;
		size_t slen;
		const char *fe = NULL;

		f = field_of(k);
		if (f < 0) {
			if (jr_skip(&j, NULL) < 0)
				goto bad;
			continue;
		}
		has |= BIT(f);
		save = j;
		slen = ps->scratch.len;
		if (read_field(ps, &j, r, f, &fe) == 0) {
			ferr[f] = NULL;
			continue;
		}
		/*
		 * Not what the field must be. A syntax error rejects the
		 * line; a wrong type or value counts only if no later
		 * duplicate of the key replaces it (jq: the last one wins).
		 */
		if (fe == NULL)
			fe = j.err;
		j = save;
		j.err = NULL;
		ps->scratch.len = slen;
		if (jr_skip(&j, NULL) < 0)
			goto bad;
		ferr[f] = fe != NULL ? fe : "invalid value";
	}
	if (rc < 0 || jr_end(&j) < 0)
		goto bad;
	if ((has & BIT(F_FLUSH)) && (has & BIT(F_ACK))) {
		*err = "both flush and ack";
		return -1;
	}
	if (has & BIT(F_FLUSH)) {
		*err = first_err(ferr, BIT(F_FLUSH) | BIT(F_ERROR));
		r->kind = REC_FLUSH;
	} else if (has & BIT(F_ACK)) {
		*err = first_err(ferr, BIT(F_ACK) | BIT(F_ERROR) | BIT(F_OK) |
		    BIT(F_ENTRIES) | BIT(F_BYTES));
		r->kind = REC_ACK;
	} else {
		if (!(has & BIT(F_TS)))
			*err = "missing ts";
		else if (!(has & BIT(F_LINE)))
			*err = "missing line";
		else
			*err = first_err(ferr, BIT(F_TS) | BIT(F_LINE) |
			    BIT(F_LABELS) | BIT(F_META));
		r->kind = REC_ENTRY;
	}
	if (*err != NULL)
		return -1;
	if (r->kind != REC_ENTRY)
		return r->kind;
	if (has & BIT(F_LABELS))
		r->labels = ps->labels;
	else {
		/* no labels: the empty set */
		if (ps->have_labels != LAB_NONE)
			r->labels_changed = 1;
		ps->have_labels = LAB_NONE;
		ps->nlabels = 0;
		r->labels = ps->labels;
	}
	if (ps->have_labels == LAB_UNKNOWN)
		r->labels_changed = 1;	/* after a reset */
	r->nlabels = ps->nlabels;
	r->meta = ps->meta;
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

	/* a record that read new labels but is not an entry (an error, a
	 * control record) must not let the next entry look unchanged: the
	 * stage never saw these labels */
	if (kind != REC_ENTRY && r->labels_changed)
		ps->have_labels = LAB_UNKNOWN;
	if (kind != REC_ENTRY) {
		r->labels_changed = 0;
		r->labels = NULL;
		r->nlabels = 0;
		r->meta = NULL;
		r->nmeta = 0;
	}
	return kind;
}

/* Room that map_to needs at most. */
static size_t
map_max(const struct label *l, size_t n)
{
	size_t i, s = 2;

	for (i = 0; i < n; i++)
		s += JW_STR_MAX(l[i].name.n) + JW_STR_MAX(l[i].value.n) + 2;
	return s;
}

static char *
map_to(char *o, const struct label *l, size_t n)
{
	size_t i;

	*o++ = '{';
	for (i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		o = jw_str_to(o, l[i].name.p, l[i].name.n);
		*o++ = ':';
		o = jw_str_to(o, l[i].value.p, l[i].value.n);
	}
	*o++ = '}';
	return o;
}

static const char digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* The decimal digits of v at o (up to 20 bytes); returns the end. */
static char *
u64_to(char *o, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		tmp[--i] = digits2[d + 1];
		tmp[--i] = digits2[d];
	}
	if (v >= 10) {
		tmp[--i] = digits2[v * 2 + 1];
		tmp[--i] = digits2[v * 2];
	} else
		tmp[--i] = (char)('0' + v);
	memcpy(o, tmp + i, sizeof(tmp) - i);
	return o + (sizeof(tmp) - i);
}

#define PUT(o, lit)	(memcpy((o), (lit), sizeof(lit) - 1), \
	    (o) += sizeof(lit) - 1)

void
rec_write_labels(struct buf *b, const struct label *l, size_t n)
{
	char *o = buf_grow(b, map_max(l, n));

	o = map_to(o, l, n);
	b->len = (size_t)(o - b->p);
}

/* The entry; labels pre-rendered (lj) or not (l, nl). One buf_grow. */
static void
write_entry(struct buf *b, uint64_t ts, const struct str *lj,
    const struct label *l, size_t nl, struct str line,
    const struct label *meta, size_t nmeta)
{
	size_t max;
	char *o;

	max = 48 + (lj != NULL ? lj->n : map_max(l, nl)) +
	    JW_STR_MAX(line.n) + (nmeta > 0 ? 8 + map_max(meta, nmeta) : 0);
	o = buf_grow(b, max);
	PUT(o, "{\"ts\":\"");
	o = u64_to(o, ts);
	PUT(o, "\",\"labels\":");
	if (lj != NULL) {
		memcpy(o, lj->p, lj->n);
		o += lj->n;
	} else
		o = map_to(o, l, nl);
	PUT(o, ",\"line\":");
	o = jw_str_to(o, line.p, line.n);
	if (nmeta > 0) {
		PUT(o, ",\"meta\":");
		o = map_to(o, meta, nmeta);
	}
	PUT(o, "}\n");
	b->len = (size_t)(o - b->p);
}

void
rec_write_entry_raw(struct buf *b, uint64_t ts, struct str labels_json,
    struct str line, const struct label *meta, size_t nmeta)
{
	write_entry(b, ts, &labels_json, NULL, 0, line, meta, nmeta);
}

void
rec_write_entry(struct buf *b, uint64_t ts, const struct label *l,
    size_t nl, struct str line, const struct label *meta, size_t nmeta)
{
	write_entry(b, ts, NULL, l, nl, line, meta, nmeta);
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
#define ERRS_TAIL	48	/* kept free for "; and N more" */

/* n, or less so that p[0..n) does not end inside a UTF-8 sequence. */
static size_t
char_cut(const char *p, size_t n)
{
	size_t k = n;

	while (k > 0 && k + 3 > n && ((unsigned char)p[k] & 0xc0) == 0x80)
		k--;
	return k;
}

static void
errs_append(struct errs *e, const char *p, size_t n)
{
	size_t room, sep;

	if (n == 0)
		return;
	e->n++;
	sep = e->b.len > 0 ? 2 : 0;
	room = ERRS_CAP - ERRS_TAIL - e->b.len;
	if (e->b.len + sep + n > ERRS_CAP - ERRS_TAIL) {
		/* a long reason still says something when cut short; a
		 * short one is only counted */
		if (room < sep + 128) {
			e->dropped++;
			return;
		}
		n = char_cut(p, room - sep - 3);
		if (sep)
			buf_put(&e->b, "; ", 2);
		buf_put(&e->b, p, n);
		buf_put(&e->b, "...", 3);
		return;
	}
	if (sep)
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
		n = (int)char_cut(tmp, sizeof(tmp) - 2);
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

	if (e->dropped > 0) {
		/* the reasons past the cap, said once, in the room kept */
		if (e->b.len > 0)
			buf_put(&e->b, "; ", 2);
		buf_puts(&e->b, "and ");
		buf_putu64(&e->b, e->dropped);
		buf_puts(&e->b, " more");
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

/* The kind from every top-level key: a control record whose first key
 * is another one ({"error":..,"flush":..}, as jq -S writes it). */
static int
peek_keys(const char *p, size_t n)
{
	struct buf sc = { 0 };
	struct jr j;
	struct str k;
	int kind = 0;

	jr_init(&j, p, n, &sc);
	if (jr_obj(&j) == 0)
		while (jr_next(&j, &k) == 1) {
			if (KEY(k, "flush") || KEY(k, "ack")) {
				kind = k.n == 5 ? REC_FLUSH : REC_ACK;
				break;
			}
			if (jr_skip(&j, NULL) < 0)
				break;
		}
	buf_free(&sc);
	return kind;
}

int
rec_peek_kind(const char *p, size_t n)
{
	const char *s = p, *e = p + n;

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
	/* a push body, as batch and Loki's clients write them */
	if ((e - p >= 9 && memcmp(p, "\"streams\"", 9) == 0) ||
	    (e - p >= 8 && memcmp(p, "\"tenant\"", 8) == 0))
		return 0;
	return peek_keys(s, n);
}

/* Grows a typed array by one; returns the new element's index. */
#define PUSH_ONE(arr, n, cap) do {					\
	if ((n) == (cap)) {						\
		(cap) = (cap) ? (cap) * 2 : 64;			\
		(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));	\
	}								\
} while (0)

/* Appends got labels to a push body's array. */
static void
labels_append(struct label **arr, size_t *n, size_t *cap,
    const struct label *l, size_t got)
{
	while (*n + got > *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*arr = xrealloc(*arr, *cap * sizeof(**arr));
	}
	if (got > 0)
		memcpy(*arr + *n, l, got * sizeof(*l));
	*n += got;
}

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
			size_t got = 0;

			if (jr_peek(j) != '{') {
				*err = "structured metadata is not an object";
				return -1;
			}
			if (str_map(j, &pb->tmp, &pb->tmpcap, &got, 0,
			    err) < 0)
				return -1;
			v->meta_off = pb->nmeta;
			v->nmeta = got;
			labels_append(&pb->meta, &pb->nmeta, &pb->metacap,
			    pb->tmp, got);
			c = jr_more(j);
		}
		if (c < 0)
			return -1;
		if (c != 0) {
			*err = "a value has more than 3 elements";
			return -1;
		}
		pb->nvalues++;
	}
	if (r < 0)
		return -1;
	st->nvalues = pb->nvalues - st->values_off;
	return 0;
}

/*
 * A member of a push body that failed to read as its type: the cursor
 * goes back and skips it (a syntax error still fails), and *pend keeps the
 * reason until a later duplicate of the key reads well (jq: the last one
 * wins). 0, or -1 on a syntax error.
 */
static int
push_defer(struct jr *j, const struct jr *save, struct buf *scratch,
    size_t slen, const char **err, const char **pend)
{
	*pend = *err != NULL ? *err : j->err != NULL ? j->err :
	    "invalid value";
	*err = NULL;
	*j = *save;
	j->err = NULL;
	scratch->len = slen;
	return jr_skip(j, NULL);
}

/* One {"stream":{...},"values":[...]}. A duplicate key replaces what
 * its first occurrence added. */
static int
push_stream(struct push *pb, struct jr *j, const char **err)
{
	struct push_stream *st;
	struct str k;
	struct jr save;
	size_t l0 = pb->nlabels, v0 = pb->nvalues, m0 = pb->nmeta, got, slen;
	const char *pl = NULL, *pv = NULL;
	int r, rc;

	if (jr_peek(j) != '{' || jr_obj(j) < 0) {
		*err = "a stream is not an object";
		return -1;
	}
	PUSH_ONE(pb->streams, pb->nstreams, pb->streamcap);
	st = &pb->streams[pb->nstreams++];
	memset(st, 0, sizeof(*st));
	st->labels_off = l0;
	st->values_off = v0;
	while ((r = jr_next(j, &k)) == 1) {
		save = *j;
		slen = pb->scratch.len;
		if (KEY(k, "stream")) {
			pb->nlabels = l0;
			st->nlabels = 0;
			got = 0;
			if (jr_peek(j) != '{') {
				*err = "stream is not an object";
				rc = -1;
			} else
				rc = str_map(j, &pb->tmp, &pb->tmpcap, &got, 1,
				    err);
			pl = NULL;
			if (rc < 0) {
				if (push_defer(j, &save, &pb->scratch, slen,
				    err, &pl) < 0)
					return -1;
				continue;
			}
			labels_append(&pb->labels, &pb->nlabels, &pb->labelcap,
			    pb->tmp, got);
			st->nlabels = got;
		} else if (KEY(k, "values")) {
			pb->nvalues = v0;
			pb->nmeta = m0;
			st->nvalues = 0;
			pv = NULL;
			if (push_values(pb, j, st, err) < 0) {
				st->nvalues = 0;
				if (push_defer(j, &save, &pb->scratch, slen,
				    err, &pv) < 0)
					return -1;
			}
		} else if (jr_skip(j, NULL) < 0)
			return -1;
	}
	if (r < 0)
		return -1;
	if (pl != NULL || pv != NULL) {
		*err = pl != NULL ? pl : pv;
		return -1;
	}
	return 0;
}

int
push_parse(struct push *pb, const char *p, size_t n, const char **err)
{
	struct jr j, save;
	struct str k;
	const char *pt = NULL, *ps = NULL;
	size_t i, v, slen;
	int r, rs;

	*err = NULL;
	pb->tenant.n = 0;
	pb->tenant.p = NULL;
	pb->nstreams = pb->nlabels = pb->nvalues = pb->nmeta = 0;
	pb->line_bytes = 0;
	jr_init(&j, p, n, &pb->scratch);
	if (jr_obj(&j) < 0)
		goto bad;
	while ((r = jr_next(&j, &k)) == 1) {
		save = j;
		slen = pb->scratch.len;
		if (KEY(k, "tenant")) {
			pt = NULL;
			pb->tenant.n = 0;
			if (jr_peek(&j) != '"')
				*err = "tenant is not a string";
			else if (jr_str(&j, &pb->tenant) == 0)
				continue;
			if (push_defer(&j, &save, &pb->scratch, slen, err,
			    &pt) < 0)
				goto bad;
		} else if (KEY(k, "streams")) {
			/* a second "streams" replaces the first */
			pb->nstreams = pb->nlabels = pb->nvalues = 0;
			pb->nmeta = 0;
			ps = NULL;
			if (jr_peek(&j) != '[') {
				*err = "streams is not an array";
				rs = -1;
			} else if ((rs = jr_arr(&j)) == 0) {
				while ((rs = jr_more(&j)) == 1)
					if (push_stream(pb, &j, err) < 0)
						break;
			}
			if (rs != 0) {
				pb->nstreams = 0;
				if (push_defer(&j, &save, &pb->scratch,
				    slen, err, &ps) < 0)
					goto bad;
			}
		} else if (jr_skip(&j, NULL) < 0)
			goto bad;
	}
	if (r < 0 || jr_end(&j) < 0)
		goto bad;
	if (pt != NULL || ps != NULL) {
		*err = pt != NULL ? pt : ps;
		return -1;
	}
	for (i = 0; i < pb->nstreams; i++)
		for (v = 0; v < pb->streams[i].nvalues; v++)
			pb->line_bytes +=
			    pb->values[pb->streams[i].values_off + v].line.n;
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
	free(pb->tmp);
	buf_free(&pb->scratch);
	memset(pb, 0, sizeof(*pb));
}

void
rec_pass_flush(struct buf *b, const struct rec *r, struct errs *e)
{
	if (r->has_error && r->error.n > 0)
		errs_add_str(e, r->error);
	rec_write_flush(b, r->token, errs_get(e));
	errs_clear(e);
}
