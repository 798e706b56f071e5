/* lstage.h: Promtail pipeline stages (LOKI_STAGE_CONFIGS) and jq programs
 * applied to one entry at a time, for the transform stage. */
#ifndef LP_LSTAGE_H
#define LP_LSTAGE_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"
#include "entry.h"

struct lstage;

/*
 * Compiles a LOKI_STAGE_CONFIGS value: a JSON array of one-key objects
 * ({"json": {...}}), Promtail's stage names and option names. text may be
 * NULL (no stages). Every regex, template, layout and path is compiled
 * here. Returns NULL with a reason in err (naming the stage, from 1, and
 * the option) for invalid JSON, an unknown stage or option, or a value
 * Promtail would refuse.
 */
struct lstage *lstage_new(const char *text, size_t n, char *err,
	    size_t errlen);
/*
 * Appends a jq program, run after the Loki stages and the programs added
 * before it. It gets {"ts":"...","labels":{...},"line":"...","meta":{...}}
 * and may output zero, one or several such objects. 0, or -1 with the
 * compiler's message in err.
 */
int	lstage_add_jq(struct lstage *, const char *prog, char *err,
	    size_t errlen);
void	lstage_free(struct lstage *);
/* Stages and programs loaded (0: entries pass through untouched). */
size_t	lstage_count(const struct lstage *);

/* Receives each entry that comes out; the arrays are valid during the
 * call only. */
typedef void lstage_emit_fn(void *ctx, uint64_t ts, const struct label *,
	    size_t nlabels, struct str line, const struct label *meta,
	    size_t nmeta);

/*
 * Runs one entry (an REC_ENTRY from rec_parse) through everything. now is
 * the wall clock in Unix nanoseconds (drop older_than, layouts without a
 * year). Returns the number of entries emitted (0: dropped on purpose by
 * a stage or a program), or -1 when a jq program failed or output
 * something that is not an entry; lstage_error() then says why. Entries
 * emitted before the failure stay emitted.
 */
int	lstage_run(struct lstage *, const struct rec *, int64_t now,
	    lstage_emit_fn *, void *ctx);
/* The reason for the last -1 from lstage_run (static storage). */
const char *lstage_error(const struct lstage *);
/* Entries dropped by drop and match stages, by drop_counter_reason:
 * calls fn for each reason with its count (for the final log line). */
void	lstage_drops(const struct lstage *, void (*fn)(void *, const char *,
	    uint64_t), void *ctx);

#endif
