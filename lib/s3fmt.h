/*
 * s3fmt.h: what an S3 object key says about the AWS log in it (type,
 * source, owner) and the per-format line and timestamp parsers.
 */
#ifndef LP_S3FMT_H
#define LP_S3FMT_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

/* How the lines of an object are read. */
enum s3fmt_parse {
	S3P_LB = 1,	/* ELB/ALB/NLB: the first ISO 8601 field of the 4 */
	S3P_VPC,	/* header line naming fields; time from "start" */
	S3P_CLOUDTRAIL,	/* {"Records":[...]}, one entry per record */
	S3P_CLOUDFRONT,	/* '#' headers; tab-separated date and time */
	S3P_WAF,	/* JSON lines, "timestamp" in epoch ms */
	S3P_GUARDDUTY,	/* JSON lines, updatedAt else createdAt */
	S3P_MSK,	/* [YYYY-MM-DD HH:MM:SS,mmm] broker log lines */
	S3P_ACCESS	/* S3 access logs, [06/Feb/2019:00:00:38 +0000] */
};

/*
 * What a key says. src and owner point into the key given to
 * s3key_parse (n == 0: none, the label is left out).
 */
struct s3key {
	const char	*log_type;	/* "s3_lb", ...; NULL when skipped */
	int		 parse;		/* enum s3fmt_parse */
	struct str	 src;		/* __aws_<type> */
	struct str	 owner;		/* __aws_<type>_owner */
	struct str	 service;	/* the AWSLogs service segment */
};

/*
 * Recognises a (URL-decoded) key. 0: known, *k filled; 1: an object to
 * skip on purpose (a CloudTrail digest); -1: *err says why not (no known
 * layout, or a format not supported such as Parquet flow logs).
 */
int	s3key_parse(const char *key, size_t n, struct s3key *k,
	    const char **err);

/* The state of one object's line parser. */
struct s3fmt {
	int		 parse;
	uint64_t	 obj_ns;	/* the object's time: the fallback */
	uint64_t	 last_ns;	/* the last time read from a line */
	uint64_t	 lines;		/* lines seen, headers included */
	uint64_t	 no_ts;		/* lines with no usable time */
	int		 start_col;	/* VPC: index of "start", or -1 */
	int		 header_done;
};

void	s3fmt_init(struct s3fmt *, int parse, uint64_t obj_ns);
/*
 * One line of the object (no '\n', a trailing '\r' already removed).
 * 1: emit it with *ns; 0: a header or empty line, skip it. A line whose
 * time is missing or bad gets the object's time and is counted in no_ts
 * (an MSK continuation line gets the time of the line before it).
 */
int	s3fmt_line(struct s3fmt *, const char *p, size_t n, uint64_t *ns);

/*
 * CloudTrail's {"Records":[...]} read in pieces as they arrive: each
 * record is collected (whitespace outside strings removed, bytes
 * otherwise as in the file) and passed to rec(arg, p, n, ns), ns from
 * its eventTime (else fallback). Records longer than max are skipped and
 * counted in too_long.
 */
struct ctsplit {
	struct buf	 rec;		/* the record being collected */
	size_t		 max;
	uint64_t	 fallback_ns;
	uint64_t	 too_long;
	uint64_t	 no_ts;
	uint64_t	 records;
	int		 depth;		/* JSON nesting, 0 outside */
	int		 in_str, esc;
	int		 in_records;	/* inside the Records array */
	int		 skipping;	/* the record is over max */
	int		 saw_top;	/* the top-level '{' was read */
	struct buf	 key;		/* the last top-level string */
	const char	*err;
};

void	ctsplit_init(struct ctsplit *, size_t max, uint64_t fallback_ns);
/* 0, -1 (rec returned -1: stop), or -2 with err (not CloudTrail JSON). */
int	ctsplit_feed(struct ctsplit *, const char *p, size_t n,
	    int (*rec)(void *, const char *, size_t, uint64_t), void *arg);
/* At the end of the object: 0, or -2 with err (truncated JSON). */
int	ctsplit_finish(struct ctsplit *);
void	ctsplit_free(struct ctsplit *);

/* Timestamp parsers; each returns 0 and *ns, or -1. */
/* 2022-12-06T17:42:16.176563Z, 2018-12-20T02:59:40 (no zone: UTC),
 * +hh:mm / -hh:mm offsets. */
int	ts_iso8601(const char *, size_t, uint64_t *ns);
/* 06/Feb/2019:00:00:38 +0000 */
int	ts_clf(const char *, size_t, uint64_t *ns);
/* 2025-07-04 11:57:55,836 (MSK), or with '\t' or '.' (CloudFront) */
int	ts_datetime(const char *, size_t, uint64_t *ns);
/* Unix time in s, ms, us or ns, told apart by the number of digits (as
 * lambda-promtail: the first 10 digits are seconds). */
int	ts_epoch_digits(const char *, size_t, uint64_t *ns);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t	days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
