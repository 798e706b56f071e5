/*
 * lstage.c: Promtail's pipeline stages and jq programs on one entry.
 *
 * Each entry carries, as in Promtail, an extracted map (name -> string,
 * number, bool or null), initialised from its labels the way
 * lambda-promtail does. Stages read and write the map, the labels, the
 * line, the timestamp and the structured metadata; a drop stage ends the
 * entry. Everything is compiled once by lstage_new(); per entry, the map,
 * the label and metadata arrays and their buffers are reused.
 */
#include <jq.h>
#include <jv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gocompat.h"
#include "goregex.h"
#include "json.h"
#include "labels.h"
#include "lstage.h"

/* --- the entry and its extracted map -------------------------------- */

enum { X_NONE, X_STR, X_NUM, X_BOOL, X_NULL };

struct xval {
	struct buf	 key;
	int		 kind;
	struct buf	 s;	/* X_STR */
	double		 num;	/* X_NUM; X_BOOL: 0 or 1 */
};

struct kv {
	struct buf	 name;
	struct buf	 value;
};

struct ent {
	uint64_t	 ts;
	struct kv	*lab;
	size_t		 nlab, labcap;
	struct buf	 line;
	struct kv	*meta;
	size_t		 nmeta, metacap;
};

/* --- templates (a subset of Go's text/template) --------------------- */

enum { V_NONE, V_STR, V_INT, V_BOOL };

struct tval {
	int		 kind;
	const char	*p;
	size_t		 n;
	long long	 i;
};

struct targ {
	int		 kind;		/* A_FIELD, A_STR, A_INT */
	char		*s;
	size_t		 n;
	long long	 i;
};

enum { A_FIELD = 1, A_STR, A_INT };

struct tcmd {
	int		 fn;		/* -1: a lone operand */
	struct targ	*args;
	size_t		 nargs;
	struct re	*re;		/* regexReplaceAll* */
};

enum { N_TEXT = 1, N_ACT, N_IF, N_ELSE, N_ELSEIF, N_END };

struct tnode {
	int		 kind;
	char		*text;		/* N_TEXT */
	size_t		 n;
	struct tcmd	*cmds;		/* the pipeline (N_IF: condition) */
	size_t		 ncmds;
	struct tmpl	*then, *els;	/* N_IF */
};

struct tmpl {
	struct tnode	*nodes;
	size_t		 nn;
};

/* --- stages --------------------------------------------------------- */

enum {
	S_JSON = 1, S_REGEX, S_LOGFMT, S_LABELS, S_SMETA, S_STATIC,
	S_LABELDROP, S_LABELALLOW, S_OUTPUT, S_TIMESTAMP, S_DROP, S_REPLACE,
	S_TEMPLATE, S_MATCH, S_TENANT, S_DECOLORIZE, S_PACK, S_SAMPLING,
	S_MULTILINE, S_LIMIT, S_DOCKER, S_JQ
};

static const struct {
	const char	*name;
	int		 type;
} stage_names[] = {
	{ "json", S_JSON }, { "regex", S_REGEX }, { "logfmt", S_LOGFMT },
	{ "labels", S_LABELS }, { "structured_metadata", S_SMETA },
	{ "non_indexed_labels", S_SMETA }, { "static_labels", S_STATIC },
	{ "labeldrop", S_LABELDROP }, { "labelallow", S_LABELALLOW },
	{ "output", S_OUTPUT }, { "timestamp", S_TIMESTAMP },
	{ "drop", S_DROP }, { "replace", S_REPLACE },
	{ "template", S_TEMPLATE }, { "match", S_MATCH },
	{ "tenant", S_TENANT }, { "decolorize", S_DECOLORIZE },
	{ "pack", S_PACK }, { "sampling", S_SAMPLING },
	{ "multiline", S_MULTILINE }, { "limit", S_LIMIT },
	{ "docker", S_DOCKER },
};

#define JSON_DEPTH	16	/* paths the scanner follows */

struct jseg {
	char		*key;		/* NULL: an index */
	size_t		 klen;
	long		 idx;
};

struct jpath {
	struct jseg	*seg;
	size_t		 nseg;
};

struct matcher {
	char		*name;
	char		*value;
	int		 op;		/* '=', '!', '~' (=~), '^' (!~) */
	struct re	*re;
};

struct lfilter {
	int		 op;		/* '|' |=, '!' !=, '~' |~, '^' !~ */
	char		*text;
	size_t		 n;
	struct re	*re;
};

/* golang.org/x/time/rate's Limiter: a bucket of burst tokens. */
struct bucket {
	uint64_t	 key;		/* by_label_name: hash of the value */
	double		 tokens;
	double		 last;		/* monotonic seconds */
};

struct fudge {
	uint64_t	*key;
	int64_t		*val;
	size_t		 cap, n;
};

struct step {
	int		 type;
	char		*source;
	char		**names;	/* json, logfmt, labels ...: targets */
	char		**srcs;		/* their sources (or values) */
	size_t		 n;
	struct jpath	*paths;
	int		 simple;	/* json: every path is one field */
	struct xval	*pend;		/* json: values found by the scanner */
	uint32_t	*cand;		/* json: expressions, per depth */
	int		 drop_malformed;
	struct re	*re;
	struct buf	 rtmpl;		/* regex: ${n1}\xff${n2}... */
	struct gotime	**tf;
	size_t		 ntf;
	int		 fudge;
	struct fudge	 fud;
	int		 has_longer, has_older;
	uint64_t	 boundary, rng;	/* sampling */
	double		 rate, burst;	/* limit */
	struct bucket	*bk;		/* limit: one, or by label value */
	size_t		 bkcap, nbk, maxbk;
	uint64_t	 longer;
	int64_t		 older;
	char		*sep;
	char		*reason;
	char		*value;		/* tenant */
	char		*label;		/* tenant */
	struct tmpl	*tmpl;
	struct matcher	*m;
	size_t		 nm;
	struct lfilter	*lf;
	size_t		 nlf;
	int		 drop_action;
	struct step	*sub;
	size_t		 nsub;
	jq_state	*jq;
	uint64_t	 dropped;
};

struct lstage {
	struct step	*st;
	size_t		 nst;
	struct step	*jq;
	size_t		 njq;
	struct ent	 e;
	struct xval	*x;
	size_t		 nx, xcap;
	struct buf	 t1, t2, t3;	/* scratch */
	struct buf	 tr[2];		/* template results */
	struct ent	*jqent;		/* one per jq program */
	struct label	*ol, *om;	/* emitted arrays */
	size_t		 olcap, omcap;
	int64_t		 now;
	char		 err[512];
	struct buf	 jqerr;
};

/* --- small helpers -------------------------------------------------- */

static void
setbuf_(struct buf *b, const char *p, size_t n)
{
	b->len = 0;
	buf_put(b, p, n);
}

static int
beq(const struct buf *b, const char *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->p, p, n) == 0);
}

static struct xval *
x_get(struct lstage *ls, const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < ls->nx; i++)
		if (beq(&ls->x[i].key, k, n))
			return &ls->x[i];
	return NULL;
}

static struct xval *
x_set(struct lstage *ls, const char *k, size_t n, int kind)
{
	struct xval *v = x_get(ls, k, n);

	if (v == NULL) {
		if (ls->nx == ls->xcap) {
			size_t c = ls->xcap ? ls->xcap * 2 : 16;

			ls->x = xrealloc(ls->x, c * sizeof(*ls->x));
			memset(ls->x + ls->xcap, 0,
			    (c - ls->xcap) * sizeof(*ls->x));
			ls->xcap = c;
		}
		v = &ls->x[ls->nx++];
		setbuf_(&v->key, k, n);
	}
	v->kind = kind;
	v->s.len = 0;
	return v;
}

static void
x_setstr(struct lstage *ls, const char *k, const char *p, size_t n)
{
	struct xval *v = x_set(ls, k, strlen(k), X_STR);

	buf_put(&v->s, p, n);
}

static void
x_del(struct lstage *ls, const char *k)
{
	struct xval *v = x_get(ls, k, strlen(k)), t;

	if (v == NULL)
		return;
	/* swap with the last; keep the buffers for reuse */
	t = *v;
	*v = ls->x[ls->nx - 1];
	ls->x[ls->nx - 1] = t;
	ls->nx--;
}

/* Promtail's getString: 0 and the text appended to out, or -1 (null). */
static int
x_string(const struct xval *v, struct buf *out)
{
	switch (v->kind) {
	case X_STR:
		buf_put(out, v->s.p, v->s.len);
		return 0;
	case X_NUM:
		go_float(out, v->num);
		return 0;
	case X_BOOL:
		buf_puts(out, v->num != 0 ? "true" : "false");
		return 0;
	}
	return -1;
}

static struct kv *
kv_find(struct kv *a, size_t n, const char *name, size_t nl)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (beq(&a[i].name, name, nl))
			return &a[i];
	return NULL;
}

static void
kv_set(struct kv **a, size_t *n, size_t *cap, const char *name, size_t nl,
    const char *v, size_t vl)
{
	struct kv *k = kv_find(*a, *n, name, nl);

	if (k == NULL) {
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 16;

			*a = xrealloc(*a, c * sizeof(**a));
			memset(*a + *cap, 0, (c - *cap) * sizeof(**a));
			*cap = c;
		}
		k = &(*a)[(*n)++];
		setbuf_(&k->name, name, nl);
	}
	setbuf_(&k->value, v, vl);
}

static void
kv_del_at(struct kv *a, size_t *n, size_t i)
{
	struct kv t = a[i];

	memmove(a + i, a + i + 1, (*n - i - 1) * sizeof(*a));
	a[*n - 1] = t;
	(*n)--;
}

static void
kv_free(struct kv *a, size_t cap)
{
	size_t i;

	for (i = 0; i < cap; i++) {
		buf_free(&a[i].name);
		buf_free(&a[i].value);
	}
	free(a);
}

static void
ent_free(struct ent *e)
{
	kv_free(e->lab, e->labcap);
	kv_free(e->meta, e->metacap);
	buf_free(&e->line);
}

static int
contains(const char *h, size_t hn, const char *nd, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	for (i = 0; i + n <= hn; i++)
		if (h[i] == nd[0] && memcmp(h + i, nd, n) == 0)
			return 1;
	return 0;
}

/* Valid UTF-8, as Prometheus' LabelValue.IsValid. */
static int
utf8_ok(const char *p, size_t n)
{
	return n == 0 || utf8_valid_prefix(p, n) == n;
}

/* --- configuration -------------------------------------------------- */

struct cfg {
	char		*err;
	size_t		 errlen;
	char		 where[96];
};

static int
cerr(struct cfg *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
cerr(struct cfg *c, const char *fmt, ...)
{
	char m[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "LOKI_STAGE_CONFIGS: %s: %s", c->where,
	    m);
	return -1;
}

static const char *
kind_name(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: return "null";
	case JV_KIND_TRUE: case JV_KIND_FALSE: return "bool";
	case JV_KIND_NUMBER: return "number";
	case JV_KIND_STRING: return "string";
	case JV_KIND_ARRAY: return "array";
	case JV_KIND_OBJECT: return "object";
	default: return "invalid";
	}
}

/*
 * A string option. weak: numbers and bools are converted as
 * mapstructure.WeakDecode does. null leaves *out NULL. 0 or -1.
 */
static int
opt_str(struct cfg *c, jv v, const char *opt, int weak, char **out)
{
	struct buf b = { 0 };

	free(*out);
	*out = NULL;
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		return 0;
	case JV_KIND_STRING:
		*out = xstrdup(jv_string_value(v));
		return 0;
	case JV_KIND_NUMBER:
		if (!weak)
			break;
		go_float(&b, jv_number_value(v));
		*out = xstrdup(buf_cstr(&b));
		buf_free(&b);
		return 0;
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		if (!weak)
			break;
		*out = xstrdup(jv_get_kind(v) == JV_KIND_TRUE ? "1" : "0");
		return 0;
	default:
		break;
	}
	return cerr(c, "option %s: expected a string, got %s", opt,
	    kind_name(v));
}

static int
opt_bool(struct cfg *c, jv v, const char *opt, int *out)
{
	if (jv_get_kind(v) == JV_KIND_TRUE)
		*out = 1;
	else if (jv_get_kind(v) == JV_KIND_FALSE ||
	    jv_get_kind(v) == JV_KIND_NULL)
		*out = 0;
	else
		return cerr(c, "option %s: expected a bool, got %s", opt,
		    kind_name(v));
	return 0;
}

/* An object of name -> string or null: names[] and srcs[] (NULL for
 * null). */
static int
opt_map(struct cfg *c, jv v, const char *opt, struct step *s)
{
	int it;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return cerr(c, "%s: expected an object, got %s", opt,
		    kind_name(v));
	s->n = 0;
	s->names = xcalloc((size_t)jv_object_length(jv_copy(v)) + 1,
	    sizeof(char *));
	s->srcs = xcalloc((size_t)jv_object_length(jv_copy(v)) + 1,
	    sizeof(char *));
	for (it = jv_object_iter(v); jv_object_iter_valid(v, it);
	    it = jv_object_iter_next(v, it)) {
		jv k = jv_object_iter_key(v, it);
		jv val = jv_object_iter_value(v, it);
		int rc;

		s->names[s->n] = xstrdup(jv_string_value(k));
		rc = opt_str(c, val, jv_string_value(k), 0, &s->srcs[s->n]);
		s->n++;
		jv_free(k);
		jv_free(val);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
opt_strlist(struct cfg *c, jv v, const char *opt, struct step *s)
{
	int i, n;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		s->names = xcalloc(1, sizeof(char *));
		s->names[0] = xstrdup(jv_string_value(v));
		s->n = 1;
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_ARRAY)
		return cerr(c, "%s: expected a list of strings, got %s", opt,
		    kind_name(v));
	n = jv_array_length(jv_copy(v));
	s->names = xcalloc((size_t)n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(v), i);

		if (jv_get_kind(e) != JV_KIND_STRING) {
			jv_free(e);
			return cerr(c, "%s: expected a list of strings", opt);
		}
		s->names[s->n++] = xstrdup(jv_string_value(e));
		jv_free(e);
	}
	return 0;
}

/* A JMESPath expression, the subset that names fields: a.b, "a-b".c,
 * a[0], [1].b. */
static int
jmes_compile(struct cfg *c, const char *x, struct jpath *p)
{
	const char *s = x;
	size_t cap = 0;
	int need = 1;		/* a field or index is expected */

	p->seg = NULL;
	p->nseg = 0;
	for (;;) {
		struct jseg g = { NULL, 0, 0 };

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (*s == '\0')
			break;
		if (*s == '[') {
			char *end;
			long v;

			s++;
			while (*s == ' ')
				s++;
			if (!((*s >= '0' && *s <= '9') || (*s == '-' &&
			    s[1] >= '0' && s[1] <= '9')))
				goto bad;
			v = strtol(s, &end, 10);
			s = end;
			while (*s == ' ')
				s++;
			if (*s != ']')
				goto bad;
			s++;
			g.idx = v;
		} else if (need && *s == '"') {
			struct buf k = { 0 };
			jv j;
			const char *q = s + 1;

			while (*q != '\0' && *q != '"')
				q += (*q == '\\' && q[1] != '\0') ? 2 : 1;
			if (*q != '"')
				goto bad;
			j = jv_parse_sized(s, (int)(q + 1 - s));
			if (jv_get_kind(j) != JV_KIND_STRING) {
				jv_free(j);
				goto bad;
			}
			buf_put(&k, jv_string_value(j),
			    (size_t)jv_string_length_bytes(jv_copy(j)));
			jv_free(j);
			g.klen = k.len;
			g.key = buf_cstr(&k);
			s = q + 1;
		} else if (need && ((*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || *s == '_')) {
			const char *b = s;

			while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' &&
			    *s <= 'Z') || (*s >= '0' && *s <= '9') ||
			    *s == '_')
				s++;
			g.key = xstrndup(b, (size_t)(s - b));
			g.klen = (size_t)(s - b);
		} else
			goto bad;
		if (p->nseg == cap) {
			cap = cap ? cap * 2 : 4;
			p->seg = xrealloc(p->seg, cap * sizeof(*p->seg));
		}
		p->seg[p->nseg++] = g;
		need = 0;
		while (*s == ' ')
			s++;
		if (*s == '.') {
			s++;
			need = 1;
		} else if (*s != '[' && *s != '\0')
			goto bad;
	}
	if (need)
		goto bad;
	return 0;
bad:
	return cerr(c, "expression \"%s\": not supported: lokipipe's json "
	    "stage takes JMESPath field names (plain or \"quoted\"), dots "
	    "and [N] indexes only", x);
}

static int
compile_re(struct cfg *c, const char *opt, const char *pat,
    struct re **out)
{
	char e[256];

	*out = re_compile(pat, strlen(pat), e, sizeof(e));
	if (*out == NULL)
		return cerr(c, "%s \"%s\": could not compile regular "
		    "expression: %s", opt, pat, e);
	return 0;
}

static int	tmpl_compile(struct cfg *, const char *, struct tmpl **);
static void	tmpl_free(struct tmpl *);
static int	steps_compile(struct cfg *, jv, struct step **, size_t *,
		    const char *);
static void	steps_free(struct step *, size_t);

/* Option names match as mapstructure matches them: ignoring case. */
#define OPT_IS(o, name)	(strcasecmp((o), (name)) == 0)

/* Iterates a stage's options object; calls opt() for each. */
#define FOR_OPTS(v, k, val)						\
	for (int it_ = jv_object_iter(v);				\
	    jv_object_iter_valid(v, it_) &&				\
	    (k = jv_object_iter_key(v, it_),				\
	    val = jv_object_iter_value(v, it_), 1);			\
	    it_ = jv_object_iter_next(v, it_), jv_free(k), jv_free(val))

static int
unknown_opt(struct cfg *c, const char *k)
{
	return cerr(c, "unknown option \"%s\" (not supported by lokipipe)",
	    k);
}

static int
stage_opts(struct cfg *c, struct step *s, jv v)
{
	jv k, val;
	int rc = 0;
	const char *src_opt = NULL;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return cerr(c, "expected an object of options, got %s",
		    kind_name(v));
	FOR_OPTS(v, k, val) {
		const char *o = jv_string_value(k);

		if (rc < 0)
			continue;
		if (OPT_IS(o, "source") && s->type != S_DROP) {
			if (s->type == S_LABELS || s->type == S_SMETA)
				rc = unknown_opt(c, o);
			else {
				rc = opt_str(c, val, o, 0, &s->source);
				src_opt = o;
			}
			continue;
		}
		switch (s->type) {
		case S_JSON:
			if (OPT_IS(o, "expressions"))
				rc = opt_map(c, val, o, s);
			else if (OPT_IS(o, "drop_malformed"))
				rc = opt_bool(c, val, o, &s->drop_malformed);
			else
				rc = unknown_opt(c, o);
			break;
		case S_REGEX:
		case S_REPLACE:
			if (OPT_IS(o, "expression"))
				rc = opt_str(c, val, o, 0, &s->value);
			else if (OPT_IS(o, "replace") &&
			    s->type == S_REPLACE)
				rc = opt_str(c, val, o, 0, &s->label);
			else
				rc = unknown_opt(c, o);
			break;
		case S_LOGFMT:
			if (OPT_IS(o, "mapping"))
				rc = opt_map(c, val, o, s);
			else
				rc = unknown_opt(c, o);
			break;
		case S_OUTPUT:
			rc = unknown_opt(c, o);
			break;
		case S_TEMPLATE:
			if (OPT_IS(o, "template"))
				rc = opt_str(c, val, o, 0, &s->value);
			else
				rc = unknown_opt(c, o);
			break;
		case S_TENANT:
			if (OPT_IS(o, "value"))
				rc = opt_str(c, val, o, 0, &s->value);
			else if (OPT_IS(o, "label"))
				rc = opt_str(c, val, o, 0, &s->label);
			else
				rc = unknown_opt(c, o);
			break;
		default:
			rc = unknown_opt(c, o);
		}
	}
	if (rc < 0)
		return -1;
	if (src_opt != NULL && s->source != NULL && s->source[0] == '\0')
		return cerr(c, "empty source");
	return 0;
}

static int
timestamp_opts(struct cfg *c, struct step *s, jv v)
{
	jv k, val;
	int rc = 0;
	char *format = NULL, *loc = NULL, *act = NULL, e[256];
	struct step fb = { 0 };
	size_t i;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return cerr(c, "timestamp stage config cannot be empty");
	FOR_OPTS(v, k, val) {
		const char *o = jv_string_value(k);

		if (rc < 0)
			continue;
		if (OPT_IS(o, "source"))
			rc = opt_str(c, val, o, 0, &s->source);
		else if (OPT_IS(o, "format"))
			rc = opt_str(c, val, o, 0, &format);
		else if (OPT_IS(o, "fallback_formats"))
			rc = opt_strlist(c, val, o, &fb);
		else if (OPT_IS(o, "location"))
			rc = opt_str(c, val, o, 0, &loc);
		else if (OPT_IS(o, "action_on_failure"))
			rc = opt_str(c, val, o, 0, &act);
		else
			rc = unknown_opt(c, o);
	}
	if (rc == 0 && (s->source == NULL || s->source[0] == '\0'))
		rc = cerr(c, "timestamp source value is required if timestamp "
		    "is specified");
	if (rc == 0 && (format == NULL || format[0] == '\0'))
		rc = cerr(c, "timestamp format is required");
	if (rc == 0 && act != NULL && strcmp(act, "skip") != 0 &&
	    strcmp(act, "fudge") != 0)
		rc = cerr(c, "invalid action on failure \"%s\" (supported "
		    "values are [skip fudge])", act);
	if (rc == 0) {
		s->fudge = act == NULL || strcmp(act, "fudge") == 0;
		s->tf = xcalloc(fb.n + 1, sizeof(*s->tf));
		for (i = 0; i <= fb.n && rc == 0; i++) {
			const char *f = i == 0 ? format : fb.names[i - 1];

			s->tf[i] = gotime_new(f, loc, e, sizeof(e));
			if (s->tf[i] == NULL)
				rc = cerr(c, "format \"%s\": %s", f, e);
			else
				s->ntf++;
		}
	}
	for (i = 0; i < fb.n; i++)
		free(fb.names[i]);
	free(fb.names);
	free(format);
	free(loc);
	free(act);
	return rc;
}

static int
drop_opts(struct cfg *c, struct step *s, jv v)
{
	jv k, val;
	int rc = 0, has_src = 0;
	char *expr = NULL, *value = NULL, *older = NULL, *longer = NULL;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return cerr(c, "expected an object of options, got %s",
		    kind_name(v));
	FOR_OPTS(v, k, val) {
		const char *o = jv_string_value(k);

		if (rc < 0)
			continue;
		if (OPT_IS(o, "source")) {
			if (jv_get_kind(val) != JV_KIND_NULL) {
				rc = opt_strlist(c, val, o, s);
				has_src = 1;
			}
		} else if (OPT_IS(o, "value"))
			rc = opt_str(c, val, o, 1, &value);
		else if (OPT_IS(o, "separator"))
			rc = opt_str(c, val, o, 1, &s->sep);
		else if (OPT_IS(o, "expression"))
			rc = opt_str(c, val, o, 1, &expr);
		else if (OPT_IS(o, "older_than"))
			rc = opt_str(c, val, o, 1, &older);
		else if (OPT_IS(o, "longer_than"))
			rc = opt_str(c, val, o, 1, &longer);
		else if (OPT_IS(o, "drop_counter_reason"))
			rc = opt_str(c, val, o, 1, &s->reason);
		else
			rc = unknown_opt(c, o);
	}
	if (rc < 0)
		goto out;
	if (!has_src && expr == NULL && older == NULL && longer == NULL) {
		rc = cerr(c, "drop stage config must contain at least one of "
		    "`source`, `expression`, `older_than` or `longer_than`");
		goto out;
	}
	if (s->reason == NULL || s->reason[0] == '\0') {
		free(s->reason);
		s->reason = xstrdup("drop_stage");
	}
	if (s->sep == NULL)
		s->sep = xstrdup(";");
	if (older != NULL) {
		if (go_duration(older, strlen(older), &s->older) < 0) {
			rc = cerr(c, "drop stage invalid duration, %s "
			    "cannot be converted to a duration", older);
			goto out;
		}
		s->has_older = 1;
	}
	if (value != NULL && !has_src) {
		rc = cerr(c, "drop stage config must contain `source` if "
		    "`value` is specified");
		goto out;
	}
	if (value != NULL && expr != NULL) {
		rc = cerr(c, "drop stage config error, `value` and "
		    "`expression` cannot both be defined at the same time.");
		goto out;
	}
	if (expr != NULL && (rc = compile_re(c, "expression", expr,
	    &s->re)) < 0)
		goto out;
	if (value != NULL) {
		struct buf b = { 0 };

		buf_putc(&b, '^');
		re_quote(&b, value, strlen(value));
		buf_putc(&b, '$');
		rc = compile_re(c, "value", buf_cstr(&b), &s->re);
		buf_free(&b);
		if (rc < 0)
			goto out;
	}
	if (longer != NULL) {
		if (go_bytes(longer, &s->longer) < 0) {
			rc = cerr(c, "drop stage failed to parse "
			    "longer_than to bytes: %s", longer);
			goto out;
		}
		s->has_longer = 1;
	}
	if (!has_src)
		s->n = 0;
out:
	free(expr);
	free(value);
	free(older);
	free(longer);
	return rc;
}

static int
selector_compile(struct cfg *c, struct step *s, const char *sel)
{
	const char *p = sel;
	size_t cap = 0;

#define WS()	while (*p == ' ' || *p == '\t' || *p == '\n') p++
	WS();
	if (*p != '{')
		goto bad;
	p++;
	for (;;) {
		struct matcher m = { 0 };
		const char *b;
		jv j;
		const char *q;

		WS();
		if (*p == '}' && s->nm > 0) {
			p++;
			break;
		}
		b = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_')
			p++;
		if (p == b || !label_name_ok(b, (size_t)(p - b)))
			goto bad;
		m.name = xstrndup(b, (size_t)(p - b));
		WS();
		if (p[0] == '=' && p[1] == '~') { m.op = '~'; p += 2; }
		else if (p[0] == '!' && p[1] == '~') { m.op = '^'; p += 2; }
		else if (p[0] == '!' && p[1] == '=') { m.op = '!'; p += 2; }
		else if (p[0] == '=') { m.op = '='; p++; }
		else { free(m.name); goto bad; }
		WS();
		if (*p != '"' && *p != '`') { free(m.name); goto bad; }
		if (*p == '`') {
			q = strchr(p + 1, '`');
			if (q == NULL) { free(m.name); goto bad; }
			m.value = xstrndup(p + 1, (size_t)(q - p - 1));
		} else {
			for (q = p + 1; *q != '\0' && *q != '"'; q++)
				if (*q == '\\' && q[1] != '\0')
					q++;
			if (*q != '"') { free(m.name); goto bad; }
			j = jv_parse_sized(p, (int)(q + 1 - p));
			if (jv_get_kind(j) != JV_KIND_STRING) {
				jv_free(j);
				free(m.name);
				goto bad;
			}
			m.value = xstrdup(jv_string_value(j));
			jv_free(j);
		}
		p = q + 1;
		if (m.op == '~' || m.op == '^') {
			struct buf r = { 0 };
			int rc;

			buf_puts(&r, "^(?:");
			buf_puts(&r, m.value);
			buf_puts(&r, ")$");
			rc = compile_re(c, "selector", buf_cstr(&r), &m.re);
			buf_free(&r);
			if (rc < 0) {
				free(m.name);
				free(m.value);
				return -1;
			}
		}
		if (s->nm == cap) {
			cap = cap ? cap * 2 : 4;
			s->m = xrealloc(s->m, cap * sizeof(*s->m));
		}
		s->m[s->nm++] = m;
		WS();
		if (*p == ',')
			p++;
		else if (*p != '}')
			goto bad;
	}
	cap = 0;
	for (;;) {
		struct lfilter f = { 0 };
		const char *q;
		jv j;

		WS();
		if (*p == '\0')
			break;
		if (p[0] == '|' && p[1] == '=') f.op = '|';
		else if (p[0] == '!' && p[1] == '=') f.op = '!';
		else if (p[0] == '|' && p[1] == '~') f.op = '~';
		else if (p[0] == '!' && p[1] == '~') f.op = '^';
		else goto bad;
		p += 2;
		WS();
		if (*p == '`') {
			q = strchr(p + 1, '`');
			if (q == NULL)
				goto bad;
			f.text = xstrndup(p + 1, (size_t)(q - p - 1));
			f.n = (size_t)(q - p - 1);
		} else if (*p == '"') {
			for (q = p + 1; *q != '\0' && *q != '"'; q++)
				if (*q == '\\' && q[1] != '\0')
					q++;
			if (*q != '"')
				goto bad;
			j = jv_parse_sized(p, (int)(q + 1 - p));
			if (jv_get_kind(j) != JV_KIND_STRING) {
				jv_free(j);
				goto bad;
			}
			f.n = (size_t)jv_string_length_bytes(jv_copy(j));
			f.text = xstrndup(jv_string_value(j), f.n);
			jv_free(j);
		} else
			goto bad;
		p = q + 1;
		if ((f.op == '~' || f.op == '^') && compile_re(c,
		    "line filter", f.text, &f.re) < 0) {
			free(f.text);
			return -1;
		}
		if (s->nlf == cap) {
			cap = cap ? cap * 2 : 4;
			s->lf = xrealloc(s->lf, cap * sizeof(*s->lf));
		}
		s->lf[s->nlf++] = f;
	}
#undef WS
	return 0;
bad:
	return cerr(c, "invalid selector syntax for match stage: \"%s\" "
	    "(lokipipe takes {name=\"v\", name=~\"re\", name!=\"v\", "
	    "name!~\"re\"} and |= != |~ !~ line filters)", sel);
}

static int
match_opts(struct cfg *c, struct step *s, jv v)
{
	jv k, val, stages = jv_null();
	int rc = 0;
	char *sel = NULL, *act = NULL, *pname = NULL, where[96];

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return cerr(c, "match stage config cannot be empty");
	FOR_OPTS(v, k, val) {
		const char *o = jv_string_value(k);

		if (rc < 0)
			continue;
		if (OPT_IS(o, "selector"))
			rc = opt_str(c, val, o, 0, &sel);
		else if (OPT_IS(o, "action"))
			rc = opt_str(c, val, o, 0, &act);
		else if (OPT_IS(o, "pipeline_name"))
			rc = opt_str(c, val, o, 0, &pname);
		else if (OPT_IS(o, "drop_counter_reason"))
			rc = opt_str(c, val, o, 0, &s->reason);
		else if (OPT_IS(o, "stages")) {
			jv_free(stages);
			stages = jv_copy(val);
		} else
			rc = unknown_opt(c, o);
	}
	if (rc < 0)
		goto out;
	if (pname != NULL && pname[0] == '\0') {
		rc = cerr(c, "match stage pipeline name can be omitted but "
		    "cannot be an empty string");
		goto out;
	}
	if (sel == NULL || sel[0] == '\0') {
		rc = cerr(c, "selector statement required for match stage");
		goto out;
	}
	if (act == NULL || act[0] == '\0' || strcmp(act, "keep") == 0)
		s->drop_action = 0;
	else if (strcmp(act, "drop") == 0)
		s->drop_action = 1;
	else {
		rc = cerr(c, "match stage action should be 'keep' or 'drop'");
		goto out;
	}
	{
		int has = jv_get_kind(stages) == JV_KIND_ARRAY &&
		    jv_array_length(jv_copy(stages)) > 0;

		if (!s->drop_action && !has) {
			rc = cerr(c, "match stage requires at least one "
			    "additional stage to be defined in '- stages'");
			goto out;
		}
		if (s->drop_action && has) {
			rc = cerr(c, "match stage configured to drop entries "
			    "cannot contains stages");
			goto out;
		}
	}
	rc = selector_compile(c, s, sel);
	if (rc < 0)
		goto out;
	if (s->reason == NULL || s->reason[0] == '\0') {
		free(s->reason);
		s->reason = xstrdup("match_stage");
	}
	if (!s->drop_action) {
		snprintf(where, sizeof(where), "%.80s: ", c->where);
		rc = steps_compile(c, stages, &s->sub, &s->nsub, where);
	}
out:
	jv_free(stages);
	free(sel);
	free(act);
	free(pname);
	return rc;
}

/*
 * multiline, as lambda-promtail runs it: each entry goes through the stage
 * alone (a channel of one, then closed), so no lines are ever joined; an
 * entry whose line matches firstline comes out as a new entry built from
 * its timestamp, labels, line and extracted map, without the structured
 * metadata earlier stages gave it. The options are checked as Promtail
 * does.
 */
static int
multiline_opts(struct cfg *c, struct step *s, jv v)
{
	jv k, val;
	int rc = 0;
	char *first = NULL, *wait = NULL, *lines = NULL;
	int64_t d;
	uint64_t nl;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return cerr(c, "multiline stage config must define "
		    "`firstline` regular expression");
	FOR_OPTS(v, k, val) {
		const char *o = jv_string_value(k);

		if (rc < 0)
			continue;
		if (OPT_IS(o, "firstline"))
			rc = opt_str(c, val, o, 1, &first);
		else if (OPT_IS(o, "max_wait_time"))
			rc = opt_str(c, val, o, 1, &wait);
		else if (OPT_IS(o, "max_lines"))
			rc = opt_str(c, val, o, 1, &lines);
		else
			rc = unknown_opt(c, o);
	}
	if (rc == 0 && first == NULL)
		rc = cerr(c, "multiline stage config must define `firstline` "
		    "regular expression");
	if (rc == 0)
		rc = compile_re(c, "firstline", first, &s->re);
	if (rc == 0 && wait != NULL && go_duration(wait, strlen(wait),
	    &d) < 0)
		rc = cerr(c, "multiline stage `max_wait_time` parse error: "
		    "%s", wait);
	if (rc == 0 && lines != NULL && parse_u64(lines, strlen(lines),
	    &nl) < 0)
		rc = cerr(c, "max_lines: not a count: %s", lines);
	free(first);
	free(wait);
	free(lines);
	return rc;
}

/*
 * limit: Promtail's rate limit (golang.org/x/time/rate), rate per second
 * and burst. With drop, entries over the rate are dropped; without, the
 * stage waits for a token (lambda-promtail would drop the entry once
 * PIPELINE_TIMEOUT passed; lokipipe never drops on time). by_label_name:
 * one bucket per value of that label (drop required); past
 * max_distinct_labels (at least 10000) values the buckets start over.
 */
static int
limit_opts(struct cfg *c, struct step *s, jv v)
{
	jv k, val;
	int rc = 0, drop = 0;
	char *rate = NULL, *burst = NULL, *maxd = NULL, *dr = NULL, *end;
	double b = 0, m = 0;

	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return cerr(c, "limit stage failed to parse rate or burst");
	FOR_OPTS(v, k, val) {
		const char *o = jv_string_value(k);

		if (rc < 0)
			continue;
		if (OPT_IS(o, "rate"))
			rc = opt_str(c, val, o, 1, &rate);
		else if (OPT_IS(o, "burst"))
			rc = opt_str(c, val, o, 1, &burst);
		else if (OPT_IS(o, "drop"))
			rc = opt_str(c, val, o, 1, &dr);
		else if (OPT_IS(o, "by_label_name"))
			rc = opt_str(c, val, o, 1, &s->label);
		else if (OPT_IS(o, "max_distinct_labels"))
			rc = opt_str(c, val, o, 1, &maxd);
		else
			rc = unknown_opt(c, o);
	}
	if (rc == 0 && dr != NULL) {
		if (strcmp(dr, "1") == 0 || strcasecmp(dr, "true") == 0 ||
		    strcasecmp(dr, "t") == 0)
			drop = 1;
		else if (!(strcmp(dr, "0") == 0 || strcasecmp(dr, "false") ==
		    0 || strcasecmp(dr, "f") == 0 || dr[0] == '\0'))
			rc = cerr(c, "drop: not a bool: %s", dr);
	}
	if (rc == 0) {
		s->rate = rate != NULL ? strtod(rate, &end) : 0;
		if (rate != NULL && (end == rate || *end != '\0'))
			s->rate = 0;
		b = burst != NULL ? strtod(burst, &end) : 0;
		if (burst != NULL && (end == burst || *end != '\0' ||
		    b != (double)(long)b))
			b = 0;
		m = maxd != NULL ? strtod(maxd, &end) : 0;
		if (!(s->rate > 0) || !(b > 0))
			rc = cerr(c, "limit stage failed to parse rate or "
			    "burst");
	}
	if (rc == 0 && s->label != NULL && s->label[0] != '\0' && !drop)
		rc = cerr(c, "When ratelimiting by label, drop must be true");
	if (rc == 0 && s->label != NULL && s->label[0] == '\0') {
		free(s->label);
		s->label = NULL;
	}
	free(rate);
	free(burst);
	free(maxd);
	free(dr);
	if (rc < 0)
		return rc;
	s->burst = b;
	s->drop_action = drop;
	s->maxbk = m < 10000 ? 10000 : (size_t)m;
	free(s->reason);
	s->reason = xstrdup("ratelimit_drop_stage");
	return 0;
}

static double
mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Takes a token: 1, or 0 with *wait the seconds until one is there. */
static int
bucket_take(struct bucket *b, double rate, double burst, double now,
    double *wait)
{
	double t = b->tokens + (now - b->last) * rate;

	if (t > burst)
		t = burst;
	if (t >= 1) {
		b->tokens = t - 1;
		b->last = now;
		return 1;
	}
	*wait = (1 - t) / rate;
	return 0;
}

static struct bucket *
bucket_of(struct step *s, const char *v, size_t n, double now)
{
	uint64_t key = s->label == NULL ? 1 : hash_bytes(0x5bd1e995, v, n) | 1;
	size_t i;

	if (s->bkcap == 0 || (s->label != NULL && s->nbk >= s->maxbk)) {
		/* the first bucket, or too many values: start over */
		s->bkcap = s->label == NULL ? 1 : 2 * s->maxbk;
		free(s->bk);
		s->bk = xcalloc(s->bkcap, sizeof(*s->bk));
		s->nbk = 0;
	}
	if (s->label == NULL)
		i = 0;
	else
		for (i = key % s->bkcap; s->bk[i].key != 0 &&
		    s->bk[i].key != key; i = (i + 1) % s->bkcap)
			;
	if (s->bk[i].key != key) {
		s->bk[i].key = key;
		s->bk[i].tokens = s->burst;
		s->bk[i].last = now;
		s->nbk++;
	}
	return &s->bk[i];
}

/* 1: the entry goes on; 0: dropped over the rate. */
static int
do_limit(struct step *s, struct ent *e)
{
	double now = mono_s(), wait;
	struct bucket *b;
	const char *v = NULL;
	size_t n = 0;

	if (s->label != NULL) {
		struct kv *l = kv_find(e->lab, e->nlab, s->label,
		    strlen(s->label));

		if (l == NULL)
			return 1;	/* no such label: not limited */
		v = l->value.p;
		n = l->value.len;
	}
	b = bucket_of(s, v, n, now);
	while (!bucket_take(b, s->rate, s->burst, now, &wait)) {
		struct timespec ts;

		if (s->drop_action)
			return 0;
		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9) + 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		nanosleep(&ts, NULL);
		now = mono_s();
	}
	return 1;
}

/* Promtail's sampling: keeps an entry with probability rate. */
static int
sampling_opts(struct cfg *c, struct step *s, jv v)
{
	jv k, val;
	int rc = 0;
	char *rate = NULL, *end;
	double r = 0;

	if (jv_get_kind(v) != JV_KIND_OBJECT && jv_get_kind(v) !=
	    JV_KIND_NULL)
		return cerr(c, "expected an object of options, got %s",
		    kind_name(v));
	if (jv_get_kind(v) == JV_KIND_OBJECT)
		FOR_OPTS(v, k, val) {
			const char *o = jv_string_value(k);

			if (rc < 0)
				continue;
			if (OPT_IS(o, "rate"))
				rc = opt_str(c, val, o, 1, &rate);
			else if (OPT_IS(o, "drop_counter_reason"))
				rc = opt_str(c, val, o, 1, &s->reason);
			else
				rc = unknown_opt(c, o);
		}
	if (rc == 0 && rate != NULL) {
		r = strtod(rate, &end);
		if (end == rate || *end != '\0')
			rc = cerr(c, "rate: not a number: %s", rate);
	}
	if (rc == 0 && (r < 0.0 || r > 1.0))
		rc = cerr(c, "sampling stage failed to parse rate,Sampling "
		    "Rate must be between 0.0 and 1.0, received %f", r);
	free(rate);
	if (rc < 0)
		return rc;
	if (s->reason == NULL || s->reason[0] == '\0') {
		free(s->reason);
		s->reason = xstrdup("sampling_stage");
	}
	s->boundary = (uint64_t)(9223372036854775807.0 * r);
	s->rng = (uint64_t)now_ns() | 1;	/* the generator's state */
	return 0;
}

static int
pack_opts(struct cfg *c, struct step *s, jv v)
{
	jv k, val;
	int rc = 0;

	s->fudge = 1;		/* ingest_timestamp defaults to true */
	if (jv_get_kind(v) == JV_KIND_NULL)
		return 0;
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return cerr(c, "expected an object of options, got %s",
		    kind_name(v));
	FOR_OPTS(v, k, val) {
		const char *o = jv_string_value(k);

		if (rc < 0)
			continue;
		if (OPT_IS(o, "labels"))
			rc = jv_get_kind(val) == JV_KIND_NULL ? 0 :
			    opt_strlist(c, val, o, s);
		else if (OPT_IS(o, "ingest_timestamp")) {
			char *b = NULL;

			/* mapstructure.WeakDecode: a bool, "true", 1 ... */
			if (jv_get_kind(val) == JV_KIND_NULL)
				continue;
			if (jv_get_kind(val) == JV_KIND_TRUE ||
			    jv_get_kind(val) == JV_KIND_FALSE) {
				s->fudge = jv_get_kind(val) == JV_KIND_TRUE;
				continue;
			}
			rc = opt_str(c, val, o, 1, &b);
			if (rc == 0 && (strcmp(b, "1") == 0 ||
			    strcmp(b, "true") == 0 || strcmp(b, "True") == 0 ||
			    strcmp(b, "TRUE") == 0 || strcmp(b, "t") == 0 ||
			    strcmp(b, "T") == 0))
				s->fudge = 1;
			else if (rc == 0 && (strcmp(b, "0") == 0 ||
			    strcmp(b, "false") == 0 ||
			    strcmp(b, "False") == 0 ||
			    strcmp(b, "FALSE") == 0 || strcmp(b, "f") == 0 ||
			    strcmp(b, "F") == 0 || b[0] == '\0'))
				s->fudge = 0;
			else if (rc == 0)
				rc = cerr(c, "ingest_timestamp: not a "
				    "bool: %s", b);
			free(b);
		} else
			rc = unknown_opt(c, o);
	}
	return rc;
}

/*
 * The regex stage reads its named groups with one expansion of
 * "${name1}\xff${name2}..." per entry (0xff is never in valid UTF-8, so
 * it splits the values).
 */
static int
regex_prepare(struct cfg *c, struct step *s)
{
	uint32_t g;

	for (g = 1; g <= re_ngroups(s->re); g++) {
		const char *nm = re_name(s->re, g);

		if (nm == NULL)
			continue;
		buf_puts(&s->rtmpl, "${");
		buf_puts(&s->rtmpl, nm);
		buf_puts(&s->rtmpl, "}\xff");
	}
	return 0;
}

static int
step_compile(struct cfg *c, struct step *s, const char *name, jv v)
{
	size_t i, k;
	int rc;

	for (i = 0; i < sizeof(stage_names) / sizeof(stage_names[0]); i++)
		if (strcmp(stage_names[i].name, name) == 0)
			break;
	if (i == sizeof(stage_names) / sizeof(stage_names[0]))
		return cerr(c, "unknown stage type \"%s\" (lokipipe supports "
		    "json, regex, logfmt, labels, structured_metadata, "
		    "static_labels, labeldrop, labelallow, output, timestamp, "
		    "drop, replace, template, match, tenant, decolorize, "
		    "pack, sampling, multiline, limit, docker)", name);
	s->type = stage_names[i].type;
	switch (s->type) {
	case S_TIMESTAMP:
		return timestamp_opts(c, s, v);
	case S_DROP:
		return drop_opts(c, s, v);
	case S_MATCH:
		return match_opts(c, s, v);
	case S_LABELS:
	case S_SMETA:
	case S_STATIC:
		if (jv_get_kind(v) == JV_KIND_NULL)
			return cerr(c, "%s stage config cannot be empty",
			    name);
		if (opt_map(c, v, name, s) < 0)
			return -1;
		for (i = 0; i < s->n; i++) {
			if (!label_name_ok(s->names[i], strlen(s->names[i])))
				return cerr(c, "invalid label name: %s",
				    s->names[i]);
			if (s->type != S_STATIC && (s->srcs[i] == NULL ||
			    s->srcs[i][0] == '\0')) {
				free(s->srcs[i]);
				s->srcs[i] = xstrdup(s->names[i]);
			}
		}
		return 0;
	case S_DECOLORIZE:
		/* Loki's Decolorizer: ANSI escape sequences go */
		if (jv_get_kind(v) != JV_KIND_NULL && !(jv_get_kind(v) ==
		    JV_KIND_OBJECT && jv_object_length(jv_copy(v)) == 0))
			return cerr(c, "decolorize takes no options");
		return compile_re(c, "decolorize", "[\\x{1B}\\x{9B}]"
		    "[[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?"
		    "\\x{07})|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?"
		    "[\\dA-PRZcf-ntqry=><~]))", &s->re);
	case S_PACK:
		return pack_opts(c, s, v);
	case S_SAMPLING:
		return sampling_opts(c, s, v);
	case S_MULTILINE:
		return multiline_opts(c, s, v);
	case S_LIMIT:
		return limit_opts(c, s, v);
	case S_DOCKER: {
		/* Promtail's NewDocker: these four stages */
		static const char docker[] = "[{\"json\":{\"expressions\":"
		    "{\"output\":\"log\",\"stream\":\"stream\","
		    "\"timestamp\":\"time\"}}},{\"labels\":{\"stream\":null}},"
		    "{\"timestamp\":{\"source\":\"timestamp\",\"format\":"
		    "\"RFC3339Nano\"}},{\"output\":{\"source\":\"output\"}}]";
		char where[96];
		jv sub;

		if (jv_get_kind(v) != JV_KIND_NULL && !(jv_get_kind(v) ==
		    JV_KIND_OBJECT && jv_object_length(jv_copy(v)) == 0))
			return cerr(c, "docker takes no options");
		snprintf(where, sizeof(where), "%.80s: ", c->where);
		sub = jv_parse(docker);
		rc = steps_compile(c, sub, &s->sub, &s->nsub, where);
		jv_free(sub);
		return rc;
	}
	case S_LABELDROP:
	case S_LABELALLOW:
		if (jv_get_kind(v) != JV_KIND_ARRAY ||
		    jv_array_length(jv_copy(v)) == 0)
			return cerr(c, "%s stage config cannot be empty",
			    name);
		return opt_strlist(c, v, name, s);
	}
	rc = stage_opts(c, s, v);
	if (rc < 0)
		return rc;
	switch (s->type) {
	case S_JSON:
		if (s->n == 0)
			return cerr(c, "JMES expression is required");
		s->paths = xcalloc(s->n, sizeof(*s->paths));
		s->simple = 1;
		for (i = 0; i < s->n; i++) {
			if (jmes_compile(c, s->srcs[i] != NULL &&
			    s->srcs[i][0] != '\0' ? s->srcs[i] : s->names[i],
			    &s->paths[i]) < 0)
				return -1;
			for (k = 0; k < s->paths[i].nseg; k++)
				if (s->paths[i].seg[k].key == NULL)
					s->simple = 0;
			if (s->paths[i].nseg > JSON_DEPTH)
				s->simple = 0;
		}
		s->pend = xcalloc(s->n, sizeof(*s->pend));
		/* per depth: n deeper candidates, then n leaves */
		s->cand = xcalloc(2 * s->n * (JSON_DEPTH + 2),
		    sizeof(*s->cand));
		return 0;
	case S_REGEX:
	case S_REPLACE:
		if (s->value == NULL || s->value[0] == '\0')
			return cerr(c, "expression is required");
		if (compile_re(c, "expression", s->value, &s->re) < 0)
			return -1;
		if (s->type == S_REPLACE)
			return tmpl_compile(c, s->label != NULL ?
			    s->label : "", &s->tmpl);
		return regex_prepare(c, s);
	case S_LOGFMT:
		if (s->n == 0)
			return cerr(c, "logfmt mapping is required");
		for (i = 0; i < s->n; i++)
			if (s->srcs[i] == NULL || s->srcs[i][0] == '\0') {
				free(s->srcs[i]);
				s->srcs[i] = xstrdup(s->names[i]);
			}
		return 0;
	case S_OUTPUT:
		if (s->source == NULL || s->source[0] == '\0')
			return cerr(c, "output source value is required if "
			    "output is specified");
		return 0;
	case S_TEMPLATE:
		if (s->source == NULL || s->source[0] == '\0')
			return cerr(c, "template source value is required");
		return tmpl_compile(c, s->value != NULL ? s->value : "",
		    &s->tmpl);
	case S_TENANT:
		if ((s->source != NULL) + (s->value != NULL) +
		    (s->label != NULL) != 1)
			return cerr(c, "tenant stage takes exactly one of "
			    "source, value or label");
		return 0;
	}
	return 0;
}

static int
steps_compile(struct cfg *c, jv arr, struct step **out, size_t *nout,
    const char *prefix)
{
	int i, n;
	struct step *st;

	if (jv_get_kind(arr) != JV_KIND_ARRAY) {
		snprintf(c->where, sizeof(c->where), "%s", prefix);
		return cerr(c, "expected a JSON array of stages, got %s",
		    kind_name(arr));
	}
	n = jv_array_length(jv_copy(arr));
	st = xcalloc((size_t)n + 1, sizeof(*st));
	*out = st;
	*nout = 0;
	for (i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(arr), i), k, v;
		int rc;

		snprintf(c->where, sizeof(c->where), "%sstage %d", prefix,
		    i + 1);
		if (jv_get_kind(e) != JV_KIND_OBJECT ||
		    jv_object_length(jv_copy(e)) != 1) {
			jv_free(e);
			return cerr(c, "each stage must be an object with "
			    "exactly one key, the stage name");
		}
		k = jv_object_iter_key(e, jv_object_iter(e));
		v = jv_object_iter_value(e, jv_object_iter(e));
		snprintf(c->where, sizeof(c->where), "%sstage %d (%s)",
		    prefix, i + 1, jv_string_value(k));
		(*nout)++;
		rc = step_compile(c, &st[i], jv_string_value(k), v);
		jv_free(k);
		jv_free(v);
		jv_free(e);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static void
step_free(struct step *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->names[i]);
		if (s->srcs != NULL)
			free(s->srcs[i]);
		if (s->paths != NULL) {
			size_t k;

			for (k = 0; k < s->paths[i].nseg; k++)
				free(s->paths[i].seg[k].key);
			free(s->paths[i].seg);
		}
	}
	free(s->names);
	free(s->srcs);
	free(s->paths);
	if (s->pend != NULL)
		for (i = 0; i < s->n; i++)
			buf_free(&s->pend[i].s);
	free(s->pend);
	free(s->cand);
	free(s->source);
	re_free(s->re);
	buf_free(&s->rtmpl);
	for (i = 0; i < s->ntf; i++)
		gotime_free(s->tf[i]);
	free(s->tf);
	free(s->bk);
	free(s->fud.key);
	free(s->fud.val);
	free(s->sep);
	free(s->reason);
	free(s->value);
	free(s->label);
	tmpl_free(s->tmpl);
	for (i = 0; i < s->nm; i++) {
		free(s->m[i].name);
		free(s->m[i].value);
		re_free(s->m[i].re);
	}
	free(s->m);
	for (i = 0; i < s->nlf; i++) {
		free(s->lf[i].text);
		re_free(s->lf[i].re);
	}
	free(s->lf);
	steps_free(s->sub, s->nsub);
	if (s->jq != NULL)
		jq_teardown(&s->jq);
}

static void
steps_free(struct step *st, size_t n)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < n; i++)
		step_free(&st[i]);
	free(st);
}

struct lstage *
lstage_new(const char *text, size_t n, char *err, size_t errlen)
{
	struct lstage *ls = xcalloc(1, sizeof(*ls));
	struct cfg c = { err, errlen, "" };
	jv arr;

	if (text == NULL)
		return ls;
	arr = jv_parse_sized(text, (int)n);
	if (!jv_is_valid(arr)) {
		jv m = jv_invalid_get_msg(arr);

		snprintf(err, errlen, "failed to parse LOKI_STAGE_CONFIGS: %s",
		    jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) :
		    "invalid JSON");
		jv_free(m);
		free(ls);
		return NULL;
	}
	if (steps_compile(&c, arr, &ls->st, &ls->nst, "") < 0) {
		jv_free(arr);
		lstage_free(ls);
		return NULL;
	}
	jv_free(arr);
	return ls;
}

static void
jq_err_cb(void *ctx, jv msg)
{
	struct buf *b = ctx;

	if (jv_get_kind(msg) == JV_KIND_STRING) {
		if (b->len > 0)
			buf_puts(b, "; ");
		buf_puts(b, jv_string_value(msg));
	}
	jv_free(msg);
}

int
lstage_add_jq(struct lstage *ls, const char *prog, char *err,
    size_t errlen)
{
	struct step *s;

	ls->jq = xrealloc(ls->jq, (ls->njq + 1) * sizeof(*ls->jq));
	ls->jqent = xrealloc(ls->jqent, (ls->njq + 1) * sizeof(*ls->jqent));
	memset(&ls->jqent[ls->njq], 0, sizeof(*ls->jqent));
	s = &ls->jq[ls->njq];
	memset(s, 0, sizeof(*s));
	s->type = S_JQ;
	s->jq = jq_init();
	if (s->jq == NULL) {
		snprintf(err, errlen, "jq: cannot initialise");
		return -1;
	}
	ls->njq++;
	ls->jqerr.len = 0;
	jq_set_error_cb(s->jq, jq_err_cb, &ls->jqerr);
	if (!jq_compile(s->jq, prog)) {
		snprintf(err, errlen, "jq program %zu: %s", ls->njq,
		    ls->jqerr.len ? buf_cstr(&ls->jqerr) : "does not compile");
		return -1;
	}
	return 0;
}

void
lstage_free(struct lstage *ls)
{
	size_t i;

	if (ls == NULL)
		return;
	steps_free(ls->st, ls->nst);
	for (i = 0; i < ls->njq; i++) {
		step_free(&ls->jq[i]);
		ent_free(&ls->jqent[i]);
	}
	free(ls->jq);
	free(ls->jqent);
	ent_free(&ls->e);
	for (i = 0; i < ls->xcap; i++) {
		buf_free(&ls->x[i].key);
		buf_free(&ls->x[i].s);
	}
	free(ls->x);
	buf_free(&ls->t1);
	buf_free(&ls->t2);
	buf_free(&ls->t3);
	buf_free(&ls->tr[0]);
	buf_free(&ls->tr[1]);
	buf_free(&ls->jqerr);
	free(ls->ol);
	free(ls->om);
	free(ls);
}

size_t
lstage_count(const struct lstage *ls)
{
	return ls->nst + ls->njq;
}

const char *
lstage_error(const struct lstage *ls)
{
	return ls->err;
}

static void
drops_of(const struct step *st, size_t n, void (*fn)(void *, const char *,
    uint64_t), void *ctx)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((st[i].type == S_DROP || st[i].type == S_MATCH ||
		    st[i].type == S_SAMPLING || st[i].type == S_LIMIT) &&
		    st[i].dropped > 0)
			fn(ctx, st[i].reason, st[i].dropped);
		drops_of(st[i].sub, st[i].nsub, fn, ctx);
	}
}

void
lstage_drops(const struct lstage *ls, void (*fn)(void *, const char *,
    uint64_t), void *ctx)
{
	drops_of(ls->st, ls->nst, fn, ctx);
}

/* --- templates ------------------------------------------------------ */

enum {
	F_TOLOWER, F_TOUPPER, F_TRIMSPACE, F_TRIM, F_TRIMLEFT, F_TRIMRIGHT,
	F_TRIMPREFIX, F_TRIMSUFFIX, F_REPLACE, F_RERA, F_RERAL,
	F_LOWER, F_UPPER, F_STRIM, F_SREPLACE, F_STRIMPREFIX, F_STRIMSUFFIX,
	F_STRIMALL, F_EQ, F_NE, F_LT, F_LE, F_GT, F_GE, F_NOT, F_AND, F_OR,
	F_CONTAINS, F_HASPREFIX, F_HASSUFFIX, F_DEFAULT
};

static const struct {
	const char	*name;
	const char	*args;	/* s string, i int, a any; * more of any */
} tfuncs[] = {
	[F_TOLOWER] = { "ToLower", "s" }, [F_TOUPPER] = { "ToUpper", "s" },
	[F_TRIMSPACE] = { "TrimSpace", "s" }, [F_TRIM] = { "Trim", "ss" },
	[F_TRIMLEFT] = { "TrimLeft", "ss" },
	[F_TRIMRIGHT] = { "TrimRight", "ss" },
	[F_TRIMPREFIX] = { "TrimPrefix", "ss" },
	[F_TRIMSUFFIX] = { "TrimSuffix", "ss" },
	[F_REPLACE] = { "Replace", "sssi" },
	[F_RERA] = { "regexReplaceAll", "sss" },
	[F_RERAL] = { "regexReplaceAllLiteral", "sss" },
	[F_LOWER] = { "lower", "s" }, [F_UPPER] = { "upper", "s" },
	[F_STRIM] = { "trim", "s" }, [F_SREPLACE] = { "replace", "sss" },
	[F_STRIMPREFIX] = { "trimPrefix", "ss" },
	[F_STRIMSUFFIX] = { "trimSuffix", "ss" },
	[F_STRIMALL] = { "trimAll", "ss" },
	[F_EQ] = { "eq", "aa*" }, [F_NE] = { "ne", "aa" },
	[F_LT] = { "lt", "aa" }, [F_LE] = { "le", "aa" },
	[F_GT] = { "gt", "aa" }, [F_GE] = { "ge", "aa" },
	[F_NOT] = { "not", "a" }, [F_AND] = { "and", "a*" },
	[F_OR] = { "or", "a*" }, [F_CONTAINS] = { "contains", "ss" },
	[F_HASPREFIX] = { "hasPrefix", "ss" },
	[F_HASSUFFIX] = { "hasSuffix", "ss" },
	[F_DEFAULT] = { "default", "aa" },
};

static void
tmpl_free(struct tmpl *t)
{
	size_t i, k, a;

	if (t == NULL)
		return;
	for (i = 0; i < t->nn; i++) {
		free(t->nodes[i].text);
		tmpl_free(t->nodes[i].then);
		tmpl_free(t->nodes[i].els);
		for (k = 0; k < t->nodes[i].ncmds; k++) {
			struct tcmd *cm = &t->nodes[i].cmds[k];

			for (a = 0; a < cm->nargs; a++)
				free(cm->args[a].s);
			free(cm->args);
			re_free(cm->re);
		}
		free(t->nodes[i].cmds);
	}
	free(t->nodes);
	free(t);
}

static void
tmpl_add(struct tmpl *t, size_t *cap, struct tnode *nd)
{
	if (t->nn == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		t->nodes = xrealloc(t->nodes, *cap * sizeof(*t->nodes));
	}
	t->nodes[t->nn++] = *nd;
}

/* One token of an action: returns its kind and sets *b, *e. */
static int
tok_next(const char **pp, const char *end, struct targ *a, char *why,
    size_t wl)
{
	const char *p = *pp;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	*pp = p;
	if (p >= end)
		return 0;
	memset(a, 0, sizeof(*a));
	if (*p == '|') {
		*pp = p + 1;
		return '|';
	}
	if (*p == '.') {
		const char *b = ++p;

		while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			p++;
		if (p == b || (p < end && *p == '.')) {
			snprintf(why, wl, "only .Name fields are supported");
			return -1;
		}
		a->kind = A_FIELD;
		a->s = xstrndup(b, (size_t)(p - b));
		a->n = (size_t)(p - b);
		*pp = p;
		return 'a';
	}
	if (*p == '"' || *p == '`') {
		const char *q;

		if (*p == '`') {
			q = memchr(p + 1, '`', (size_t)(end - p - 1));
			if (q == NULL)
				goto unterminated;
			a->s = xstrndup(p + 1, (size_t)(q - p - 1));
			a->n = (size_t)(q - p - 1);
		} else {
			jv j;

			for (q = p + 1; q < end && *q != '"'; q++)
				if (*q == '\\')
					q++;
			if (q >= end)
				goto unterminated;
			j = jv_parse_sized(p, (int)(q + 1 - p));
			if (jv_get_kind(j) != JV_KIND_STRING) {
				jv_free(j);
				snprintf(why, wl, "bad string literal");
				return -1;
			}
			a->n = (size_t)jv_string_length_bytes(jv_copy(j));
			a->s = xstrndup(jv_string_value(j), a->n);
			jv_free(j);
		}
		a->kind = A_STR;
		*pp = q + 1;
		return 'a';
	}
	if ((*p >= '0' && *p <= '9') || *p == '-') {
		char *e;

		a->i = strtoll(p, &e, 10);
		if (e == p || (e < end && !(*e == ' ' || *e == '|' ||
		    *e == '\t'))) {
			snprintf(why, wl, "only integer number literals are "
			    "supported");
			return -1;
		}
		a->kind = A_INT;
		*pp = e;
		return 'a';
	}
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
		const char *b = p;

		while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			p++;
		a->s = xstrndup(b, (size_t)(p - b));
		a->n = (size_t)(p - b);
		*pp = p;
		return 'f';
	}
	snprintf(why, wl, "'%c' is not supported (variables, parentheses, "
	    "comments)", *p);
	return -1;
unterminated:
	snprintf(why, wl, "unterminated string");
	return -1;
}

static int
tmpl_action(struct cfg *c, const char *src, const char *p, const char *end,
    struct tnode *nd)
{
	char why[160];
	size_t cap = 0, acap = 0;
	struct tcmd *cm = NULL;
	int k, first = 1;
	struct targ a;

	nd->text = NULL;
	nd->cmds = NULL;
	nd->ncmds = 0;
	if (nd->kind == 0)
		nd->kind = N_ACT;
	for (;;) {
		k = tok_next(&p, end, &a, why, sizeof(why));
		if (k < 0)
			goto bad;
		if (k == 0 || k == '|') {
			size_t want, have;

			if (cm == NULL) {
				snprintf(why, sizeof(why), "missing command");
				goto bad;
			}
			if (cm->fn >= 0) {
				want = strlen(tfuncs[cm->fn].args);
				have = cm->nargs + (first ? 0 : 1);
				if (tfuncs[cm->fn].args[want - 1] == '*' ?
				    have < want - 1 : want != have) {
					snprintf(why, sizeof(why), "wrong "
					    "number of args for %s: want %zu "
					    "got %zu", tfuncs[cm->fn].name,
					    want, have);
					goto bad;
				}
				if ((cm->fn == F_RERA || cm->fn == F_RERAL)) {
					char e[100];

					if (cm->nargs < 1 ||
					    cm->args[0].kind != A_STR) {
						snprintf(why, sizeof(why),
						    "%s: the pattern must "
						    "be a string literal",
						    tfuncs[cm->fn].name);
						goto bad;
					}
					cm->re = re_compile(cm->args[0].s,
					    cm->args[0].n, e, sizeof(e));
					if (cm->re == NULL) {
						snprintf(why, sizeof(why),
						    "%s: %s",
						    tfuncs[cm->fn].name, e);
						goto bad;
					}
				}
			} else if (!first) {
				snprintf(why, sizeof(why), "can't give "
				    "argument to non-function");
				goto bad;
			}
			first = 0;
			cm = NULL;
			if (k == 0)
				break;
			continue;
		}
		if (cm == NULL) {
			if (nd->ncmds == cap) {
				cap = cap ? cap * 2 : 2;
				nd->cmds = xrealloc(nd->cmds,
				    cap * sizeof(*nd->cmds));
			}
			cm = &nd->cmds[nd->ncmds++];
			memset(cm, 0, sizeof(*cm));
			acap = 0;
			if (k == 'f') {
				size_t i;

				for (i = 0; i < sizeof(tfuncs) /
				    sizeof(tfuncs[0]); i++)
					if (strcmp(tfuncs[i].name, a.s) == 0)
						break;
				if (i == sizeof(tfuncs) / sizeof(tfuncs[0])) {
					snprintf(why, sizeof(why), "function "
					    "or keyword \"%s\" is not "
					    "supported by lokipipe", a.s);
					free(a.s);
					goto bad;
				}
				free(a.s);
				cm->fn = (int)i;
				continue;
			}
			cm->fn = -1;
		} else if (k == 'f') {
			snprintf(why, sizeof(why), "\"%s\" as an argument is "
			    "not supported", a.s);
			free(a.s);
			goto bad;
		} else if (cm->fn < 0) {
			free(a.s);
			snprintf(why, sizeof(why), "can't give argument to "
			    "non-function");
			goto bad;
		}
		if (cm->nargs == acap) {
			acap = acap ? acap * 2 : 4;
			cm->args = xrealloc(cm->args, acap * sizeof(a));
		}
		cm->args[cm->nargs++] = a;
	}
	return 0;
bad:
	return cerr(c, "template \"%s\": %s", src, why);
}

/* Is the action text at a the keyword kw (followed by a space or end)? */
static int
keyword(const char *a, const char *e, const char *kw)
{
	size_t n = strlen(kw);

	return (size_t)(e - a) >= n && memcmp(a, kw, n) == 0 &&
	    ((size_t)(e - a) == n || a[n] == ' ' || a[n] == '\t' ||
	    a[n] == '\n');
}

/* Builds the tree of if/else/end from the flat list, from *i on, into t;
 * stops at else, else if or end (left at *i) or at the end. */
static int
tmpl_tree(struct cfg *c, const char *src, struct tnode *flat, size_t nf,
    size_t *i, struct tmpl *t)
{
	size_t cap = 0;

	while (*i < nf) {
		struct tnode nd = flat[*i];

		if (nd.kind == N_ELSE || nd.kind == N_ELSEIF ||
		    nd.kind == N_END)
			return 0;
		memset(&flat[*i], 0, sizeof(flat[*i]));	/* moved to nd */
		(*i)++;
		if (nd.kind == N_IF) {
			struct tnode *cur = &nd;

			for (;;) {
				int k;

				cur->then = xcalloc(1, sizeof(struct tmpl));
				if (tmpl_tree(c, src, flat, nf, i,
				    cur->then) < 0)
					goto fail;
				if (*i >= nf) {
					cerr(c, "template \"%s\": unexpected "
					    "EOF (an if without end)", src);
					goto fail;
				}
				k = flat[*i].kind;
				if (k == N_END) {
					(*i)++;
					break;
				}
				cur->els = xcalloc(1, sizeof(struct tmpl));
				if (k == N_ELSE) {
					(*i)++;
					if (tmpl_tree(c, src, flat, nf, i,
					    cur->els) < 0)
						goto fail;
					if (*i >= nf ||
					    flat[*i].kind != N_END) {
						cerr(c, "template \"%s\": "
						    "expected end after else",
						    src);
						goto fail;
					}
					(*i)++;
					break;
				}
				/* else if: an if alone in the else branch */
				cur->els->nodes = xcalloc(1,
				    sizeof(struct tnode));
				cur->els->nn = 1;
				cur->els->nodes[0] = flat[*i];
				cur->els->nodes[0].kind = N_IF;
				memset(&flat[*i], 0, sizeof(flat[*i]));
				(*i)++;
				cur = &cur->els->nodes[0];
			}
			tmpl_add(t, &cap, &nd);
			continue;
fail:
			tmpl_add(t, &cap, &nd);
			return -1;
		}
		tmpl_add(t, &cap, &nd);
	}
	return 0;
}

static int
tmpl_compile(struct cfg *c, const char *src, struct tmpl **out)
{
	struct tmpl flat = { 0 }, *t = xcalloc(1, sizeof(*t));
	const char *p = src;
	size_t cap = 0, i = 0;
	int trim_next = 0, rc = 0;

	*out = t;
	while (*p != '\0' && rc == 0) {
		const char *q = strstr(p, "{{"), *a, *e, *te;
		struct tnode nd = { 0 };

		if (trim_next)
			while (*p == ' ' || *p == '\t' || *p == '\n' ||
			    *p == '\r')
				p++;
		trim_next = 0;
		if (q == NULL)
			q = p + strlen(p);
		te = q;
		a = q + 2;
		if (*q != '\0' && a[0] == '-' && (a[1] == ' ' ||
		    a[1] == '\t' || a[1] == '\n' || a[1] == '\r')) {
			while (te > p && (te[-1] == ' ' || te[-1] == '\t' ||
			    te[-1] == '\n' || te[-1] == '\r'))
				te--;
			a += 2;
		}
		if (te > p) {
			nd.kind = N_TEXT;
			nd.text = xstrndup(p, (size_t)(te - p));
			nd.n = (size_t)(te - p);
			tmpl_add(&flat, &cap, &nd);
		}
		if (*q == '\0')
			break;
		/* the end of the action, outside string literals */
		for (e = a; *e != '\0'; e++) {
			if (*e == '"') {
				for (e++; *e != '\0' && *e != '"'; e++)
					if (*e == '\\' && e[1] != '\0')
						e++;
				if (*e == '\0')
					break;
			} else if (*e == '`') {
				const char *r = strchr(e + 1, '`');

				if (r == NULL) {
					e += strlen(e);
					break;
				}
				e = r;
			} else if (e[0] == '}' && e[1] == '}')
				break;
		}
		if (*e == '\0') {
			rc = cerr(c, "template \"%s\": unclosed action", src);
			break;
		}
		p = e + 2;
		if (e - a >= 2 && e[-1] == '-' && (e[-2] == ' ' ||
		    e[-2] == '\t' || e[-2] == '\n' || e[-2] == '\r')) {
			e--;
			trim_next = 1;
		}
		while (a < e && (*a == ' ' || *a == '\t' || *a == '\n'))
			a++;
		while (e > a && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\n'))
			e--;
		if (e - a >= 2 && a[0] == '/' && a[1] == '*')
			continue;	/* a comment */
		memset(&nd, 0, sizeof(nd));
		if (keyword(a, e, "if")) {
			nd.kind = N_IF;
			a += 2;
		} else if (keyword(a, e, "else")) {
			const char *b = a + 4;

			while (b < e && (*b == ' ' || *b == '\t'))
				b++;
			if (keyword(b, e, "if")) {
				nd.kind = N_ELSEIF;
				a = b + 2;
			} else if (b == e) {
				nd.kind = N_ELSE;
				tmpl_add(&flat, &cap, &nd);
				continue;
			} else {
				rc = cerr(c, "template \"%s\": only else and "
				    "else if are supported", src);
				break;
			}
		} else if (keyword(a, e, "end")) {
			nd.kind = N_END;
			tmpl_add(&flat, &cap, &nd);
			continue;
		} else if (keyword(a, e, "range") || keyword(a, e, "with") ||
		    keyword(a, e, "define") || keyword(a, e, "template") ||
		    keyword(a, e, "block") || keyword(a, e, "break") ||
		    keyword(a, e, "continue")) {
			rc = cerr(c, "template \"%s\": range, with, define, "
			    "template and block are not supported by "
			    "lokipipe", src);
			break;
		}
		rc = tmpl_action(c, src, a, e, &nd);
		tmpl_add(&flat, &cap, &nd);
	}
	if (rc == 0) {
		rc = tmpl_tree(c, src, flat.nodes, flat.nn, &i, t);
		if (rc == 0 && i < flat.nn)
			rc = cerr(c, "template \"%s\": unexpected %s", src,
			    flat.nodes[i].kind == N_END ? "end" : "else");
	}
	/* what the tree did not take */
	{
		struct tmpl *rest = xcalloc(1, sizeof(*rest));

		*rest = flat;
		tmpl_free(rest);
	}
	return rc;
}

/* Looks a template field up: 1 and *v, or 0 when missing. */
typedef int tlookup_fn(struct lstage *, void *, const char *, size_t,
    struct tval *);

static unsigned
rune_at(const char *s, size_t n, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k;

	if (u[0] < 0x80) {
		*len = 1;
		return u[0];
	}
	k = utf8_valid_prefix(s, n < 4 ? n : 4);
	if (u[0] >= 0xf0 && k >= 4) {
		*len = 4;
		return ((u[0] & 7u) << 18) | ((u[1] & 63u) << 12) |
		    ((u[2] & 63u) << 6) | (u[3] & 63u);
	}
	if (u[0] >= 0xe0 && u[0] < 0xf0 && k >= 3) {
		*len = 3;
		return ((u[0] & 15u) << 12) | ((u[1] & 63u) << 6) |
		    (u[2] & 63u);
	}
	if (u[0] >= 0xc0 && u[0] < 0xe0 && k >= 2) {
		*len = 2;
		return ((u[0] & 31u) << 6) | (u[1] & 63u);
	}
	*len = 1;
	return 0xfffd;
}

static int
in_cutset(unsigned r, const char *cs, size_t cn)
{
	size_t i = 0, l;

	while (i < cn) {
		if (rune_at(cs + i, cn - i, &l) == r)
			return 1;
		i += l;
	}
	return 0;
}

static int
is_space_rune(unsigned r)
{
	return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 ||
	    r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) ||
	    r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f ||
	    r == 0x3000;
}

/* strings.Trim family: which 1 left, 2 right, 3 both; cs NULL: spaces. */
static void
trim_runes(struct buf *o, const char *s, size_t n, const char *cs,
    size_t cn, int which)
{
	size_t b = 0, e = n, l;

	if (which & 1)
		while (b < e) {
			unsigned r = rune_at(s + b, e - b, &l);

			if (cs != NULL ? !in_cutset(r, cs, cn) :
			    !is_space_rune(r))
				break;
			b += l;
		}
	if (which & 2)
		while (e > b) {
			size_t st = e - 1;
			unsigned r;

			while (st > b && ((unsigned char)s[st] & 0xc0) ==
			    0x80 && e - st < 4)
				st--;
			r = rune_at(s + st, e - st, &l);
			if (st + l != e) {
				st = e - 1;
				r = 0xfffd;
			}
			if (cs != NULL ? !in_cutset(r, cs, cn) :
			    !is_space_rune(r))
				break;
			e = st;
		}
	buf_put(o, s + b, e - b);
}

/* strings.Replace(s, old, new, n). */
static void
str_replace(struct buf *o, const char *s, size_t n, const char *old,
    size_t on, const char *nw, size_t nn, long long cnt)
{
	size_t i = 0, l;
	long long done = 0;

	if (on == 0) {
		/* an empty old matches before each rune and at the end */
		while (cnt < 0 || done < cnt) {
			buf_put(o, nw, nn);
			done++;
			if (i >= n)
				break;
			rune_at(s + i, n - i, &l);
			buf_put(o, s + i, l);
			i += l;
		}
		buf_put(o, s + i, n - i);
		return;
	}
	while (i < n && (cnt < 0 || done < cnt)) {
		const char *f = NULL;
		size_t k;

		for (k = i; k + on <= n; k++)
			if (memcmp(s + k, old, on) == 0) {
				f = s + k;
				break;
			}
		if (f == NULL)
			break;
		buf_put(o, s + i, (size_t)(f - s) - i);
		buf_put(o, nw, nn);
		i = (size_t)(f - s) + on;
		done++;
	}
	buf_put(o, s + i, n - i);
}

/* Calls a template function; the result goes to o. 0 or -1. */
static int
tfunc_call(struct tcmd *cm, struct tval *v, size_t nv, struct buf *o)
{
	const char *sig = tfuncs[cm->fn].args;
	size_t i;

	for (i = 0; i < nv; i++)
		if ((sig[i] == 's' && v[i].kind != V_STR) ||
		    (sig[i] == 'i' && v[i].kind != V_INT))
			return -1;
	o->len = 0;
	switch (cm->fn) {
	case F_TOLOWER: case F_LOWER:
		case_lower(o, v[0].p, v[0].n);
		break;
	case F_TOUPPER: case F_UPPER:
		case_upper(o, v[0].p, v[0].n);
		break;
	case F_TRIMSPACE: case F_STRIM:
		trim_runes(o, v[0].p, v[0].n, NULL, 0, 3);
		break;
	case F_TRIM:
		trim_runes(o, v[0].p, v[0].n, v[1].p, v[1].n, 3);
		break;
	case F_STRIMALL:
		trim_runes(o, v[1].p, v[1].n, v[0].p, v[0].n, 3);
		break;
	case F_TRIMLEFT:
		trim_runes(o, v[0].p, v[0].n, v[1].p, v[1].n, 1);
		break;
	case F_TRIMRIGHT:
		trim_runes(o, v[0].p, v[0].n, v[1].p, v[1].n, 2);
		break;
	case F_TRIMPREFIX: case F_STRIMPREFIX: {
		const struct tval *s = cm->fn == F_TRIMPREFIX ? &v[0] : &v[1];
		const struct tval *x = cm->fn == F_TRIMPREFIX ? &v[1] : &v[0];

		if (x->n <= s->n && memcmp(s->p, x->p, x->n) == 0)
			buf_put(o, s->p + x->n, s->n - x->n);
		else
			buf_put(o, s->p, s->n);
		break;
	}
	case F_TRIMSUFFIX: case F_STRIMSUFFIX: {
		const struct tval *s = cm->fn == F_TRIMSUFFIX ? &v[0] : &v[1];
		const struct tval *x = cm->fn == F_TRIMSUFFIX ? &v[1] : &v[0];

		if (x->n <= s->n && memcmp(s->p + s->n - x->n, x->p,
		    x->n) == 0)
			buf_put(o, s->p, s->n - x->n);
		else
			buf_put(o, s->p, s->n);
		break;
	}
	case F_REPLACE:
		str_replace(o, v[0].p, v[0].n, v[1].p, v[1].n, v[2].p,
		    v[2].n, v[3].i);
		break;
	case F_SREPLACE:
		str_replace(o, v[2].p, v[2].n, v[0].p, v[0].n, v[1].p,
		    v[1].n, -1);
		break;
	case F_RERA:
	case F_RERAL:
		if (cm->fn == F_RERAL)
			re_replace_literal(cm->re, v[1].p, v[1].n, v[2].p,
			    v[2].n, o);
		else
			re_replace_all(cm->re, v[1].p, v[1].n, v[2].p,
			    v[2].n, o);
		break;
	default:
		return -1;
	}
	return 0;
}

static int
truth(const struct tval *v)
{
	switch (v->kind) {
	case V_STR: return v->n > 0;
	case V_INT: return v->i != 0;
	case V_BOOL: return v->i != 0;
	}
	return 0;
}

/* Go's eq/lt... on basic kinds: -1 (less), 0, 1, or -2 (incomparable). */
static int
tcompare(const struct tval *a, const struct tval *b)
{
	if (a->kind != b->kind || a->kind == V_NONE)
		return -2;
	if (a->kind == V_STR) {
		size_t m = a->n < b->n ? a->n : b->n;
		int c = m ? memcmp(a->p, b->p, m) : 0;

		if (c == 0)
			return a->n < b->n ? -1 : a->n > b->n;
		return c < 0 ? -1 : 1;
	}
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Runs one pipeline: 0 and *cur (its memory: fields, literals or
 * ls->tr), or -1 on an execution error. */
static int
tmpl_pipe(struct lstage *ls, struct tnode *nd, tlookup_fn *look, void *ctx,
    struct tval *cur)
{
	size_t k, a;

	memset(cur, 0, sizeof(*cur));
	for (k = 0; k < nd->ncmds; k++) {
		struct tcmd *cm = &nd->cmds[k];
		struct buf *o = &ls->tr[k & 1];
		struct tval v[10];
		size_t nv = 0;
		const char *sig;
		int c;

		for (a = 0; a < cm->nargs && nv < 9; a++) {
			struct targ *g = &cm->args[a];

			memset(&v[nv], 0, sizeof(v[nv]));
			if (g->kind == A_STR) {
				v[nv].kind = V_STR;
				v[nv].p = g->s;
				v[nv].n = g->n;
			} else if (g->kind == A_INT) {
				v[nv].kind = V_INT;
				v[nv].i = g->i;
			} else if (!look(ls, ctx, g->s, g->n, &v[nv]))
				v[nv].kind = V_NONE;
			nv++;
		}
		if (cm->fn < 0) {
			*cur = v[0];
			continue;
		}
		if (k > 0)
			v[nv++] = *cur;
		sig = tfuncs[cm->fn].args;
		for (a = 0; a < nv && sig[a] != '*'; a++)
			if ((sig[a] == 's' && v[a].kind != V_STR) ||
			    (sig[a] == 'i' && v[a].kind != V_INT))
				return -1;
		memset(cur, 0, sizeof(*cur));
		cur->kind = V_BOOL;
		switch (cm->fn) {
		case F_EQ:
			for (a = 1; a < nv; a++) {
				c = tcompare(&v[0], &v[a]);
				if (c == -2)
					return -1;
				if (c == 0)
					cur->i = 1;
			}
			continue;
		case F_NE: case F_LT: case F_LE: case F_GT: case F_GE:
			c = tcompare(&v[0], &v[1]);
			if (c == -2)
				return -1;
			cur->i = cm->fn == F_NE ? c != 0 : cm->fn == F_LT ?
			    c < 0 : cm->fn == F_LE ? c <= 0 : cm->fn == F_GT ?
			    c > 0 : c >= 0;
			continue;
		case F_NOT:
			cur->i = !truth(&v[0]);
			continue;
		case F_CONTAINS:
			cur->i = contains(v[1].p, v[1].n, v[0].p, v[0].n);
			continue;
		case F_HASPREFIX:
			cur->i = v[0].n <= v[1].n && memcmp(v[1].p, v[0].p,
			    v[0].n) == 0;
			continue;
		case F_HASSUFFIX:
			cur->i = v[0].n <= v[1].n && memcmp(v[1].p + v[1].n -
			    v[0].n, v[0].p, v[0].n) == 0;
			continue;
		case F_AND: case F_OR: case F_DEFAULT: {
			const struct tval *r = &v[nv - 1];

			if (cm->fn == F_DEFAULT)
				r = truth(&v[1]) ? &v[1] : &v[0];
			else
				for (a = 0; a < nv; a++)
					if (truth(&v[a]) == (cm->fn == F_OR)) {
						r = &v[a];
						break;
					}
			/* a copy: the argument may be the other buffer */
			*cur = *r;
			if (r->kind == V_STR) {
				setbuf_(o, r->p, r->n);
				cur->p = o->p;
			}
			continue;
		}
		}
		if (tfunc_call(cm, v, nv, o) < 0)
			return -1;
		cur->kind = V_STR;
		cur->p = o->p;
		cur->n = o->len;
	}
	return 0;
}

/*
 * Executes t into o. Returns 0, or -1 on an execution error (a missing
 * value given to a function, a type mismatch), as Go's Execute would.
 */
static int
tmpl_exec(struct lstage *ls, struct tmpl *t, tlookup_fn *look, void *ctx,
    struct buf *o)
{
	size_t i;

	for (i = 0; t != NULL && i < t->nn; i++) {
		struct tnode *nd = &t->nodes[i];
		struct tval cur;

		if (nd->kind == N_TEXT) {
			buf_put(o, nd->text, nd->n);
			continue;
		}
		if (tmpl_pipe(ls, nd, look, ctx, &cur) < 0)
			return -1;
		if (nd->kind == N_IF) {
			if (tmpl_exec(ls, truth(&cur) ? nd->then : nd->els,
			    look, ctx, o) < 0)
				return -1;
			continue;
		}
		if (cur.kind == V_NONE)
			buf_puts(o, "<no value>");
		else if (cur.kind == V_STR)
			buf_put(o, cur.p, cur.n);
		else if (cur.kind == V_INT)
			buf_puti64(o, cur.i);
		else
			buf_puts(o, cur.i ? "true" : "false");
	}
	return 0;
}

/* --- running the stages --------------------------------------------- */

/* Lookups: the extracted map as strings (values that are not, skipped). */
static int
look_x(struct lstage *ls, const char *k, size_t n, struct tval *v,
    struct buf *tmp)
{
	struct xval *x = x_get(ls, k, n);

	if (x == NULL)
		return 0;
	if (x->kind == X_STR) {
		v->kind = V_STR;
		v->p = x->s.p;
		v->n = x->s.len;
		return 1;
	}
	tmp->len = 0;
	if (x_string(x, tmp) < 0)
		return 0;
	v->kind = V_STR;
	v->p = tmp->p;
	v->n = tmp->len;
	return 1;
}

struct tctx {
	struct step	*s;
	struct ent	*e;
	const char	*value;		/* replace: the capture */
	size_t		 vn;
	struct buf	 tmp[4];
	int		 ti;
};

static int
look_template(struct lstage *ls, void *vctx, const char *k, size_t n,
    struct tval *v)
{
	struct tctx *c = vctx;
	struct buf *tmp = &c->tmp[c->ti++ & 3];

	if (n == 5 && memcmp(k, "Entry", 5) == 0) {
		v->kind = V_STR;
		v->p = c->e->line.p;
		v->n = c->e->line.len;
		return 1;
	}
	if (n == 5 && memcmp(k, "Value", 5) == 0 &&
	    look_x(ls, c->s->source, strlen(c->s->source), v, tmp))
		return 1;
	return look_x(ls, k, n, v, tmp);
}

static int
look_replace(struct lstage *ls, void *vctx, const char *k, size_t n,
    struct tval *v)
{
	struct tctx *c = vctx;

	if (n == 5 && memcmp(k, "Value", 5) == 0) {
		v->kind = V_STR;
		v->p = c->value;
		v->n = c->vn;
		return 1;
	}
	return look_x(ls, k, n, v, &c->tmp[c->ti++ & 3]);
}

static void
tctx_free(struct tctx *c)
{
	int i;

	for (i = 0; i < 4; i++)
		buf_free(&c->tmp[i]);
}

/* The input of json, regex, logfmt, replace: the line or a copy of an
 * extracted value. NULL when the source is missing or not a string. */
static struct buf *
stage_input(struct lstage *ls, struct step *s, struct ent *e)
{
	struct xval *x;

	if (s->source == NULL)
		return &e->line;
	x = x_get(ls, s->source, strlen(s->source));
	if (x == NULL)
		return NULL;
	ls->t1.len = 0;
	if (x_string(x, &ls->t1) < 0)
		return NULL;
	return &ls->t1;
}

static void
x_from_jv(struct lstage *ls, const char *name, jv r)
{
	struct xval *x;

	switch (jv_get_kind(r)) {
	case JV_KIND_STRING:
		x = x_set(ls, name, strlen(name), X_STR);
		buf_put(&x->s, jv_string_value(r),
		    (size_t)jv_string_length_bytes(jv_copy(r)));
		break;
	case JV_KIND_NUMBER:
		x = x_set(ls, name, strlen(name), X_NUM);
		x->num = jv_number_value(r);
		break;
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		x = x_set(ls, name, strlen(name), X_BOOL);
		x->num = jv_get_kind(r) == JV_KIND_TRUE;
		break;
	case JV_KIND_ARRAY:
	case JV_KIND_OBJECT: {
		jv d = jv_dump_string(jv_copy(r), JV_PRINT_SORTED);

		x = x_set(ls, name, strlen(name), X_STR);
		buf_put(&x->s, jv_string_value(d),
		    (size_t)jv_string_length_bytes(jv_copy(d)));
		jv_free(d);
		break;
	}
	default:
		x_set(ls, name, strlen(name), X_NULL);
	}
	jv_free(r);
}

/*
 * The common case without libjq: top-level fields only, with scalar
 * values, in a document lib/json.h reads. Returns 1 when done, 0 when
 * libjq must do it (a nested or array value is wanted, or the text is
 * something the strict reader refuses and Go may still accept).
 */
/* A scalar value at the cursor into v. 1, or 0 to leave it to libjq. */
static int
json_scalar(struct jr *j, struct xval *v)
{
	struct str raw;
	char num[64], *end;

	if (jr_peek(j) == '"') {
		if (jr_str(j, &raw) < 0)
			return 0;
		v->kind = X_STR;
		setbuf_(&v->s, raw.p, raw.n);
		return 1;
	}
	if (jr_skip(j, &raw) < 0)
		return 0;
	if (raw.p[0] == 't' || raw.p[0] == 'f') {
		v->kind = X_BOOL;
		v->num = raw.p[0] == 't';
	} else if (raw.p[0] == 'n')
		v->kind = X_NULL;
	else {
		if (raw.n >= sizeof(num))
			return 0;
		memcpy(num, raw.p, raw.n);
		num[raw.n] = '\0';
		v->kind = X_NUM;
		v->num = strtod(num, &end);
		if (v->num > 1.7976931348623157e308 ||
		    v->num < -1.7976931348623157e308)
			return 0;
	}
	return 1;
}

/*
 * One object of the document at depth d: cand[0..nc) are the expressions
 * whose first d fields led here. A later duplicate key wins, as in Go and
 * jq. Returns 1, or 0 to leave the entry to libjq.
 */
static int
json_scan(struct step *s, struct jr *j, size_t d, const uint32_t *cand,
    size_t nc)
{
	uint32_t *sub = s->cand + 2 * (d + 1) * s->n;	/* deeper: up */
	uint32_t *lv = sub + 2 * s->n;			/* leaves: down */
	struct str k;
	size_t i, ns, nl;
	int r, c;

	if (jr_obj(j) < 0)
		return 0;
	for (;;) {
		r = jr_next(j, &k);
		if (r < 0)
			return 0;
		if (r == 0)
			return 1;
		ns = nl = 0;
		for (i = 0; i < nc; i++) {
			struct jseg *g = &s->paths[cand[i]].seg[d];

			if (g->klen != k.n || memcmp(g->key, k.p, k.n) != 0)
				continue;
			if (s->paths[cand[i]].nseg == d + 1)
				*--lv = cand[i], nl++;
			else
				sub[ns++] = cand[i];
		}
		if (nl == 0 && ns == 0) {
			if (jr_skip(j, NULL) < 0)
				return 0;
			continue;
		}
		c = jr_peek(j);
		for (i = 0; i < ns; i++)	/* what an earlier key gave */
			s->pend[sub[i]].kind = X_NULL;
		if (c == '{' && nl == 0) {
			if (!json_scan(s, j, d + 1, sub, ns))
				return 0;
			continue;
		}
		if (c == '{' || c == '[') {
			if (nl > 0)
				return 0;	/* a nested value is wanted */
			if (jr_skip(j, NULL) < 0)
				return 0;
			continue;		/* a field of an array: null */
		}
		if (nl == 0) {
			if (jr_skip(j, NULL) < 0)
				return 0;
			continue;
		}
		if (!json_scalar(j, &s->pend[lv[0]]))
			return 0;
		/* the same path under other names */
		for (i = 1; i < nl; i++) {
			s->pend[lv[i]].kind = s->pend[lv[0]].kind;
			s->pend[lv[i]].num = s->pend[lv[0]].num;
			setbuf_(&s->pend[lv[i]].s, s->pend[lv[0]].s.p,
			    s->pend[lv[0]].s.len);
		}
	}
}

/*
 * The common case without libjq: paths of field names, to scalar values,
 * in a document lib/json.h reads. Returns 1 when done, 0 when libjq must
 * do it (an object or array is wanted, or the text is something the
 * strict reader refuses and Go may still accept).
 */
static int
json_fast(struct lstage *ls, struct step *s, const char *p, size_t n)
{
	struct jr j;
	size_t i;

	for (i = 0; i < s->n; i++) {
		s->pend[i].kind = X_NULL;
		s->cand[i] = (uint32_t)i;
	}
	ls->t3.len = 0;
	jr_init(&j, p, n, &ls->t3);
	if (jr_peek(&j) != '{' || !json_scan(s, &j, 0, s->cand, s->n) ||
	    jr_end(&j) < 0)
		return 0;
	for (i = 0; i < s->n; i++) {
		struct xval *x = x_set(ls, s->names[i], strlen(s->names[i]),
		    s->pend[i].kind);

		x->num = s->pend[i].num;
		if (s->pend[i].kind == X_STR)
			buf_put(&x->s, s->pend[i].s.p, s->pend[i].s.len);
	}
	return 1;
}

/* Returns 0 to go on, 1 to drop (drop_malformed). */
static int
do_json(struct lstage *ls, struct step *s, struct ent *e)
{
	struct buf *in = stage_input(ls, s, e);
	jv data;
	size_t i, k;

	if (in == NULL)
		return 0;
	if (s->simple && json_fast(ls, s, in->p != NULL ? in->p : "",
	    in->len))
		return 0;
	data = jv_parse_sized(in->p != NULL ? in->p : "", (int)in->len);
	if (jv_get_kind(data) != JV_KIND_OBJECT &&
	    jv_get_kind(data) != JV_KIND_NULL) {
		jv_free(data);
		return s->drop_malformed;
	}
	for (i = 0; i < s->n; i++) {
		jv cur = jv_copy(data);

		for (k = 0; k < s->paths[i].nseg; k++) {
			struct jseg *g = &s->paths[i].seg[k];

			if (g->key != NULL && jv_get_kind(cur) ==
			    JV_KIND_OBJECT) {
				cur = jv_object_get(cur,
				    jv_string_sized(g->key, (int)g->klen));
				if (!jv_is_valid(cur)) {
					jv_free(cur);
					cur = jv_null();
				}
			} else if (g->key == NULL && jv_get_kind(cur) ==
			    JV_KIND_ARRAY) {
				long len = jv_array_length(jv_copy(cur));
				long ix = g->idx < 0 ? len + g->idx : g->idx;

				if (ix < 0 || ix >= len) {
					jv_free(cur);
					cur = jv_null();
				} else
					cur = jv_array_get(cur, (int)ix);
			} else {
				jv_free(cur);
				cur = jv_null();
			}
		}
		x_from_jv(ls, s->names[i], cur);
	}
	jv_free(data);
	return 0;
}

static void
do_regex(struct lstage *ls, struct step *s, struct ent *e)
{
	struct buf *in = stage_input(ls, s, e);
	const char *p, *q;
	uint32_t g;

	if (in == NULL)
		return;
	ls->t3.len = 0;
	if (!re_expand(s->re, in->p != NULL ? in->p : "", in->len,
	    s->rtmpl.p != NULL ? s->rtmpl.p : "", s->rtmpl.len, &ls->t3))
		return;
	/* Go's FindStringSubmatch: a group that did not take part is "" */
	p = ls->t3.p;
	for (g = 1; g <= re_ngroups(s->re) && p != NULL; g++) {
		const char *nm = re_name(s->re, g);

		if (nm == NULL)
			continue;
		q = memchr(p, 0xff, ls->t3.len - (size_t)(p - ls->t3.p));
		if (q == NULL)
			break;
		x_setstr(ls, nm, p, (size_t)(q - p));
		p = q + 1;
	}
}

static void
logfmt_set(struct lstage *ls, struct step *s, const char *k, size_t kn,
    const char *v, size_t vn)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strlen(s->srcs[i]) == kn && memcmp(s->srcs[i], k, kn) == 0)
			x_setstr(ls, s->names[i], v, vn);
}

/* go-logfmt's unquoting of a value with escapes. 0 or -1. */
static int
logfmt_unquote(const char *p, size_t n, struct buf *o)
{
	size_t i;
	jv j;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < ' ')
			return -1;
	j = jv_parse_sized(p - 1, (int)n + 2);
	if (jv_get_kind(j) != JV_KIND_STRING) {
		jv_free(j);
		return -1;
	}
	o->len = 0;
	buf_put(o, jv_string_value(j),
	    (size_t)jv_string_length_bytes(jv_copy(j)));
	jv_free(j);
	return 0;
}

/* go-logfmt's decoder over one record (line); stops at a syntax error
 * keeping what it found before, as Promtail does. */
static void
logfmt_record(struct lstage *ls, struct step *s, const char *l, size_t n)
{
	size_t pos = 0;

	for (;;) {
		size_t ks, ke, vs;

		while (pos < n && (unsigned char)l[pos] <= ' ')
			pos++;
		if (pos >= n)
			return;
		ks = pos;
		while (pos < n && l[pos] != '=' && l[pos] != '"' &&
		    (unsigned char)l[pos] > ' ')
			pos++;
		if (pos < n && l[pos] == '"')
			return;			/* unexpected '"' */
		ke = pos;
		if (pos >= n || l[pos] != '=') {
			logfmt_set(ls, s, l + ks, ke - ks, "", 0);
			continue;
		}
		if (ke == ks)
			return;			/* unexpected '=' */
		pos++;
		if (pos >= n || (unsigned char)l[pos] <= ' ') {
			logfmt_set(ls, s, l + ks, ke - ks, "", 0);
			continue;
		}
		if (l[pos] == '"') {
			int esc = 0, has = 0;
			size_t q;

			for (q = pos + 1; q < n; q++) {
				if (esc)
					esc = 0;
				else if (l[q] == '\\')
					has = esc = 1;
				else if (l[q] == '"')
					break;
			}
			if (q >= n)
				return;		/* unterminated */
			if (has) {
				if (logfmt_unquote(l + pos + 1, q - pos - 1,
				    &ls->t3) < 0)
					return;
				logfmt_set(ls, s, l + ks, ke - ks, ls->t3.p,
				    ls->t3.len);
			} else
				logfmt_set(ls, s, l + ks, ke - ks, l + pos + 1,
				    q - pos - 1);
			pos = q + 1;
			continue;
		}
		vs = pos;
		while (pos < n && (unsigned char)l[pos] > ' ') {
			if (l[pos] == '=' || l[pos] == '"')
				return;		/* unexpected byte */
			pos++;
		}
		logfmt_set(ls, s, l + ks, ke - ks, l + vs, pos - vs);
	}
}

static void
do_logfmt(struct lstage *ls, struct step *s, struct ent *e)
{
	struct buf *in = stage_input(ls, s, e);
	size_t b = 0;

	if (in == NULL)
		return;
	if (in != &ls->t1) {
		/* decoding may use t3 only; keep the input apart */
		setbuf_(&ls->t2, in->p, in->len);
		in = &ls->t2;
	}
	while (b <= in->len) {
		const char *nl = in->len > b ? memchr(in->p + b, '\n',
		    in->len - b) : NULL;
		size_t e2 = nl != NULL ? (size_t)(nl - in->p) : in->len;

		logfmt_record(ls, s, in->p + b, e2 - b);
		if (nl == NULL)
			break;
		b = e2 + 1;
	}
}

static void
do_labels(struct lstage *ls, struct step *s, struct ent *e)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct xval *x = x_get(ls, s->srcs[i], strlen(s->srcs[i]));

		if (x == NULL)
			continue;
		ls->t1.len = 0;
		if (x_string(x, &ls->t1) < 0 || !utf8_ok(ls->t1.p,
		    ls->t1.len))
			continue;
		if (s->type == S_LABELS)
			kv_set(&e->lab, &e->nlab, &e->labcap, s->names[i],
			    strlen(s->names[i]), ls->t1.p, ls->t1.len);
		else
			kv_set(&e->meta, &e->nmeta, &e->metacap, s->names[i],
			    strlen(s->names[i]), ls->t1.p, ls->t1.len);
	}
	if (s->type != S_SMETA)
		return;
	/* structured_metadata also moves labels of those names */
	for (i = 0; i < s->n; i++) {
		struct kv *l = kv_find(e->lab, e->nlab, s->srcs[i],
		    strlen(s->srcs[i]));

		if (l == NULL)
			continue;
		kv_set(&e->meta, &e->nmeta, &e->metacap, s->names[i],
		    strlen(s->names[i]), l->value.p, l->value.len);
	}
	for (i = 0; i < s->n; i++) {
		struct kv *l = kv_find(e->lab, e->nlab, s->srcs[i],
		    strlen(s->srcs[i]));

		if (l != NULL)
			kv_del_at(e->lab, &e->nlab, (size_t)(l - e->lab));
	}
}

static uint64_t
labels_key(const struct ent *e)
{
	uint64_t h = 0, k;
	size_t i;

	/* order-independent, as labels.String() is sorted */
	for (i = 0; i < e->nlab; i++) {
		k = hash_bytes(0x9e3779b97f4a7c15ULL, e->lab[i].name.p,
		    e->lab[i].name.len);
		k = hash_bytes(k, e->lab[i].value.p, e->lab[i].value.len);
		h += k * 0xff51afd7ed558ccdULL + (k >> 29);
	}
	return h != 0 ? h : 1;
}

static int64_t *
fudge_slot(struct fudge *f, uint64_t key, int add)
{
	size_t i;

	if (f->cap == 0) {
		f->cap = 16384;
		f->key = xcalloc(f->cap, sizeof(*f->key));
		f->val = xcalloc(f->cap, sizeof(*f->val));
	}
	for (i = key & (f->cap - 1); f->key[i] != 0; i = (i + 1) &
	    (f->cap - 1))
		if (f->key[i] == key)
			return &f->val[i];
	if (!add)
		return NULL;
	if (f->n >= 10000) {
		/* Promtail keeps 10000 streams (LRU); start over */
		memset(f->key, 0, f->cap * sizeof(*f->key));
		f->n = 0;
		i = key & (f->cap - 1);
	}
	f->key[i] = key;
	f->n++;
	return &f->val[i];
}

static void
do_timestamp(struct lstage *ls, struct step *s, struct ent *e)
{
	struct xval *x = x_get(ls, s->source, strlen(s->source));
	int64_t ns = 0, *slot;
	size_t i;
	int ok = 0;

	ls->t1.len = 0;
	if (x != NULL && x_string(x, &ls->t1) == 0)
		for (i = 0; i < s->ntf && !ok; i++)
			ok = gotime_parse(s->tf[i], ls->t1.p, ls->t1.len,
			    ls->now, &ns) == 0;
	if (ok) {
		e->ts = (uint64_t)ns;
		if (s->fudge)
			*fudge_slot(&s->fud, labels_key(e), 1) = ns;
		return;
	}
	if (!s->fudge)
		return;
	slot = fudge_slot(&s->fud, labels_key(e), 0);
	if (slot == NULL)
		return;
	*slot += 1;
	e->ts = (uint64_t)*slot;
}

/* 1: the entry is to be dropped. */
static int
do_drop(struct lstage *ls, struct step *s, struct ent *e)
{
	size_t i;

	if (s->has_longer && (uint64_t)e->line.len <= s->longer)
		return 0;
	if (s->has_older && (int64_t)e->ts >= ls->now - s->older)
		return 0;
	if (s->n > 0 && s->re == NULL) {
		for (i = 0; i < s->n; i++)
			if (x_get(ls, s->names[i], strlen(s->names[i])) ==
			    NULL)
				return 0;
	}
	if (s->n == 0 && s->re != NULL &&
	    !re_match(s->re, e->line.p, e->line.len))
		return 0;
	if (s->n > 0 && s->re != NULL) {
		size_t got = 0;

		ls->t1.len = 0;
		for (i = 0; i < s->n; i++) {
			struct xval *x = x_get(ls, s->names[i],
			    strlen(s->names[i]));

			if (x == NULL)
				continue;
			if (got++ > 0)
				buf_puts(&ls->t1, s->sep);
			if (x_string(x, &ls->t1) < 0)
				return 0;
		}
		if (!re_match(s->re, ls->t1.p, ls->t1.len))
			return 0;
	}
	return 1;
}

struct capt {
	size_t		 off, n;	/* the capture, in the input */
	size_t		 roff, rn;	/* its replacement, in t3 */
};

static void
do_replace(struct lstage *ls, struct step *s, struct ent *e)
{
	struct buf *in = stage_input(ls, s, e), res = { 0 };
	struct tctx c = { 0 };
	struct capt *cp = NULL;
	size_t ncp = 0, cpcap = 0, prev = 0, pos = 0, w, n;
	uint32_t g, ng = re_ngroups(s->re);
	const size_t *ov;
	size_t *first = NULL;
	int rc = 0, any = 0;

	if (in == NULL)
		return;
	if (in == &e->line) {
		setbuf_(&ls->t2, in->p, in->len);
		in = &ls->t2;
	}
	n = in->len;
	c.s = s;
	c.e = e;
	ls->t3.len = 0;
	/* FindAllStringSubmatchIndex, and a template run per capture */
	while (pos <= n && rc == 0) {
		if (re_find(s->re, in->p, n, pos, &ov) != 1)
			break;
		{
			int accept = 1;

			/* Go skips an empty match right after a match */
			if (ov[1] == ov[0] && any && ov[0] == prev)
				accept = 0;
			if (!any) {
				first = xcalloc(2 * (ng + 1), sizeof(size_t));
				memcpy(first, ov, 2 * (ng + 1) *
				    sizeof(size_t));
			}
			if (accept) {
				for (g = 1; g <= ng && rc == 0; g++) {
					size_t a = ov[2 * g];
					size_t b = ov[2 * g + 1];
					size_t r0 = ls->t3.len;

					if (a == SIZE_MAX)
						continue;
					c.value = in->p + a;
					c.vn = b - a;
					rc = tmpl_exec(ls, s->tmpl,
					    look_replace, &c, &ls->t3);
					if (rc < 0)
						break;
					if (ncp == cpcap) {
						cpcap = cpcap ? cpcap * 2 : 8;
						cp = xrealloc(cp, cpcap *
						    sizeof(*cp));
					}
					cp[ncp].off = a;
					cp[ncp].n = b - a;
					cp[ncp].roff = r0;
					cp[ncp].rn = ls->t3.len - r0;
					ncp++;
				}
			}
			any = 1;
			prev = ov[1];
			w = 0;
			if (pos < n)
				rune_at(in->p + pos, n - pos, &w);
			if (ov[1] == pos)
				pos += w > 0 ? w : 1;
			else
				pos = ov[1];
		}
	}
	if (rc < 0 || !any)
		goto out;
	/* splice, as Promtail's getReplacedEntry does */
	prev = 0;
	for (size_t i = 0; i < ncp; i++) {
		if (prev == 0 || prev < cp[i].off) {
			buf_put(&res, in->p + prev, cp[i].off - prev);
			buf_put(&res, ls->t3.p + cp[i].roff, cp[i].rn);
			prev = cp[i].off + cp[i].n;
		}
	}
	buf_put(&res, in->p + prev, n - prev);
	if (s->source != NULL)
		x_setstr(ls, s->source, res.p, res.len);
	else
		setbuf_(&e->line, res.p, res.len);
	/* named groups get the replacement of what they captured first */
	for (g = 1; g <= ng; g++) {
		const char *nm = re_name(s->re, g);
		const char *cv = "";
		size_t cn = 0, i, hit = SIZE_MAX;

		if (nm == NULL)
			continue;
		if (first[2 * g] != SIZE_MAX) {
			cv = in->p + first[2 * g];
			cn = first[2 * g + 1] - first[2 * g];
		}
		for (i = 0; i < ncp; i++)
			if (cp[i].n == cn && memcmp(in->p + cp[i].off, cv,
			    cn) == 0)
				hit = i;	/* the last one wins (a map) */
		if (hit != SIZE_MAX)
			x_setstr(ls, nm, ls->t3.p + cp[hit].roff,
			    cp[hit].rn);
	}
out:
	free(first);
	free(cp);
	buf_free(&res);
	tctx_free(&c);
}

static void
do_template(struct lstage *ls, struct step *s, struct ent *e)
{
	struct tctx c = { 0 };
	struct buf o = { 0 };

	c.s = s;
	c.e = e;
	if (tmpl_exec(ls, s->tmpl, look_template, &c, &o) == 0) {
		if (o.len == 0)
			x_del(ls, s->source);
		else
			x_setstr(ls, s->source, o.p, o.len);
	}
	buf_free(&o);
	tctx_free(&c);
}

static int
match_entry(struct step *s, struct ent *e)
{
	size_t i;

	for (i = 0; i < s->nm; i++) {
		struct matcher *m = &s->m[i];
		struct kv *l = kv_find(e->lab, e->nlab, m->name,
		    strlen(m->name));
		const char *v = l != NULL ? l->value.p : "";
		size_t vn = l != NULL ? l->value.len : 0;
		int eq;

		if (m->op == '=' || m->op == '!')
			eq = strlen(m->value) == vn && (vn == 0 ||
			    memcmp(m->value, v, vn) == 0);
		else
			eq = re_match(m->re, v, vn);
		if (eq != (m->op == '=' || m->op == '~'))
			return 0;
	}
	for (i = 0; i < s->nlf; i++) {
		struct lfilter *f = &s->lf[i];
		int has;

		if (f->re != NULL)
			has = re_match(f->re, e->line.p, e->line.len);
		else
			has = contains(e->line.p, e->line.len, f->text,
			    f->n);
		if (has != (f->op == '|' || f->op == '~'))
			return 0;
	}
	return 1;
}

static void
do_tenant(struct lstage *ls, struct step *s, struct ent *e)
{
	const char *v = NULL;
	size_t n = 0;

	if (s->value != NULL) {
		v = s->value;
		n = strlen(v);
	} else if (s->label != NULL) {
		struct kv *l = kv_find(e->lab, e->nlab, s->label,
		    strlen(s->label));

		if (l != NULL) {
			v = l->value.p;
			n = l->value.len;
		}
	} else {
		struct xval *x = x_get(ls, s->source, strlen(s->source));

		ls->t1.len = 0;
		if (x != NULL && x_string(x, &ls->t1) == 0) {
			v = ls->t1.p;
			n = ls->t1.len;
		}
	}
	if (v == NULL || n == 0)
		return;
	setbuf_(&ls->t2, v, n);
	kv_set(&e->lab, &e->nlab, &e->labcap, "__tenant_id__", 13, ls->t2.p,
	    ls->t2.len);
}

/* A JSON string as Go's encoding/json writes it (HTML-safe). */
static void
go_json_str(struct buf *b, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, l;

	buf_putc(b, '"');
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		unsigned r;

		if (c < 0x80) {
			if (c == '"' || c == '\\') {
				buf_putc(b, '\\');
				buf_putc(b, (char)c);
			} else if (c == '\n')
				buf_puts(b, "\\n");
			else if (c == '\r')
				buf_puts(b, "\\r");
			else if (c == '\t')
				buf_puts(b, "\\t");
			else if (c == '\b')
				buf_puts(b, "\\b");
			else if (c == '\f')
				buf_puts(b, "\\f");
			else if (c < 0x20 || c == '<' || c == '>' ||
			    c == '&') {
				buf_puts(b, "\\u00");
				buf_putc(b, hex[c >> 4]);
				buf_putc(b, hex[c & 15]);
			} else
				buf_putc(b, (char)c);
			i++;
			continue;
		}
		r = rune_at(p + i, n - i, &l);
		if (r == 0xfffd && l == 1)
			buf_puts(b, "\\ufffd");
		else if (r == 0x2028 || r == 0x2029)
			buf_puts(b, r == 0x2028 ? "\\u2028" : "\\u2029");
		else
			buf_put(b, p + i, l);
		i += l;
	}
	buf_putc(b, '"');
}

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Promtail's pack: the named extracted values and the line as one JSON
 * object, keys sorted, "_entry" last; packed labels are removed. */
static void
do_pack(struct lstage *ls, struct step *s, struct ent *e)
{
	struct buf *o = &ls->t2;
	const char **keys;
	size_t i, nk = 0, k;

	keys = xcalloc(s->n + 1, sizeof(*keys));
	for (i = 0; i < s->n; i++) {
		for (k = 0; k < nk; k++)
			if (strcmp(keys[k], s->names[i]) == 0)
				break;
		if (k == nk && x_get(ls, s->names[i], strlen(s->names[i])) !=
		    NULL && x_get(ls, s->names[i],
		    strlen(s->names[i]))->kind != X_NULL)
			keys[nk++] = s->names[i];
	}
	qsort(keys, nk, sizeof(*keys), cmp_cstr);
	o->len = 0;
	buf_putc(o, '{');
	for (i = 0; i < nk; i++) {
		struct xval *x = x_get(ls, keys[i], strlen(keys[i]));

		go_json_str(o, keys[i], strlen(keys[i]));
		buf_putc(o, ':');
		ls->t1.len = 0;
		(void)x_string(x, &ls->t1);
		go_json_str(o, ls->t1.p, ls->t1.len);
		buf_putc(o, ',');
	}
	buf_puts(o, "\"_entry\":");
	go_json_str(o, e->line.p, e->line.len);
	buf_putc(o, '}');
	for (i = 0; i < nk; i++) {
		struct kv *l = kv_find(e->lab, e->nlab, keys[i],
		    strlen(keys[i]));

		if (l != NULL)
			kv_del_at(e->lab, &e->nlab, (size_t)(l - e->lab));
	}
	free(keys);
	setbuf_(&e->line, o->p, o->len);
	if (s->fudge)
		e->ts = (uint64_t)ls->now;
}

/* 1: the entry goes on; 0: a stage dropped it. */
static int
run_steps(struct lstage *ls, struct step *st, size_t n, struct ent *e)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		struct step *s = &st[i];

		switch (s->type) {
		case S_JSON:
			if (do_json(ls, s, e))
				return 0;
			break;
		case S_REGEX:
			do_regex(ls, s, e);
			break;
		case S_LOGFMT:
			do_logfmt(ls, s, e);
			break;
		case S_LABELS:
		case S_SMETA:
			do_labels(ls, s, e);
			break;
		case S_STATIC:
			for (k = 0; k < s->n; k++)
				if (s->srcs[k] != NULL && s->srcs[k][0] !=
				    '\0' && utf8_ok(s->srcs[k],
				    strlen(s->srcs[k])))
					kv_set(&e->lab, &e->nlab, &e->labcap,
					    s->names[k], strlen(s->names[k]),
					    s->srcs[k], strlen(s->srcs[k]));
			break;
		case S_LABELDROP:
		case S_LABELALLOW:
			for (k = 0; k < e->nlab; ) {
				size_t j;
				int listed = 0;

				for (j = 0; j < s->n && !listed; j++)
					listed = beq(&e->lab[k].name,
					    s->names[j], strlen(s->names[j]));
				if (listed == (s->type == S_LABELDROP))
					kv_del_at(e->lab, &e->nlab, k);
				else
					k++;
			}
			break;
		case S_OUTPUT: {
			struct xval *x = x_get(ls, s->source,
			    strlen(s->source));

			ls->t1.len = 0;
			if (x != NULL && x_string(x, &ls->t1) == 0)
				setbuf_(&e->line, ls->t1.p, ls->t1.len);
			break;
		}
		case S_TIMESTAMP:
			do_timestamp(ls, s, e);
			break;
		case S_DROP:
			if (do_drop(ls, s, e)) {
				s->dropped++;
				return 0;
			}
			break;
		case S_REPLACE:
			do_replace(ls, s, e);
			break;
		case S_TEMPLATE:
			do_template(ls, s, e);
			break;
		case S_MATCH:
			if (!match_entry(s, e))
				break;
			if (s->drop_action) {
				s->dropped++;
				return 0;
			}
			if (!run_steps(ls, s->sub, s->nsub, e))
				return 0;
			break;
		case S_TENANT:
			do_tenant(ls, s, e);
			break;
		case S_DECOLORIZE:
			ls->t1.len = 0;
			re_replace_literal(s->re, e->line.p, e->line.len, "",
			    0, &ls->t1);
			setbuf_(&e->line, ls->t1.p, ls->t1.len);
			break;
		case S_PACK:
			do_pack(ls, s, e);
			break;
		case S_MULTILINE:
			if (re_match(s->re, e->line.p, e->line.len))
				e->nmeta = 0;
			break;
		case S_DOCKER:
			if (!run_steps(ls, s->sub, s->nsub, e))
				return 0;
			break;
		case S_LIMIT:
			if (!do_limit(s, e)) {
				s->dropped++;
				return 0;
			}
			break;
		case S_SAMPLING: {
			uint64_t x;

			do {	/* xorshift64*, 63 bits, never 0 */
				x = s->rng;
				x ^= x >> 12;
				x ^= x << 25;
				x ^= x >> 27;
				s->rng = x;
				x = (x * 0x2545f4914f6cdd1dULL) >> 1;
			} while (x == 0);
			if (x > s->boundary) {
				s->dropped++;
				return 0;
			}
			break;
		}
		}
	}
	return 1;
}

static void
ent_load(struct ent *e, const struct rec *r)
{
	size_t i;

	e->ts = r->ts;
	e->nlab = 0;
	e->nmeta = 0;
	for (i = 0; i < r->nlabels; i++)
		kv_set(&e->lab, &e->nlab, &e->labcap, r->labels[i].name.p,
		    r->labels[i].name.n, r->labels[i].value.p,
		    r->labels[i].value.n);
	for (i = 0; i < r->nmeta; i++)
		kv_set(&e->meta, &e->nmeta, &e->metacap, r->meta[i].name.p,
		    r->meta[i].name.n, r->meta[i].value.p, r->meta[i].value.n);
	setbuf_(&e->line, r->line.p, r->line.n);
}

static void
emit_ent(struct lstage *ls, struct ent *e, lstage_emit_fn *emit, void *ctx)
{
	size_t i;

	if (e->nlab > ls->olcap) {
		ls->olcap = e->nlab;
		ls->ol = xrealloc(ls->ol, ls->olcap * sizeof(*ls->ol));
	}
	if (e->nmeta > ls->omcap) {
		ls->omcap = e->nmeta;
		ls->om = xrealloc(ls->om, ls->omcap * sizeof(*ls->om));
	}
	for (i = 0; i < e->nlab; i++) {
		ls->ol[i].name = (struct str){ e->lab[i].name.p,
		    e->lab[i].name.len };
		ls->ol[i].value = (struct str){ e->lab[i].value.p,
		    e->lab[i].value.len };
	}
	for (i = 0; i < e->nmeta; i++) {
		ls->om[i].name = (struct str){ e->meta[i].name.p,
		    e->meta[i].name.len };
		ls->om[i].value = (struct str){ e->meta[i].value.p,
		    e->meta[i].value.len };
	}
	emit(ctx, e->ts, ls->ol, e->nlab, (struct str){ e->line.p,
	    e->line.len }, ls->om, e->nmeta);
}

/* A string -> string object of a jq output into kvs. 0 or -1. */
static int
jv_strmap(struct lstage *ls, jv o, const char *what, int names,
    struct kv **a, size_t *n, size_t *cap)
{
	int it;

	*n = 0;
	if (jv_get_kind(o) == JV_KIND_NULL)
		return 0;
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		snprintf(ls->err, sizeof(ls->err), "%s is %s, not an object",
		    what, kind_name(o));
		return -1;
	}
	for (it = jv_object_iter(o); jv_object_iter_valid(o, it);
	    it = jv_object_iter_next(o, it)) {
		jv k = jv_object_iter_key(o, it);
		jv v = jv_object_iter_value(o, it);
		size_t kn = (size_t)jv_string_length_bytes(jv_copy(k));
		int bad = jv_get_kind(v) != JV_KIND_STRING ||
		    (names && !label_name_ok(jv_string_value(k), kn));

		if (bad)
			snprintf(ls->err, sizeof(ls->err), "%s: \"%s\" %s",
			    what, jv_string_value(k),
			    jv_get_kind(v) != JV_KIND_STRING ?
			    "is not a string" : "is not a valid label name");
		else
			kv_set(a, n, cap, jv_string_value(k), kn,
			    jv_string_value(v),
			    (size_t)jv_string_length_bytes(jv_copy(v)));
		jv_free(k);
		jv_free(v);
		if (bad)
			return -1;
	}
	return 0;
}

/* A jq output into e. Consumes o. 0 or -1 with ls->err. */
static int
jv_to_ent(struct lstage *ls, jv o, struct ent *e)
{
	jv ts, line, lab, meta;
	int rc = -1;

	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		snprintf(ls->err, sizeof(ls->err), "output is %s, not an "
		    "entry object", kind_name(o));
		jv_free(o);
		return -1;
	}
	ts = jv_object_get(jv_copy(o), jv_string("ts"));
	line = jv_object_get(jv_copy(o), jv_string("line"));
	lab = jv_object_get(jv_copy(o), jv_string("labels"));
	meta = jv_object_get(jv_copy(o), jv_string("meta"));
	if (jv_get_kind(ts) == JV_KIND_STRING) {
		if (parse_u64(jv_string_value(ts),
		    (size_t)jv_string_length_bytes(jv_copy(ts)), &e->ts) < 0) {
			snprintf(ls->err, sizeof(ls->err), "ts \"%s\" is not "
			    "Unix nanoseconds", jv_string_value(ts));
			goto out;
		}
	} else if (jv_get_kind(ts) == JV_KIND_NUMBER) {
		double d = jv_number_value(ts);

		/* past 2^53 a double has lost the nanoseconds */
		if (!(d >= 0 && d <= 9007199254740992.0) ||
		    d != (double)(uint64_t)d) {
			snprintf(ls->err, sizeof(ls->err), "ts is a number "
			    "past 2^53 or not an integer: keep timestamps as "
			    "strings in jq");
			goto out;
		}
		e->ts = (uint64_t)d;
	} else {
		snprintf(ls->err, sizeof(ls->err), "ts is %s, not a string "
		    "of Unix nanoseconds", jv_is_valid(ts) ? kind_name(ts) :
		    "missing");
		goto out;
	}
	if (jv_get_kind(line) != JV_KIND_STRING) {
		snprintf(ls->err, sizeof(ls->err), "line is %s, not a string",
		    jv_is_valid(line) ? kind_name(line) : "missing");
		goto out;
	}
	setbuf_(&e->line, jv_string_value(line),
	    (size_t)jv_string_length_bytes(jv_copy(line)));
	if (!jv_is_valid(lab)) {
		jv_free(lab);
		lab = jv_null();
	}
	if (!jv_is_valid(meta)) {
		jv_free(meta);
		meta = jv_null();
	}
	if (jv_strmap(ls, lab, "labels", 1, &e->lab, &e->nlab,
	    &e->labcap) < 0 || jv_strmap(ls, meta, "meta", 0, &e->meta,
	    &e->nmeta, &e->metacap) < 0)
		goto out;
	rc = 0;
out:
	jv_free(ts);
	jv_free(line);
	jv_free(lab);
	jv_free(meta);
	jv_free(o);
	return rc;
}

/* The entry as the object a jq program gets (no text in between). */
static jv
ent_jv(const struct ent *e)
{
	jv o = jv_object(), l = jv_object(), m = jv_object();
	char d[24];
	size_t i, k = sizeof(d);
	uint64_t t = e->ts;

	do {
		d[--k] = (char)('0' + t % 10);
		t /= 10;
	} while (t > 0);
	for (i = 0; i < e->nlab; i++)
		l = jv_object_set(l, jv_string_sized(e->lab[i].name.p,
		    (int)e->lab[i].name.len), jv_string_sized(
		    e->lab[i].value.p, (int)e->lab[i].value.len));
	for (i = 0; i < e->nmeta; i++)
		m = jv_object_set(m, jv_string_sized(e->meta[i].name.p,
		    (int)e->meta[i].name.len), jv_string_sized(
		    e->meta[i].value.p, (int)e->meta[i].value.len));
	o = jv_object_set(o, jv_string("ts"), jv_string_sized(d + k,
	    (int)(sizeof(d) - k)));
	o = jv_object_set(o, jv_string("labels"), l);
	o = jv_object_set(o, jv_string("line"), jv_string_sized(
	    e->line.p != NULL ? e->line.p : "", (int)e->line.len));
	return jv_object_set(o, jv_string("meta"), m);
}

static int
jq_chain(struct lstage *ls, size_t idx, struct ent *e, lstage_emit_fn *emit,
    void *ctx)
{
	struct step *s;
	jv in, out;
	int total = 0, r;

	if (idx == ls->njq) {
		emit_ent(ls, e, emit, ctx);
		return 1;
	}
	s = &ls->jq[idx];
	in = ent_jv(e);
	jq_start(s->jq, in, 0);
	for (;;) {
		out = jq_next(s->jq);
		if (!jv_is_valid(out)) {
			if (jv_invalid_has_msg(jv_copy(out))) {
				jv m = jv_invalid_get_msg(out);
				jv d = jv_get_kind(m) == JV_KIND_STRING ?
				    jv_copy(m) : jv_dump_string(jv_copy(m), 0);

				snprintf(ls->err, sizeof(ls->err),
				    "jq program %zu: %s", idx + 1,
				    jv_string_value(d));
				jv_free(d);
				jv_free(m);
				return -1;
			}
			jv_free(out);
			break;
		}
		if (jv_to_ent(ls, out, &ls->jqent[idx]) < 0) {
			char m[sizeof(ls->err)];

			memcpy(m, ls->err, sizeof(m));
			snprintf(ls->err, sizeof(ls->err), "jq program %zu: "
			    "%.400s", idx + 1, m);
			return -1;
		}
		r = jq_chain(ls, idx + 1, &ls->jqent[idx], emit, ctx);
		if (r < 0)
			return -1;
		total += r;
	}
	return total;
}

int
lstage_run(struct lstage *ls, const struct rec *r, int64_t now,
    lstage_emit_fn *emit, void *ctx)
{
	struct ent *e = &ls->e;
	size_t i;

	ls->err[0] = '\0';
	if (ls->nst == 0 && ls->njq == 0) {
		emit(ctx, r->ts, r->labels, r->nlabels, r->line, r->meta,
		    r->nmeta);
		return 1;
	}
	ls->now = now;
	ent_load(e, r);
	/* lambda-promtail starts the extracted map from the labels */
	if (ls->xcap < e->nlab + 1) {
		size_t c = e->nlab + 16;

		ls->x = xrealloc(ls->x, c * sizeof(*ls->x));
		memset(ls->x + ls->xcap, 0, (c - ls->xcap) * sizeof(*ls->x));
		ls->xcap = c;
	}
	ls->nx = e->nlab;
	for (i = 0; i < e->nlab; i++) {
		setbuf_(&ls->x[i].key, e->lab[i].name.p, e->lab[i].name.len);
		ls->x[i].kind = X_STR;
		setbuf_(&ls->x[i].s, e->lab[i].value.p, e->lab[i].value.len);
	}
	if (!run_steps(ls, ls->st, ls->nst, e))
		return 0;
	return jq_chain(ls, 0, e, emit, ctx);
}
