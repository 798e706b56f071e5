/* goregex.h: Go's regexp.Regexp (RE2 syntax, leftmost-first matching,
 * Expand templates) on PCRE2 with JIT, and Go's strings.ToUpper/ToLower:
 * for relabel_configs and Promtail's pipeline stages. */
#ifndef LP_GOREGEX_H
#define LP_GOREGEX_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

/*
 * re_compile takes an RE2 pattern (not anchored by it) and returns NULL
 * with a reason in err, in Go's words, for what Go rejects (and for what
 * PCRE2 would read differently: backreferences, lookaround, atomic and
 * possessive forms, \K, counts over 1000). Subjects must be valid UTF-8
 * (an invalid one does not match).
 */
struct re;
struct re *re_compile(const char *pat, size_t n, char *err, size_t errlen);
void	re_free(struct re *);
/* Number of capturing groups (without the whole match). */
uint32_t re_ngroups(const struct re *);
/* Name of group i (1..ngroups), or NULL when it has none. */
const char *re_name(const struct re *, uint32_t i);
/* 1 when s matches somewhere (Go's MatchString), 0 when not. */
int	re_match(struct re *, const char *s, size_t n);
/*
 * Leftmost match at or after byte start (a character boundary). Returns
 * 1 and *ov pointing to 2 * (ngroups + 1) offsets (unset groups are
 * SIZE_MAX; owned by re, valid until the next call on re), 0 when there
 * is none, -1 on a matching error (PCRE2's resource limits).
 */
int	re_find(struct re *, const char *s, size_t n, size_t start,
	    const size_t **ov);
/* Matching errors so far (each taken as no match; Go's RE2 has none). */
uint64_t re_errors(const struct re *);
/* Appends the RE2 quoting of s (Go's regexp.QuoteMeta). */
void	re_quote(struct buf *, const char *s, size_t n);

/* Go's ReplaceAllString(s, tmpl): appends the result to out. */
void	re_replace_all(struct re *, const char *s, size_t n,
	    const char *tmpl, size_t tn, struct buf *out);
/* Go's ReplaceAllLiteralString(s, lit): appends the result to out. */
void	re_replace_literal(struct re *, const char *s, size_t n,
	    const char *lit, size_t ln, struct buf *out);
/* FindStringSubmatchIndex + ExpandString: 1 and the expansion appended to
 * out when s matches, else 0 (out unchanged). re_replace_all and
 * re_expand keep the last template they parsed in re, for the next call. */
int	re_expand(struct re *, const char *s, size_t n, const char *tmpl,
	    size_t tn, struct buf *out);

/* A replacement template parsed once, as Go's Regexp.expand reads it,
 * for one compiled regexp's groups. */
struct re_piece {
	int		 grp;	/* -2: literal text; -1: empty; >= 0 */
	size_t		 off, n;	/* literal: bytes of the template */
};
struct re_tmpl {
	char		*text;	/* a copy of the template */
	size_t		 n;
	struct re_piece	*p;
	size_t		 np;
	int		 has_var;	/* contains '$' */
};
/* Parses s (n bytes) for re's groups (re NULL: every reference is
 * empty); free with re_tmpl_free. */
void	re_tmpl_parse(struct re_tmpl *, const struct re *, const char *s,
	    size_t n);
void	re_tmpl_free(struct re_tmpl *);
/* Appends the expansion of t for a match on s; ov as re_find gives it. */
void	re_tmpl_expand(const struct re_tmpl *, const char *s,
	    const size_t *ov, struct buf *out);
/* Go's ReplaceAllString with a parsed template: appends to out. */
void	re_tmpl_replace_all(struct re *, const char *s, size_t n,
	    const struct re_tmpl *, struct buf *out);

/* Go's strings.ToUpper / ToLower (simple per-character mapping), appended
 * to out; an invalid UTF-8 byte becomes U+FFFD. */
void	case_upper(struct buf *out, const char *s, size_t n);
void	case_lower(struct buf *out, const char *s, size_t n);

#endif
