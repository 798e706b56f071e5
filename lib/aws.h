/* aws.h: AWS credentials and SigV4-signed requests over libcurl. */
#ifndef LP_AWS_H
#define LP_AWS_H

#include <curl/curl.h>

struct aws_creds {
	const char	*key_id;	/* AWS_ACCESS_KEY_ID */
	const char	*secret;	/* AWS_SECRET_ACCESS_KEY */
	const char	*token;		/* AWS_SESSION_TOKEN, may be NULL */
};

/*
 * Prepares a curl handle for a SigV4-signed request to service in region
 * (curl's CURLOPT_AWS_SIGV4, "aws:amz:REGION:SERVICE"), adding what curl
 * 7.88 leaves out: x-amz-content-sha256 (of body, n bytes; NULL = empty)
 * and x-amz-security-token. Headers are appended to *hdrs (the caller
 * sets CURLOPT_HTTPHEADER and frees the list). 0, or -1.
 */
int	aws_sign(CURL *, struct curl_slist **hdrs, const struct aws_creds *,
	    const char *region, const char *service, const void *body,
	    size_t n);
/* Lowercase hex SHA-256 of p (65 bytes with the NUL). */
void	aws_sha256_hex(const void *p, size_t n, char out[65]);
/* Appends s percent-encoded as SigV4 wants (unreserved kept; '/' kept
 * when keep_slash). */
struct buf;
void	aws_uri_encode(struct buf *, const char *s, size_t n, int keep_slash);

#endif
