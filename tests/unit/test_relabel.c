/*
 * test_relabel: lib/relabel against test vectors (tests/relabel/vectors-*
 * .jsonl, each line saying where it came from) and a few direct checks of
 * the RE2 translation, Go's template expansion and case mapping.
 * Run from the top of the tree (or pass the vectors directory).
 */
#include <fcntl.h>
#include <jq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "goregex.h"
#include "labels.h"
#include "relabel.h"

static int failed;

#define CHECK(name, cond) do {						\
	if (cond)							\
		printf("ok relabel %s\n", name);			\
	else {								\
		printf("not ok relabel %s\n", name);			\
		failed++;						\
	}								\
} while (0)

static char *
slurp(const char *path, size_t *n)
{
	struct buf b = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t k;

	if (fd < 0)
		return NULL;
	for (;;) {
		buf_grow(&b, 65536);
		k = read(fd, b.p + b.len, 65536);
		if (k <= 0)
			break;
		b.len += (size_t)k;
	}
	close(fd);
	*n = b.len;
	return buf_cstr(&b);
}

/* Labels of a JSON object (borrowed from o, which must stay alive). */
static size_t
jv_labels(jv o, struct label *l, size_t max)
{
	size_t n = 0;
	int it;

	for (it = jv_object_iter(o); jv_object_iter_valid(o, it) && n < max;
	    it = jv_object_iter_next(o, it)) {
		jv k = jv_object_iter_key(o, it);
		jv v = jv_object_iter_value(o, it);

		/* o keeps both alive: the strings stay valid */
		l[n].name.p = jv_string_value(k);
		l[n].name.n = (size_t)jv_string_length_bytes(jv_copy(k));
		l[n].value.p = jv_string_value(v);
		l[n].value.n = (size_t)jv_string_length_bytes(jv_copy(v));
		n++;
		jv_free(k);
		jv_free(v);
	}
	return n;
}

static int
has_prefix(struct str s, const char *p)
{
	size_t n = strlen(p);

	return s.n >= n && memcmp(s.p, p, n) == 0;
}

/*
 * What Prometheus does to a target's labels after relabel_configs
 * (scrape.PopulateLabels): instance from __address__ when missing, then
 * every label whose name starts with "__" is removed.
 */
static size_t
post_target(struct label *l, size_t n)
{
	struct label *addr = labels_find(l, n, "__address__", 11);
	size_t i, k = 0;
	int inst = labels_find(l, n, "instance", 8) != NULL;
	struct label a = { { NULL, 0 }, { NULL, 0 } };

	if (addr != NULL)
		a = *addr;
	for (i = 0; i < n; i++)
		if (!has_prefix(l[i].name, "__"))
			l[k++] = l[i];
	if (!inst && a.name.p != NULL) {
		l[k].name.p = "instance";
		l[k].name.n = 8;
		l[k].value = a.value;
		k++;
	}
	labels_sort(l, k);
	return k;
}

/* The overrides of vectors-differ.jsonl, applied to an expected set. */
static size_t
apply_differ(jv d, struct label *l, size_t n, size_t max)
{
	jv set = jv_object_get(jv_copy(d), jv_string("set"));
	jv unset = jv_object_get(jv_copy(d), jv_string("unset"));
	struct label s[64];
	size_t ns, i, k;

	if (jv_get_kind(set) == JV_KIND_OBJECT) {
		ns = jv_labels(set, s, 64);
		for (i = 0; i < ns; i++) {
			struct label *f = labels_find(l, n, s[i].name.p,
			    s[i].name.n);

			if (f != NULL)
				f->value = s[i].value;
			else if (n < max)
				l[n++] = s[i];
		}
	}
	if (jv_get_kind(unset) == JV_KIND_ARRAY) {
		int m = jv_array_length(jv_copy(unset));

		for (int j = 0; j < m; j++) {
			jv u = jv_array_get(jv_copy(unset), j);
			const char *un = jv_string_value(u);

			for (i = k = 0; i < n; i++)
				if (!(l[i].name.n == strlen(un) &&
				    memcmp(l[i].name.p, un, l[i].name.n) == 0))
					l[k++] = l[i];
			n = k;
			jv_free(u);
		}
	}
	/* set and unset are kept alive by d */
	jv_free(set);
	jv_free(unset);
	labels_sort(l, n);
	return n;
}

static void
render(struct buf *b, const struct label *l, size_t n, int keep)
{
	b->len = 0;
	if (!keep)
		buf_puts(b, "dropped");
	else
		rec_write_labels(b, l, n);
	buf_cstr(b);
}

static jv differ;

static void
run_vector(jv v)
{
	jv name = jv_object_get(jv_copy(v), jv_string("name"));
	jv rules = jv_object_get(jv_copy(v), jv_string("rules"));
	jv in = jv_object_get(jv_copy(v), jv_string("in"));
	jv out = jv_object_get(jv_copy(v), jv_string("out"));
	jv errv = jv_object_get(jv_copy(v), jv_string("err"));
	jv post = jv_object_get(jv_copy(v), jv_string("post"));
	jv d = jv_object_get(jv_copy(differ), jv_copy(name));
	jv text = jv_dump_string(jv_copy(rules), 0);
	struct relabel_conf c = { 0 };
	struct relabel *r;
	char err[512], tname[300];
	struct label il[64], el[64], ol[64];
	const struct label *res;
	size_t ni, ne = 0, nr = 0, i;
	int keep, want_keep;
	struct buf got = { 0 }, want = { 0 };

	snprintf(tname, sizeof(tname), "vector %s", jv_string_value(name));
	c.rules = jv_string_value(text);
	c.rules_len = strlen(c.rules);
	r = relabel_new(&c, err, sizeof(err));
	if (jv_get_kind(errv) == JV_KIND_STRING) {
		/* the same words as Prometheus (2.x wrapped with ^(?:) */
		const char *w = jv_string_value(errv);
		const char *q = strstr(w, "^(?:");
		char want_err[512];

		if (q != NULL)
			snprintf(want_err, sizeof(want_err), "%.*s^(?s:%s",
			    (int)(q - w), w, q + 4);
		else
			snprintf(want_err, sizeof(want_err), "%s", w);
		CHECK(tname, r == NULL && strstr(err, want_err) != NULL);
		if (r != NULL)
			fprintf(stderr, "# %s: accepted; Prometheus: %s\n",
			    tname, jv_string_value(errv));
		else if (strstr(err, want_err) == NULL)
			fprintf(stderr, "# %s: %s | Prometheus: %s\n", tname,
			    err, jv_string_value(errv));
		goto done;
	}
	if (r == NULL) {
		CHECK(tname, 0);
		fprintf(stderr, "# %s: refused: %s\n", tname, err);
		goto done;
	}
	ni = jv_labels(in, il, 64);
	keep = relabel_apply(r, il, ni, &res, &nr);
	for (i = 0; keep && i < nr && i < 64; i++)
		ol[i] = res[i];
	if (keep && jv_get_kind(post) == JV_KIND_STRING)
		nr = post_target(ol, nr);
	want_keep = jv_get_kind(out) == JV_KIND_OBJECT;
	if (want_keep)
		ne = jv_labels(out, el, 64);
	if (want_keep && jv_get_kind(d) == JV_KIND_OBJECT)
		ne = apply_differ(d, el, ne, 64);
	labels_sort(el, ne);
	render(&got, ol, nr, keep);
	render(&want, el, ne, want_keep);
	CHECK(tname, strcmp(got.p, want.p) == 0);
	if (strcmp(got.p, want.p) != 0)
		fprintf(stderr, "# %s\n#   got  %s\n#   want %s\n", tname,
		    got.p, want.p);
	relabel_free(r);
done:
	buf_free(&got);
	buf_free(&want);
	jv_free(name);
	jv_free(rules);
	jv_free(in);
	jv_free(out);
	jv_free(errv);
	jv_free(post);
	jv_free(d);
	jv_free(text);
	jv_free(v);
}

static int
each_line(const char *path, void (*fn)(jv))
{
	size_t n, i = 0, count = 0;
	char *s = slurp(path, &n);

	if (s == NULL) {
		printf("not ok relabel cannot read %s\n", path);
		failed++;
		return 0;
	}
	while (i < n) {
		char *e = memchr(s + i, '\n', n - i);
		size_t len = e ? (size_t)(e - (s + i)) : n - i;

		if (len > 0) {
			jv v = jv_parse_sized(s + i, (int)len);

			if (!jv_is_valid(v)) {
				printf("not ok relabel %s: bad JSON line\n",
				    path);
				failed++;
				jv_free(v);
			} else {
				fn(v);
				count++;
			}
		}
		i += len + 1;
	}
	free(s);
	return (int)count;
}

static void
add_differ(jv v)
{
	jv name = jv_object_get(jv_copy(v), jv_string("name"));

	differ = jv_object_set(differ, name, v);
}

static void
direct(void)
{
	struct buf b = { 0 };
	struct re *re;
	char err[256];
	size_t i;
	static const char *const rejects[] = {
		"(a)\\1", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "(?>a)",
		"a++", "a*+", "a?+", "a{2}+", "\\K", "\\C", "\\G", "\\Z",
		"\\R", "\\h", "\\X", "\\N", "\\e", "\\cA", "\\o{1}", "\\g1",
		"\\k<n>", "(?|a)", "(?#c)", "(?x)a", "(?n)a", "(?J)a",
		"(?'n'a)", "(?P=n)", "(?P>n)", "(?R)", "(?1)", "(?&n)",
		"(*ACCEPT)", "(*UTF)a", "a{1001}", "a{2,1001}", "a{3,2}",
		"(a{2}){501}", "((a{10}){10}){11}", "a**", "a*{2}", "*a",
		"(|*)", "[\\b]", "[\\Q]\\E]", "[[:nope:]]", "\\8", "\\9",
		"[a-\\d]", "(?i", "(?-)", "(?i-)", "(?P<>a)", "(?P<a-b>x)",
		"(?P<n>a)(?P<n>b)", "\\x{110000}", "\\x{}", "\\xZ", "\\",
		"\\E", "\\u0041", "\\p{Xan}", "\\p{L&}", "\\p{sc:Greek}",
		"\\p{Nope}", NULL
	};
	static const char *const accepts[] = {
		"a{1000}", "a{0,1000}", "(a{10}){100}", "a*?", "a+?", "a??",
		"a{2}?", "a{,2}", "a{x}", "a{", "{", "}", "]", "a]", "[]a]",
		"[^]a]", "\\Qa.b\\E", "\\Q(", "[[:alpha:][:^digit:]]",
		"\\pL\\PL\\p{Greek}\\P{Greek}\\p{^Greek}", "(?i)a(?-i)b",
		"(?is:a.)", "(?U)a+", "(?P<n1>a)(?<n2>b)", "\\141\\0",
		"\\x41\\x{1F600}", "[\\d\\s\\w\\S\\D\\W]", "\\A\\z\\b\\B",
		"\\a\\f\\t\\n\\r\\v", "\\.\\*\\_\\ \\-", "(?:)", "()", "a|",
		"|", "[a-z-]", "[-a]", "[a\\-z]", "é+", "[é-ü]", "a\\Qb",
		"^*", "a\\b+", "x|$?", "\\A*\\z*", "\\p{greek}", "\\p{Lu}",
		NULL
	};
	static const struct { const char *re, *s, *t, *want; } expand[] = {
		{ "(a)(b)", "ab", "$2$1", "ba" },
		{ "(a)(b)", "ab", "$1x", "" },
		{ "(a)(b)", "ab", "${1}x", "ax" },
		{ "(a)(b)", "ab", "$$1", "$1" },
		{ "(a)(b)", "ab", "$", "$" },
		{ "(a)(b)", "ab", "x$", "x$" },
		{ "(a)(b)", "ab", "${", "${" },
		{ "(a)(b)", "ab", "${1", "${1" },
		{ "(a)(b)", "ab", "$0", "ab" },
		{ "(a)(b)", "ab", "$3|$100000000|$99999999", "||" },
		{ "(?P<x>a)(b)", "ab", "$x${x}$y", "aa" },
		{ "(a)|(b)", "b", "[$1][$2]", "[][b]" },
		{ NULL, NULL, NULL, NULL }
	};
	static const struct { const char *re, *s, *t, *want; } repl[] = {
		{ "a", "banana", "o", "bonono" },
		{ "a*", "baaac", "x", "xbxcx" },
		{ "(an)", "banana", "<$1>", "b<an><an>a" },
		{ "", "é", "-", "-é-" },
		{ NULL, NULL, NULL, NULL }
	};

	for (i = 0; rejects[i] != NULL; i++) {
		char tn[120];

		re = re_compile(rejects[i], strlen(rejects[i]), err,
		    sizeof(err));
		snprintf(tn, sizeof(tn), "re2 rejects %s", rejects[i]);
		CHECK(tn, re == NULL);
		re_free(re);
	}
	for (i = 0; accepts[i] != NULL; i++) {
		char tn[120];

		re = re_compile(accepts[i], strlen(accepts[i]), err,
		    sizeof(err));
		snprintf(tn, sizeof(tn), "re2 accepts %s", accepts[i]);
		CHECK(tn, re != NULL);
		if (re == NULL)
			fprintf(stderr, "# %s: %s\n", tn, err);
		re_free(re);
	}
	for (i = 0; expand[i].re != NULL; i++) {
		char tn[120];

		re = re_compile(expand[i].re, strlen(expand[i].re), err,
		    sizeof(err));
		b.len = 0;
		snprintf(tn, sizeof(tn), "expand %s", expand[i].t);
		CHECK(tn, re != NULL && re_expand(re, expand[i].s,
		    strlen(expand[i].s), expand[i].t, strlen(expand[i].t),
		    &b) == 1 && strcmp(buf_cstr(&b), expand[i].want) == 0);
		re_free(re);
	}
	for (i = 0; repl[i].re != NULL; i++) {
		char tn[120];

		re = re_compile(repl[i].re, strlen(repl[i].re), err,
		    sizeof(err));
		b.len = 0;
		snprintf(tn, sizeof(tn), "replace_all /%s/ in %s", repl[i].re,
		    repl[i].s);
		if (re != NULL)
			re_replace_all(re, repl[i].s, strlen(repl[i].s),
			    repl[i].t, strlen(repl[i].t), &b);
		CHECK(tn, re != NULL && strcmp(buf_cstr(&b), repl[i].want)
		    == 0);
		if (re != NULL && strcmp(buf_cstr(&b), repl[i].want) != 0)
			fprintf(stderr, "# got %s\n", b.p);
		re_free(re);
	}
	b.len = 0;
	case_upper(&b, "straße ǆ ſ", strlen("straße ǆ ſ"));
	CHECK("upper straße", strcmp(buf_cstr(&b), "STRAßE Ǆ S") == 0);
	b.len = 0;
	case_lower(&b, "İ K ẞ ΑΣ", strlen("İ K ẞ ΑΣ"));
	CHECK("lower unicode", strcmp(buf_cstr(&b), "i k ß ασ") == 0);
	b.len = 0;
	case_upper(&b, "\xff" "a", 2);
	CHECK("upper invalid byte is U+FFFD",
	    strcmp(buf_cstr(&b), "\xef\xbf\xbd" "A") == 0);
	buf_free(&b);
}

/*
 * Random patterns over RE2's syntax characters: the translator must
 * neither crash (run it under ASan or valgrind) nor hand PCRE2 a pattern
 * it refuses as malformed (its messages then say "internal"), and what
 * compiles must run on a few subjects.
 */
static void
fuzz(void)
{
	static const char alpha[] = "()[]{}*+?|\\^$.aQEpPxsSbBdw019,:<>=!-_^ é";
	static const char *const subj[] = { "", "a", "aaa", "a-b", "é1" };
	char pat[24], err[256];
	uint64_t x = 88172645463325252ULL;
	size_t i, k, n, compiled = 0, internal = 0;
	struct re *re;
	struct buf b = { 0 };

	for (i = 0; i < 30000; i++) {
		n = 1 + i % 16;
		for (k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			pat[k] = alpha[x % (sizeof(alpha) - 1)];
		}
		/* keep it UTF-8: é is two bytes, drop a torn one */
		while (n > 0 && ((unsigned char)pat[n - 1] & 0xc0) == 0xc0)
			n--;
		re = re_compile(pat, n, err, sizeof(err));
		if (re == NULL) {
			if (strstr(err, "internal") != NULL)
				internal++;
			continue;
		}
		compiled++;
		for (k = 0; k < sizeof(subj) / sizeof(subj[0]); k++) {
			b.len = 0;
			(void)re_match(re, subj[k], strlen(subj[k]));
			re_replace_all(re, subj[k], strlen(subj[k]), "<$1>", 4,
			    &b);
		}
		re_free(re);
	}
	buf_free(&b);
	CHECK("fuzz: random patterns compile or are refused cleanly",
	    internal == 0 && compiled > 1000);
	if (internal != 0 || compiled <= 1000)
		fprintf(stderr, "# fuzz: %zu compiled, %zu internal\n",
		    compiled, internal);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/relabel";
	char path[512];
	int n;

	direct();
	fuzz();
	differ = jv_object();
	snprintf(path, sizeof(path), "%s/vectors-differ.jsonl", dir);
	each_line(path, add_differ);
	snprintf(path, sizeof(path), "%s/vectors-prom242.jsonl", dir);
	n = each_line(path, run_vector);
	CHECK("prometheus 2.42 vectors present", n >= 100);
	snprintf(path, sizeof(path), "%s/vectors-prom242-random.jsonl", dir);
	n = each_line(path, run_vector);
	CHECK("prometheus 2.42 random vectors present", n >= 400);
	snprintf(path, sizeof(path), "%s/vectors-prom242-regex.jsonl", dir);
	n = each_line(path, run_vector);
	CHECK("prometheus 2.42 regex vectors present", n >= 600);
	snprintf(path, sizeof(path), "%s/vectors-prom242-regex-b.jsonl", dir);
	n = each_line(path, run_vector);
	CHECK("prometheus 2.42 regex vectors (b) present", n >= 1500);
	snprintf(path, sizeof(path), "%s/vectors-3x.jsonl", dir);
	n = each_line(path, run_vector);
	CHECK("3.x vectors present", n >= 30);
	jv_free(differ);
	return failed > 0;
}
