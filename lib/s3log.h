/* s3log.h: S3-stored AWS logs — fetch an object and turn it into entries. */
#ifndef LP_S3LOG_H
#define LP_S3LOG_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"
#include "entry.h"
#include "aws.h"

/* Called for each log line of an object, in order. labels stay valid
 * and unchanged for the whole object (so the caller can cache their
 * rendering). Returns 0 to go on, -1 to stop (a write error). */
typedef int (*s3log_emit_fn)(void *arg, uint64_t ts,
    const struct label *labels, size_t nlabels, struct str line);

struct s3log;		/* a fetcher: one curl handle kept alive */

struct s3log_conf {
	struct aws_creds creds;
	const char	*region;	/* default when a record has none */
	const char	*endpoint;	/* AWS_ENDPOINT_URL(_S3); NULL: AWS */
	size_t		 max_line;	/* longer lines: skipped, an error */
	const char	*ca_file;	/* CA bundle for https; NULL: curl's */
};
/* (Zero the whole struct first: fields may be added at the end.) */

/* NULL with *err when the configuration is unusable. */
struct s3log *s3log_new(const struct s3log_conf *, const char **err);
void	s3log_free(struct s3log *);

/*
 * Fetches s3://bucket/key (key already URL-decoded) and emits its lines.
 * region may be NULL (the default is used). Returns 0 when the whole
 * object was read, 1 when it was skipped on purpose (a CloudTrail digest),
 * -1 with a message in errbuf naming bucket, key and cause (HTTP status,
 * unknown key layout, truncated gzip, ...). Lines emitted before an error
 * stay emitted. On 0, errbuf is empty or holds a notice worth a warning
 * (lines without a time of their own were given the object's time).
 */
int	s3log_fetch(struct s3log *, const char *bucket, const char *key,
	    const char *region, s3log_emit_fn, void *arg, char *errbuf,
	    size_t errlen);
/*
 * Appends the GetObject URL: ENDPOINT/BUCKET/KEY (path style) when an
 * endpoint is given (no trailing '/'), else https://BUCKET.s3.REGION.
 * amazonaws.com/KEY, or path style on s3.REGION... for bucket names that
 * cannot be a TLS host label. Bucket and key are URI-encoded for SigV4.
 */
void	s3log_url(struct buf *, const char *endpoint, const char *bucket,
	    const char *key, const char *region);
/* The same for a local file read as if it were that object. */
int	s3log_file(const char *path, const char *bucket, const char *key,
	    size_t max_line, s3log_emit_fn, void *arg, char *errbuf,
	    size_t errlen);

#endif
