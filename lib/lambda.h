/* lambda.h: what the Lambda head of the pipeline needs besides HTTP: the
 * event compactor, acks and crash notices, and the response bodies. */
#ifndef LP_LAMBDA_H
#define LP_LAMBDA_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

/*
 * Appends the JSON document p (n bytes) to out on one line: whitespace
 * outside strings is dropped, raw control bytes inside strings (invalid
 * JSON, but they would break the line framing) become \u00XX escapes.
 * Nothing else is checked: aws-decode judges the event. Returns 0, or -1
 * when a string is left open at the end (out still holds the text).
 */
int	lambda_compact(struct buf *out, const char *p, size_t n);

/* A line read from the ack FIFO: an ack from loki-push, or a crash
 * notice {"crash":"relabel","status":256,"signal":9} from a finish
 * script. Strings point into the line or into scratch. */
enum { LA_ACK = 1, LA_CRASH = 2 };
struct lambda_ack {
	int		 kind;
	struct str	 token;		/* LA_ACK */
	int		 ok;
	struct str	 error;
	uint64_t	 entries, bytes;
	struct str	 stage;		/* LA_CRASH */
	uint64_t	 status, sig;
};
/* Returns LA_ACK or LA_CRASH, or -1 with *err set (a static message). */
int	lambda_ack_parse(const char *p, size_t n, struct buf *scratch,
	    struct lambda_ack *, const char **err);
/* Appends a crash notice line (with its '\n'). */
void	lambda_crash_write(struct buf *, const char *stage, uint64_t status,
	    uint64_t sig);

/*
 * Partial batch failures. err is an ack's error: reasons joined by "; ".
 * When every reason names an item ("sqs:<messageId>: ..." or
 * "kinesis:<sequenceNumber>: ...", optionally after "aws-decode: "),
 * appends {"batchItemFailures":[{"itemIdentifier":"..."},...]} (each item
 * once) to out and returns the number of items. Returns -1, out untouched,
 * when any reason cannot be tied to an item (then the whole event fails).
 */
int	lambda_item_failures(struct buf *out, struct str err);

/* Appends {"errorMessage":"...","errorType":"..."}. */
void	lambda_error_body(struct buf *, const char *type, struct str msg);

#endif
