/* secrets.h: values named by ARNs, as lambda-promtail resolves USERNAME,
 * PASSWORD and BEARER_TOKEN: a Secrets Manager secret (SecretString) or an
 * SSM parameter (SecureString decrypted), fetched with SigV4. */
#ifndef LP_SECRETS_H
#define LP_SECRETS_H

#include <curl/curl.h>
#include "aws.h"
#include "util.h"

/* endpoint_sm, endpoint_ssm: NULL for https://SERVICE.REGION.amazonaws.com
 * (.com.cn in aws-cn); cafile: NULL for libcurl's default; timeout_ms: per
 * attempt, 0 for 10 s. curl is the caller's, reused. */
struct secret_ctx {
	CURL			*curl;
	struct aws_creds	 creds;
	const char		*endpoint_sm;
	const char		*endpoint_ssm;
	const char		*cafile;
	long			 timeout_ms;
};

/* 1 when v is an ARN ("arn:..."), else 0. */
int	secret_is_arn(const char *v);
/*
 * Fetches the value the ARN names into out (replacing what it held;
 * NUL-terminated). 0, or -1 with a message in err that names the ARN and
 * the cause (HTTP status, AWS error type) but never the value. 5xx, 429
 * and connection errors are tried three times.
 */
int	secret_fetch(struct secret_ctx *, const char *arn, struct buf *out,
	    struct buf *err);

#endif
