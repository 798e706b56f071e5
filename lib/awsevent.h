/* awsevent.h: what AWS hands a Lambda function, recognised by its shape
 * and turned into log lines (CloudWatch Logs, Kinesis, S3 notifications,
 * EventBridge, SQS and SNS, nested). */
#ifndef LP_AWSEVENT_H
#define LP_AWSEVENT_H

#include <stddef.h>
#include <stdint.h>
#include <jv.h>
#include "util.h"
#include "entry.h"
#include "s3log.h"

/*
 * Called for each log line, in order. same is 1 when labels hold the same
 * names and values as in the previous call (the caller may reuse their
 * rendering), 0 otherwise. labels and line are valid for the call only.
 * Returns 0 to go on, -1 to stop (a write error).
 */
typedef int (*awsev_emit_fn)(void *arg, uint64_t ts, const struct label *,
    size_t nlabels, int same, struct str line);
/* Called once for each reason added to errs (for the stage's log). */
typedef void (*awsev_warn_fn)(void *arg, const char *reason);

struct awsev {
	/* set by the caller */
	int		 keep_stream;	/* __aws_cloudwatch_log_stream */
	struct s3log	*s3;		/* NULL: S3 records are errors */
	const char	*s3_err;	/* why s3 is NULL, for the message */
	const char	*prefix;	/* of each reason: "aws-decode: " */
	struct errs	*errs;		/* reasons go here */
	awsev_emit_fn	 emit;
	awsev_warn_fn	 warn;		/* may be NULL */
	awsev_warn_fn	 note;		/* a notice that is not an error
					 * (an S3 object read with one);
					 * may be NULL */
	void		*arg;
	/* counters, for the caller's log */
	uint64_t	 events, lines, errors;
	uint64_t	 skipped;	/* S3 records of deleted objects */
	/* internal */
	struct buf	 ctx;		/* "sqs:ID: " etc. of nested records */
	struct buf	 bin, text, scratch, scratch2, tmp, vscratch, kpl;
	struct label	 lab[8];
	size_t		 nlab;
	int		 lab_fresh;
	int		 depth;
	int		 stop;
};

/* Zeroes what is internal; set the caller's fields after. */
void	awsev_init(struct awsev *);
void	awsev_free(struct awsev *);
/*
 * Decodes one event (consumed). Returns 0 when everything in it was
 * turned into lines (or skipped on purpose: a CloudWatch control message,
 * the S3 test event), 1 when at least one reason was added to errs (the
 * rest of the event was still decoded), -1 when emit asked to stop.
 */
int	awsev_decode(struct awsev *, jv event);
/* The same for the JSON text of one or more events (whitespace between);
 * text that is not JSON adds a reason. */
int	awsev_decode_text(struct awsev *, const char *p, size_t n);

/*
 * Gathers one JSON document from the lines it spans (a pretty-printed
 * event in a file), following nesting outside strings; a value alone on
 * its line is handed back in place. max caps a document: a bigger one is
 * reported once (AWSEV_DOC_OVER) and skipped to its end. first is the
 * line number of the document's first line, for messages.
 */
struct awsev_doc {
	struct buf	 acc;
	size_t		 max;
	long		 depth;
	int		 instr, esc, started, over;
	uint64_t	 first;
};
enum { AWSEV_DOC_MORE = 0, AWSEV_DOC_READY = 1, AWSEV_DOC_OVER = 2 };

/* Feeds a line (without its '\n'). AWSEV_DOC_READY: *doc is a whole
 * document (or what was there when a string ran past the line: broken),
 * valid until the next call. */
int	awsev_doc_line(struct awsev_doc *, const char *p, size_t n,
	    uint64_t lineno, struct str *doc);
/* Drops a document in progress; 1 when there was one to report
 * (unfinished), 0 when none or when it was reported as over the cap. */
int	awsev_doc_abandon(struct awsev_doc *);
/* At the end of input: AWSEV_DOC_READY and *doc when an unfinished
 * document is held (the decoder then names what is missing). */
int	awsev_doc_end(struct awsev_doc *, struct str *doc);
void	awsev_doc_free(struct awsev_doc *);

/* URL-decodes an S3 object key as S3 notifications carry it ('+' is a
 * space, %XX a byte), appending to out. 0, or -1 for a bad %-escape. */
int	awsev_url_decode(struct buf *out, const char *s, size_t n);
/* RFC 3339 time ("2023-08-25T17:41:58Z", fractions, offsets) to Unix
 * nanoseconds. 0, or -1 when it is not one. */
int	awsev_rfc3339(const char *s, size_t n, uint64_t *ns);

#endif
