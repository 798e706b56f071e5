/*
 * relabel.c: EXTRA_LABELS, DROP_LABELS and Prometheus relabel_configs, as
 * Prometheus 3.x's model/relabel does them (the engine lambda-promtail
 * links), with lib/goregex's Go regexp on PCRE2 instead of Go's own. The
 * label set follows labels.Builder: the input (sorted) plus an ordered
 * list of additions and a list of deletions, which is what decides
 * labelmap's order of iteration.
 */
#include <jq.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goregex.h"
#include "json.h"
#include "labels.h"
#include "log.h"
#include "relabel.h"

/* ------------------------------------------------------------- rules */

enum {
	A_REPLACE = 1, A_KEEP, A_DROP, A_KEEPEQUAL, A_DROPEQUAL, A_HASHMOD,
	A_LABELMAP, A_LABELDROP, A_LABELKEEP, A_LOWERCASE, A_UPPERCASE
};
static const char *const action_names[] = {
	"", "replace", "keep", "drop", "keepequal", "dropequal", "hashmod",
	"labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase", NULL
};

struct rule {
	int		 action;
	struct str	*src;		/* source_labels (owned) */
	size_t		 nsrc;
	int		 src_set;	/* a non-empty list was given */
	char		*sep;
	size_t		 seplen;
	struct re	*re;
	int		 re_default;	/* regex not given */
	uint64_t	 modulus;
	struct re_tmpl	 target;
	struct re_tmpl	 repl;
	int		 warned;	/* invalid name reported */
	int		 warn_pending;
	struct buf	 warn_name;
	int		 err_warned;	/* match error reported */
	int		 err_pending;
};

/* A growing store for strings made while relabeling one label set; its
 * blocks never move, and are merged into one when reset. */
struct blk {
	struct blk	*next;
	size_t		 len, cap;
	char		 data[];
};

struct relabel {
	struct label	*extra;
	size_t		 nextra;
	char		*extra_mem;
	struct str	*drop;
	size_t		 ndrop;
	char		*drop_mem;
	struct rule	*rules;
	size_t		 nrules;
	/* the builder (Prometheus' labels.Builder) */
	struct label	*base, *add, *snap;
	size_t		 nbase, nadd, nsnap, capbase, capadd, capsnap;
	struct str	*del;
	size_t		 ndel, capdel;
	struct label	*res;
	size_t		 capres;
	struct buf	 val, tmp, tgt;
	struct blk	*blk;
	EVP_MD_CTX	*md5;
	size_t		 warn_next;
};

static char *
blk_put(struct relabel *r, const char *p, size_t n)
{
	struct blk *b = r->blk;
	size_t cap;

	if (b == NULL || b->cap - b->len < n) {
		cap = b == NULL ? 4096 : b->cap * 2;
		while (cap < n)
			cap *= 2;
		b = xmalloc(sizeof(*b) + cap);
		b->next = r->blk;
		b->len = 0;
		b->cap = cap;
		r->blk = b;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return b->data + b->len - n;
}

static void
blk_reset(struct relabel *r)
{
	struct blk *b, *nx;
	size_t total = 0;

	if (r->blk == NULL)
		return;
	if (r->blk->next == NULL) {
		r->blk->len = 0;
		return;
	}
	for (b = r->blk; b != NULL; b = nx) {
		nx = b->next;
		total += b->cap;
		free(b);
	}
	r->blk = xmalloc(sizeof(*r->blk) + total);
	r->blk->next = NULL;
	r->blk->len = 0;
	r->blk->cap = total;
}

static int
streq(struct str a, const char *p, size_t n)
{
	return a.n == n && (n == 0 || memcmp(a.p, p, n) == 0);
}

static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	while (*cap < need)
		*cap = *cap ? *cap * 2 : 16;
	return xrealloc(p, *cap * size);
}

static int
in_del(const struct str *d, size_t nd, struct str name)
{
	size_t i;

	for (i = 0; i < nd; i++)
		if (streq(d[i], name.p, name.n))
			return 1;
	return 0;
}

static struct label *
in_add(struct label *a, size_t na, struct str name)
{
	size_t i;

	for (i = 0; i < na; i++)
		if (streq(a[i].name, name.p, name.n))
			return &a[i];
	return NULL;
}

/* labels.Builder.Get */
static struct str
b_get(struct relabel *r, struct str name)
{
	struct label *l = in_add(r->add, r->nadd, name);
	struct str none = { "", 0 };

	if (l != NULL)
		return l->value;
	if (in_del(r->del, r->ndel, name))
		return none;
	l = labels_find(r->base, r->nbase, name.p, name.n);
	return l != NULL ? l->value : none;
}

/* labels.Builder.Del */
static void
b_del(struct relabel *r, struct str name)
{
	size_t i;

	for (i = 0; i < r->nadd; i++)
		if (streq(r->add[i].name, name.p, name.n)) {
			memmove(&r->add[i], &r->add[i + 1],
			    (r->nadd - i - 1) * sizeof(*r->add));
			r->nadd--;
			break;
		}
	if (in_del(r->del, r->ndel, name))
		return;
	r->del = grow(r->del, &r->capdel, r->ndel + 1, sizeof(*r->del));
	r->del[r->ndel++] = name;
}

/* labels.Builder.Set; name and value must outlive the apply */
static void
b_set(struct relabel *r, struct str name, struct str value)
{
	struct label *l;

	if (value.n == 0) {
		b_del(r, name);
		return;
	}
	l = in_add(r->add, r->nadd, name);
	if (l != NULL) {
		l->value = value;
		return;
	}
	r->add = grow(r->add, &r->capadd, r->nadd + 1, sizeof(*r->add));
	r->add[r->nadd].name = name;
	r->add[r->nadd].value = value;
	r->nadd++;
}

static struct str
keep_str(struct relabel *r, const char *p, size_t n)
{
	struct str s;

	s.p = n ? blk_put(r, p, n) : "";
	s.n = n;
	return s;
}

/* labels.Builder.Range: the set as it was (a snapshot), base first. */
static size_t
b_snapshot(struct relabel *r)
{
	size_t i;

	r->snap = grow(r->snap, &r->capsnap, r->nbase + r->nadd + 1,
	    sizeof(*r->snap));
	r->nsnap = 0;
	for (i = 0; i < r->nbase; i++)
		if (!in_del(r->del, r->ndel, r->base[i].name) &&
		    in_add(r->add, r->nadd, r->base[i].name) == NULL)
			r->snap[r->nsnap++] = r->base[i];
	for (i = 0; i < r->nadd; i++)
		r->snap[r->nsnap++] = r->add[i];
	return r->nsnap;
}

static void
warn_name(struct rule *ru, const char *p, size_t n)
{
	if (ru->warned)
		return;
	ru->warned = 1;
	ru->warn_pending = 1;
	ru->warn_name.len = 0;
	buf_put(&ru->warn_name, p, n);
}

static int
hashmod(struct relabel *r, struct rule *ru, struct str *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint64_t v = 0;
	char num[24];
	int i, k;

	if (EVP_DigestInit_ex(r->md5, EVP_md5(), NULL) != 1 ||
	    EVP_DigestUpdate(r->md5, r->val.p ? r->val.p : "", r->val.len)
	    != 1 || EVP_DigestFinal_ex(r->md5, md, &mdlen) != 1 ||
	    mdlen != 16)
		return -1;
	for (i = 8; i < 16; i++)
		v = v << 8 | md[i];
	v %= ru->modulus;
	k = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	*out = keep_str(r, num, (size_t)k);
	return 0;
}

/* One rule on the builder (Prometheus' relabel()); 0: drop the set. */
static int
rule_apply(struct relabel *r, struct rule *ru)
{
	struct str v, name, value, tl;
	const size_t *ov;
	size_t i, n;

	r->val.len = 0;
	for (i = 0; i < ru->nsrc; i++) {
		if (i > 0)
			buf_put(&r->val, ru->sep, ru->seplen);
		v = b_get(r, ru->src[i]);
		buf_put(&r->val, v.p, v.n);
	}
	buf_cstr(&r->val);
	tl.p = ru->target.text;
	tl.n = ru->target.n;
	switch (ru->action) {
	case A_DROP:
		return !re_match(ru->re, r->val.p, r->val.len);
	case A_KEEP:
		return re_match(ru->re, r->val.p, r->val.len);
	case A_DROPEQUAL:
		v = b_get(r, tl);
		return !streq(v, r->val.p, r->val.len);
	case A_KEEPEQUAL:
		v = b_get(r, tl);
		return streq(v, r->val.p, r->val.len);
	case A_REPLACE:
		if (re_find(ru->re, r->val.p, r->val.len, 0, &ov) != 1)
			break;
		r->tgt.len = 0;
		re_tmpl_expand(&ru->target, r->val.p, ov, &r->tgt);
		if (!label_name_ok(r->tgt.p, r->tgt.len)) {
			warn_name(ru, r->tgt.p, r->tgt.len);
			break;
		}
		r->tmp.len = 0;
		re_tmpl_expand(&ru->repl, r->val.p, ov, &r->tmp);
		name = keep_str(r, r->tgt.p, r->tgt.len);
		if (r->tmp.len == 0) {
			b_del(r, name);
			break;
		}
		b_set(r, name, keep_str(r, r->tmp.p, r->tmp.len));
		break;
	case A_LOWERCASE:
	case A_UPPERCASE:
		r->tmp.len = 0;
		if (ru->action == A_UPPERCASE)
			case_upper(&r->tmp, r->val.p, r->val.len);
		else
			case_lower(&r->tmp, r->val.p, r->val.len);
		b_set(r, tl, keep_str(r, r->tmp.p, r->tmp.len));
		break;
	case A_HASHMOD:
		if (hashmod(r, ru, &value) < 0)
			break;
		b_set(r, tl, value);
		break;
	case A_LABELMAP:
		n = b_snapshot(r);
		for (i = 0; i < n; i++) {
			struct label l = r->snap[i];

			if (!re_match(ru->re, l.name.p, l.name.n))
				continue;
			r->tgt.len = 0;
			re_tmpl_replace_all(ru->re, l.name.p, l.name.n,
			    &ru->repl, &r->tgt);
			if (!label_name_ok(r->tgt.p, r->tgt.len)) {
				warn_name(ru, r->tgt.p, r->tgt.len);
				continue;
			}
			b_set(r, keep_str(r, r->tgt.p, r->tgt.len), l.value);
		}
		break;
	case A_LABELDROP:
	case A_LABELKEEP:
		n = b_snapshot(r);
		for (i = 0; i < n; i++) {
			int m = re_match(ru->re, r->snap[i].name.p,
			    r->snap[i].name.n);

			if (m == (ru->action == A_LABELDROP))
				b_del(r, r->snap[i].name);
		}
		break;
	}
	return 1;
}

int
relabel_apply(struct relabel *r, const struct label *in, size_t nin,
    const struct label **out, size_t *nout)
{
	struct label *l;
	size_t i, k;

	blk_reset(r);
	r->base = grow(r->base, &r->capbase, nin + r->nextra + 1,
	    sizeof(*r->base));
	r->nbase = 0;
	/* EXTRA_LABELS win over the entry's own (model.LabelSet.Merge) */
	for (i = 0; i < nin; i++)
		if (in_add(r->extra, r->nextra, in[i].name) == NULL)
			r->base[r->nbase++] = in[i];
	for (i = 0; i < r->nextra; i++)
		r->base[r->nbase++] = r->extra[i];
	for (i = k = 0; i < r->nbase; i++)
		if (!in_del(r->drop, r->ndrop, r->base[i].name))
			r->base[k++] = r->base[i];
	r->nbase = k;
	labels_sort(r->base, r->nbase);
	r->nadd = r->ndel = 0;
	for (i = 0; i < r->nrules; i++) {
		struct rule *ru = &r->rules[i];
		uint64_t e0 = re_errors(ru->re);
		int keep = rule_apply(r, ru);

		if (re_errors(ru->re) != e0 && !ru->err_warned)
			ru->err_warned = ru->err_pending = 1;
		if (!keep)
			return 0;
	}
	/* labels.Builder.Labels: the base as left, plus additions, sorted */
	r->res = grow(r->res, &r->capres, r->nbase + r->nadd + 1,
	    sizeof(*r->res));
	k = 0;
	for (i = 0; i < r->nbase; i++) {
		l = &r->base[i];
		if (in_del(r->del, r->ndel, l->name) ||
		    in_add(r->add, r->nadd, l->name) != NULL)
			continue;
		r->res[k++] = *l;
	}
	for (i = 0; i < r->nadd; i++)
		r->res[k++] = r->add[i];
	labels_sort(r->res, k);
	*out = r->res;
	*nout = k;
	return k > 0;
}

int
relabel_warning(struct relabel *r, size_t *rule, struct str *name)
{
	for (; r->warn_next < r->nrules; r->warn_next++) {
		struct rule *ru = &r->rules[r->warn_next];

		*rule = r->warn_next + 1;
		if (ru->err_pending) {
			ru->err_pending = 0;
			name->p = "";
			name->n = 0;
			return 2;
		}
		if (!ru->warn_pending)
			continue;
		ru->warn_pending = 0;
		name->p = ru->warn_name.p ? ru->warn_name.p : "";
		name->n = ru->warn_name.len;
		return 1;
	}
	r->warn_next = 0;
	return 0;
}

size_t
relabel_nrules(const struct relabel *r)
{
	return r->nrules;
}

/* ------------------------------------------------------------ loading */

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* EXTRA_LABELS, as lambda-promtail's parseExtraLabels. */
static int
load_extra(struct relabel *r, const char *s, int omit, char *err,
    size_t errlen)
{
	const char *pre = omit ? "" : "__extra_";
	size_t n = strlen(s), items = 1, i, k, pl = strlen(pre);
	const char *p = s, *e = s + n, *c, *item[2];
	size_t len[2];
	char *m;

	for (i = 0; i < n; i++)
		items += s[i] == ',';
	if (items % 2 != 0)
		return fail(err, errlen, "EXTRA_LABELS: expected a comma "
		    "separated list with an even number of entries, got %zu",
		    items);
	if (utf8_valid_prefix(s, n) != n)
		return fail(err, errlen, "EXTRA_LABELS: invalid UTF-8");
	r->extra = xcalloc(items / 2 + 1, sizeof(*r->extra));
	/* names (prefixed) and values, each NUL-terminated */
	m = r->extra_mem = xmalloc(n + items * (pl + 1) + 1);
	while (p <= e) {
		struct label l;

		for (i = 0; i < 2; i++) {
			c = memchr(p, ',', (size_t)(e - p));
			if (c == NULL)
				c = e;
			item[i] = p;
			len[i] = (size_t)(c - p);
			p = c + 1;
		}
		l.name.p = m;
		memcpy(m, pre, pl);
		memcpy(m + pl, item[0], len[0]);
		l.name.n = pl + len[0];
		m += l.name.n;
		*m++ = '\0';
		if (!label_name_ok(l.name.p, l.name.n))
			return fail(err, errlen, "EXTRA_LABELS: invalid "
			    "name \"%.*s\"", (int)l.name.n, l.name.p);
		l.value.p = m;
		memcpy(m, item[1], len[1]);
		l.value.n = len[1];
		m += len[1];
		*m++ = '\0';
		/* a repeated name: the last value wins (a Go map) */
		for (k = 0; k < r->nextra; k++)
			if (streq(r->extra[k].name, l.name.p, l.name.n))
				break;
		r->extra[k] = l;
		if (k == r->nextra)
			r->nextra++;
	}
	return 0;
}

static int
load_drop(struct relabel *r, const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s), i, items = 1;
	char *p, *c, *e;

	for (i = 0; i < n; i++)
		items += s[i] == ',';
	r->drop = xcalloc(items, sizeof(*r->drop));
	p = r->drop_mem = xstrndup(s, n);
	e = p + n;
	for (;;) {
		c = memchr(p, ',', (size_t)(e - p));
		if (c == NULL)
			c = e;
		if (!label_name_ok(p, (size_t)(c - p)))
			return fail(err, errlen, "DROP_LABELS: invalid label "
			    "name \"%.*s\"", (int)(c - p), p);
		r->drop[r->ndrop].p = p;
		r->drop[r->ndrop++].n = (size_t)(c - p);
		if (c == e)
			break;
		p = c + 1;
	}
	return 0;
}

/* Case-insensitive key match, as Go's encoding/json does. */
static int
key_is(const char *k, const char *want)
{
	for (; *k && *want; k++, want++) {
		char a = *k, b = *want;

		if (a >= 'A' && a <= 'Z')
			a += 32;
		if (a != b)
			return 0;
	}
	return *k == *want;
}

/* A string field: 1 set (owned copy in *out), 0 absent/null/empty, -1. */
static int
jstr(jv v, const char *field, char **out, size_t *len, char *err,
    size_t errlen)
{
	int n;

	if (jv_get_kind(v) == JV_KIND_NULL)
		return 0;
	if (jv_get_kind(v) != JV_KIND_STRING)
		return fail(err, errlen, "'%s' must be a string", field);
	n = jv_string_length_bytes(jv_copy(v));
	if (n == 0)
		return 0;
	free(*out);
	*out = xstrndup(jv_string_value(v), (size_t)n);
	*len = (size_t)n;
	return 1;
}

static int
action_of(const char *s)
{
	int i;

	for (i = 1; action_names[i] != NULL; i++)
		if (strcmp(s, action_names[i]) == 0)
			return i;
	return 0;
}

/* One element of RELABEL_CONFIGS: fields as lambda-promtail reads them
 * (an empty string is the default), then Prometheus' Validate. */
static int
load_rule(struct rule *ru, jv o, char *err, size_t errlen)
{
	char *regex = NULL, *action = NULL, *target = NULL, *repl = NULL;
	size_t regexlen = 0, actionlen = 0, targetlen = 0, repllen = 0, i;
	int it, rc = -1, a, tvar;
	char rerr[200];
	struct buf anch = { 0 };

	ru->sep = xstrdup(";");
	ru->seplen = 1;
	for (it = jv_object_iter(o); jv_object_iter_valid(o, it);
	    it = jv_object_iter_next(o, it)) {
		jv k = jv_object_iter_key(o, it);
		jv v = jv_object_iter_value(o, it);
		const char *ks = jv_string_value(k);
		int r = 0;

		if (key_is(ks, "source_labels")) {
			if (jv_get_kind(v) == JV_KIND_ARRAY) {
				int na = jv_array_length(jv_copy(v));

				for (i = 0; i < ru->nsrc; i++)
					free((char *)ru->src[i].p);
				free(ru->src);
				ru->src = xcalloc((size_t)na + 1,
				    sizeof(*ru->src));
				ru->nsrc = 0;
				for (int j = 0; j < na && r == 0; j++) {
					jv e = jv_array_get(jv_copy(v), j);
					char *s = NULL;
					size_t sl = 0;

					if (jstr(e, "source_labels", &s, &sl,
					    err, errlen) < 0)
						r = -1;
					ru->src[ru->nsrc].p = s ? s :
					    xstrdup("");
					ru->src[ru->nsrc++].n = sl;
					jv_free(e);
				}
				ru->src_set = na > 0;
			} else if (jv_get_kind(v) != JV_KIND_NULL)
				r = fail(err, errlen, "'source_labels' must "
				    "be an array of strings");
		} else if (key_is(ks, "separator")) {
			r = jstr(v, "separator", &ru->sep, &ru->seplen, err,
			    errlen);
		} else if (key_is(ks, "regex")) {
			r = jstr(v, "regex", &regex, &regexlen, err, errlen);
		} else if (key_is(ks, "target_label")) {
			r = jstr(v, "target_label", &target, &targetlen, err,
			    errlen);
		} else if (key_is(ks, "replacement")) {
			r = jstr(v, "replacement", &repl, &repllen, err,
			    errlen);
		} else if (key_is(ks, "action")) {
			r = jstr(v, "action", &action, &actionlen, err,
			    errlen);
		} else if (key_is(ks, "modulus")) {
			double d;

			if (jv_get_kind(v) == JV_KIND_NUMBER) {
				d = jv_number_value(v);
				if (d < 0 || d >= 18446744073709551616.0 ||
				    d != (double)(uint64_t)d)
					r = fail(err, errlen, "'modulus' must "
					    "be a whole number >= 0");
				else
					ru->modulus = (uint64_t)d;
			} else if (jv_get_kind(v) != JV_KIND_NULL)
				r = fail(err, errlen, "'modulus' must be a "
				    "number");
		}
		jv_free(k);
		jv_free(v);
		if (r < 0)
			goto out;
	}
	a = action ? action_of(action) : A_REPLACE;
	if (a == 0) {
		fail(err, errlen, "unknown relabel action \"%s\"", action);
		goto out;
	}
	ru->action = a;
	ru->re_default = regex == NULL;
	buf_puts(&anch, "^(?s:");
	if (regex != NULL)
		buf_put(&anch, regex, regexlen);
	else
		buf_puts(&anch, "(.*)");
	buf_puts(&anch, ")$");
	ru->re = re_compile(anch.p, anch.len, rerr, sizeof(rerr));
	if (ru->re == NULL) {
		fail(err, errlen, "invalid regex \"%s\": error parsing "
		    "regexp: %s", regex ? regex : "", rerr);
		goto out;
	}
	re_tmpl_parse(&ru->target, ru->re, target ? target : "", targetlen);
	re_tmpl_parse(&ru->repl, ru->re, repl ? repl : "$1",
	    repl ? repllen : 2);
	tvar = ru->target.has_var;

	/* Prometheus' Config.Validate */
	if (a == A_HASHMOD && ru->modulus == 0) {
		fail(err, errlen, "relabel configuration for hashmod "
		    "requires non-zero modulus");
		goto out;
	}
	if ((a == A_REPLACE || a == A_HASHMOD || a == A_LOWERCASE ||
	    a == A_UPPERCASE || a == A_KEEPEQUAL || a == A_DROPEQUAL) &&
	    target == NULL) {
		fail(err, errlen, "relabel configuration for %s action "
		    "requires 'target_label' value", action_names[a]);
		goto out;
	}
	/*
	 * Prometheus 3 accepts any UTF-8 name here; Loki takes only
	 * [a-zA-Z_][a-zA-Z0-9_]*, so a fixed target must be one of those.
	 */
	if (target != NULL && !(a == A_REPLACE && tvar) &&
	    (a == A_REPLACE || a == A_HASHMOD || a == A_LOWERCASE ||
	    a == A_UPPERCASE || a == A_KEEPEQUAL || a == A_DROPEQUAL) &&
	    !label_name_ok(target, targetlen)) {
		fail(err, errlen, "\"%s\" is invalid 'target_label' for %s "
		    "action", target, action_names[a]);
		goto out;
	}
	if ((a == A_LOWERCASE || a == A_UPPERCASE || a == A_KEEPEQUAL ||
	    a == A_DROPEQUAL) && repl != NULL && strcmp(repl, "$1") != 0) {
		fail(err, errlen, "'replacement' can not be set for %s "
		    "action", action_names[a]);
		goto out;
	}
	if ((a == A_DROPEQUAL || a == A_KEEPEQUAL) && (regex != NULL ||
	    ru->modulus != 0 || strcmp(ru->sep, ";") != 0)) {
		fail(err, errlen, "%s action requires only 'source_labels' "
		    "and `target_label`, and no other fields",
		    action_names[a]);
		goto out;
	}
	if ((a == A_LABELDROP || a == A_LABELKEEP) && (ru->src_set ||
	    target != NULL || ru->modulus != 0 ||
	    strcmp(ru->sep, ";") != 0 ||
	    (repl != NULL && strcmp(repl, "$1") != 0))) {
		fail(err, errlen, "%s action requires only 'regex', and no "
		    "other fields", action_names[a]);
		goto out;
	}
	rc = 0;
out:
	free(regex);
	free(action);
	free(target);
	free(repl);
	buf_free(&anch);
	return rc;
}

static int
load_rules(struct relabel *r, const struct relabel_conf *c, char *err,
    size_t errlen)
{
	jv a, msg;
	int n, i, rc = 0;
	char rerr[400];

	const char *from = c->rules_from ? c->rules_from : "RELABEL_CONFIGS";

	if (c->rules_len > 0x7fffffff)
		return fail(err, errlen, "%s: too long", from);
	a = jv_parse_sized(c->rules, (int)c->rules_len);
	if (!jv_is_valid(a)) {
		msg = jv_invalid_get_msg(a);
		rc = fail(err, errlen, "%s: invalid JSON: %s", from,
		    jv_get_kind(msg) == JV_KIND_STRING ?
		    jv_string_value(msg) : "parse error");
		jv_free(msg);
		return rc;
	}
	if (jv_get_kind(a) == JV_KIND_NULL) {
		jv_free(a);
		return 0;
	}
	if (jv_get_kind(a) != JV_KIND_ARRAY) {
		jv_free(a);
		return fail(err, errlen, "%s: expected a JSON array of rules",
		    from);
	}
	n = jv_array_length(jv_copy(a));
	r->rules = xcalloc((size_t)n + 1, sizeof(*r->rules));
	for (i = 0; i < n && rc == 0; i++) {
		jv o = jv_array_get(jv_copy(a), i);

		r->nrules++;
		if (jv_get_kind(o) != JV_KIND_OBJECT)
			rc = fail(err, errlen, "%s: rule %d: expected an "
			    "object", from, i + 1);
		else if (load_rule(&r->rules[i], o, rerr, sizeof(rerr)) < 0)
			rc = fail(err, errlen, "%s: rule %d: %s",
			    from, i + 1, rerr);
		if (rc == 0 && r->rules[i].action == A_HASHMOD &&
		    r->md5 == NULL) {
			r->md5 = EVP_MD_CTX_new();
			if (r->md5 == NULL || EVP_DigestInit_ex(r->md5,
			    EVP_md5(), NULL) != 1)
				rc = fail(err, errlen, "%s: rule %d: hashmod:"
				    " MD5 is not available", from,
				    i + 1);
		}
		jv_free(o);
	}
	jv_free(a);
	return rc;
}

struct relabel *
relabel_new(const struct relabel_conf *c, char *err, size_t errlen)
{
	struct relabel *r = xcalloc(1, sizeof(*r));

	if ((c->extra != NULL && *c->extra != '\0' &&
	    load_extra(r, c->extra, c->omit_prefix, err, errlen) < 0) ||
	    (c->drop != NULL && *c->drop != '\0' &&
	    load_drop(r, c->drop, err, errlen) < 0) ||
	    (c->rules != NULL && load_rules(r, c, err, errlen) < 0)) {
		relabel_free(r);
		return NULL;
	}
	return r;
}

void
relabel_free(struct relabel *r)
{
	struct blk *b, *nx;
	size_t i, k;

	if (r == NULL)
		return;
	free(r->extra);
	free(r->extra_mem);
	free(r->drop);
	free(r->drop_mem);
	for (i = 0; i < r->nrules; i++) {
		struct rule *ru = &r->rules[i];

		for (k = 0; k < ru->nsrc; k++)
			free((char *)ru->src[k].p);
		free(ru->src);
		free(ru->sep);
		re_free(ru->re);
		re_tmpl_free(&ru->target);
		re_tmpl_free(&ru->repl);
		buf_free(&ru->warn_name);
	}
	free(r->rules);
	free(r->base);
	free(r->add);
	free(r->snap);
	free(r->del);
	free(r->res);
	buf_free(&r->val);
	buf_free(&r->tmp);
	buf_free(&r->tgt);
	for (b = r->blk; b != NULL; b = nx) {
		nx = b->next;
		free(b);
	}
	EVP_MD_CTX_free(r->md5);
	free(r);
}
