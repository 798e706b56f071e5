/* relabel.h: EXTRA_LABELS, DROP_LABELS and Prometheus relabel_configs
 * (DESIGN.md §2-3), applied to one label set at a time. */
#ifndef LP_RELABEL_H
#define LP_RELABEL_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"
#include "entry.h"

struct relabel;		/* compiled settings and rules */

struct relabel_conf {
	const char	*extra;		/* EXTRA_LABELS "n1,v1,..."; NULL */
	int		 omit_prefix;	/* OMIT_EXTRA_LABELS_PREFIX */
	const char	*drop;		/* DROP_LABELS "n1,n2"; NULL: none */
	const char	*rules;		/* RELABEL_CONFIGS JSON; NULL: none */
	size_t		 rules_len;
	const char	*rules_from;	/* for messages; NULL: the env */
};

/*
 * Parses and compiles everything (regexes with PCRE2 JIT, once). Returns
 * NULL with a reason in err (naming the setting and the rule number, from
 * 1) when a setting is invalid or would be rejected by Prometheus.
 */
struct relabel *relabel_new(const struct relabel_conf *, char *err,
	    size_t errlen);
void	relabel_free(struct relabel *);
/* Number of rules loaded. */
size_t	relabel_nrules(const struct relabel *);

/*
 * Applies the three steps to in (nin labels, any order, no duplicates).
 * Returns 1 with *out and *nout set to the result, sorted by name (owned by
 * r, valid until the next relabel_apply), or 0 when the entry is dropped on
 * purpose (a keep/drop rule, or no label left). Allocates only while its
 * reused storage grows.
 */
int	relabel_apply(struct relabel *, const struct label *in, size_t nin,
	    const struct label **out, size_t *nout);

/*
 * Reports, once per rule: 1, a rule produced a label name that Loki would
 * refuse (not set; *name is it, valid until the next relabel_apply); 2, a
 * match gave up on PCRE2's limits (taken as no match; Go's RE2 has none).
 * *rule is the rule's number, from 1. 0 when nothing is pending.
 */
int	relabel_warning(struct relabel *, size_t *rule, struct str *name);

#endif
