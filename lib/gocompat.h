/* gocompat.h: the Go behaviours that Promtail's pipeline stages expose to
 * their users — regexp (RE2) syntax, time layouts and durations, number
 * formatting, byte sizes — re-done in C for the transform stage. */
#ifndef LP_GOCOMPAT_H
#define LP_GOCOMPAT_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

/*
 * Go's regexp on PCRE2 (JIT). gore_compile takes an RE2 pattern and
 * returns NULL with a reason in err for what Go would reject or what
 * PCRE2 would read differently (backreferences, lookaround, atomic and
 * possessive forms, \K, \h, \R, recursion, callouts, counts over 1000).
 * Matching is leftmost-first, as Go's. Subjects must be valid UTF-8 (the
 * stream's strings are): an invalid one does not match. (Not
 * PCRE2_MATCH_INVALID_UTF: with JIT, PCRE2 10.42 then fails \W on U+00C9.)
 */
struct gore;
struct gore *gore_compile(const char *pat, size_t n, char *err,
	    size_t errlen);
void	gore_free(struct gore *);
/* Number of capturing groups (without the whole match). */
uint32_t gore_ngroups(const struct gore *);
/* Name of group i (1..ngroups), or NULL when it has none. */
const char *gore_name(const struct gore *, uint32_t i);
/*
 * Leftmost match at or after byte start. Returns 1 and *ov pointing to
 * 2 * (ngroups + 1) offsets (unset groups are SIZE_MAX; owned by g, valid
 * until the next call), 0 when there is none, -1 on a matching error
 * (resource limits).
 */
int	gore_exec(struct gore *, const char *s, size_t n, size_t start,
	    const size_t **ov);
/* Go's MatchString. */
int	gore_match(struct gore *, const char *s, size_t n);
/* Appends the RE2 quoting of s (regexp.QuoteMeta). */
void	gore_quote(struct buf *, const char *s, size_t n);

/* time.ParseDuration: 0 and *ns, or -1. */
int	go_duration(const char *s, size_t n, int64_t *ns);
/* go-humanize's ParseBytes ("50", "1.5 MB", "2KiB"): 0 or -1. */
int	go_bytes(const char *s, uint64_t *v);
/* strconv.FormatFloat(v, 'f', -1, 64), appended. */
void	go_float(struct buf *, double v);

/*
 * Time formats as Promtail's timestamp stage takes them: RFC3339,
 * RFC3339Nano, ANSIC, UnixDate, RubyDate, RFC822, RFC822Z, RFC850,
 * RFC1123, RFC1123Z, Unix, UnixMs, UnixUs, UnixNs, or a Go reference
 * layout ("2006-01-02 15:04:05.000"). location is an IANA zone name
 * (NULL: UTC, as time.Parse). gotime_new returns NULL with a reason.
 */
struct gotime;
struct gotime *gotime_new(const char *format, const char *location,
	    char *err, size_t errlen);
void	gotime_free(struct gotime *);
/* Parses s: 0 and *ns (Unix nanoseconds), or -1 (not in the format, out
 * of range, or before 1970). now_ns is used for layouts without a year. */
int	gotime_parse(struct gotime *, const char *s, size_t n, int64_t now,
	    int64_t *ns);

#endif
