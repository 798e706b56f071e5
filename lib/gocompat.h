/* gocompat.h: the Go behaviours that Promtail's pipeline stages expose to
 * their users — time layouts and durations, number formatting, byte
 * sizes — re-done in C for the transform stage (Go's regexp is in
 * goregex.h). */
#ifndef LP_GOCOMPAT_H
#define LP_GOCOMPAT_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

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
