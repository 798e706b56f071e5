/* secrets.c: Secrets Manager GetSecretValue and SSM GetParameter over
 * libcurl, signed with aws_sign(). Both are JSON-1.1 POSTs to "/" with an
 * X-Amz-Target header; both accept the full ARN as the name. */
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "aws.h"
#include "json.h"
#include "secrets.h"
#include "util.h"

/* An answer bigger than this is not a secret (Secrets Manager caps a
 * value at 64 KiB, SSM at 8 KiB). */
#define ANSWER_MAX	(1024 * 1024)

struct arn {
	struct str	 partition, service, region;
};

int
secret_is_arn(const char *v)
{
	return v != NULL && strncmp(v, "arn:", 4) == 0;
}

/* arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE */
static int
arn_parse(const char *s, struct arn *a)
{
	struct str f[5];
	const char *p, *q;
	int i;

	p = s + 4;
	for (i = 0; i < 4; i++) {
		q = strchr(p, ':');
		if (q == NULL)
			return -1;
		f[i].p = p;
		f[i].n = (size_t)(q - p);
		p = q + 1;
	}
	if (*p == '\0')
		return -1;
	a->partition = f[0];
	a->service = f[1];
	a->region = f[2];	/* may be empty (S3): checked by the caller */
	return a->partition.n == 0 ? -1 : 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + n > ANSWER_MAX)
		return 0;
	buf_put(b, p, size * n);
	return size * n;
}

/* Finds the string at "SecretString" or "Parameter"."Value". */
static int
answer_value(const char *p, size_t n, struct buf *out)
{
	struct buf scratch = { 0 };
	struct jr j;
	struct str k, v;
	int r, depth, found;

	found = 0;
	jr_init(&j, p, n, &scratch);
	if (jr_obj(&j) == -1)
		goto done;
	depth = 0;
	for (;;) {
		r = jr_next(&j, &k);
		if (r == -1)
			goto done;
		if (r == 0) {
			if (depth == 0)
				break;
			depth--;
			continue;
		}
		if ((depth == 0 && str_eq(k, "SecretString")) ||
		    (depth == 1 && str_eq(k, "Value"))) {
			if (jr_str(&j, &v) == -1)
				goto done;
			out->len = 0;
			buf_put(out, v.p, v.n);
			found = 1;
		} else if (depth == 0 && str_eq(k, "Parameter")) {
			if (jr_obj(&j) == -1)
				goto done;
			depth++;
		} else if (jr_skip(&j, NULL) == -1)
			goto done;
	}
done:
	buf_free(&scratch);
	return found ? 0 : -1;
}

/* The AWS error type and message of a 4xx/5xx answer, for err. */
static void
answer_error(const char *p, size_t n, struct buf *err)
{
	struct buf scratch = { 0 };
	struct jr j;
	struct str k, v;
	int r;

	jr_init(&j, p, n, &scratch);
	if (jr_obj(&j) == -1)
		goto done;
	for (;;) {
		r = jr_next(&j, &k);
		if (r != 1)
			break;
		if (str_eq(k, "__type") || str_eq(k, "message") ||
		    str_eq(k, "Message")) {
			if (jr_str(&j, &v) == -1)
				break;
			buf_puts(err, ": ");
			buf_put(err, v.p, v.n > 300 ? 300 : v.n);
		} else if (jr_skip(&j, NULL) == -1)
			break;
	}
done:
	buf_free(&scratch);
}

int
secret_fetch(struct secret_ctx *c, const char *arnstr, struct buf *out,
    struct buf *err)
{
	struct arn a;
	struct buf url = { 0 }, body = { 0 }, ans = { 0 }, region = { 0 };
	struct buf svc = { 0 };
	struct curl_slist *hdrs;
	const char *target, *endpoint;
	long status;
	CURLcode cr;
	int attempt, ret;

	ret = -1;
	err->len = 0;
	hdrs = NULL;
	if (!secret_is_arn(arnstr) || arn_parse(arnstr, &a) == -1) {
		buf_puts(err, "not a valid ARN: ");
		buf_puts(err, arnstr);
		return -1;
	}
	buf_put(&region, a.region.p, a.region.n);
	buf_put(&svc, a.service.p, a.service.n);
	if (str_eq(a.service, "secretsmanager")) {
		target = "X-Amz-Target: secretsmanager.GetSecretValue";
		endpoint = c->endpoint_sm;
		buf_puts(&body, "{\"SecretId\":");
		jw_str(&body, arnstr, strlen(arnstr));
		buf_putc(&body, '}');
	} else if (str_eq(a.service, "ssm")) {
		target = "X-Amz-Target: AmazonSSM.GetParameter";
		endpoint = c->endpoint_ssm;
		buf_puts(&body, "{\"Name\":");
		jw_str(&body, arnstr, strlen(arnstr));
		buf_puts(&body, ",\"WithDecryption\":true}");
	} else {
		buf_puts(err, arnstr);
		buf_puts(err, ": unsupported service ");
		buf_put(err, a.service.p, a.service.n);
		buf_puts(err, " (secretsmanager or ssm)");
		goto out;
	}
	if (a.region.n == 0) {
		buf_puts(err, "not a valid ARN (no region): ");
		buf_puts(err, arnstr);
		goto out;
	}
	if (endpoint != NULL && *endpoint != '\0') {
		buf_puts(&url, endpoint);
		if (url.len == 0 || url.p[url.len - 1] != '/')
			buf_putc(&url, '/');
	} else {
		buf_puts(&url, "https://");
		buf_put(&url, a.service.p, a.service.n);
		buf_putc(&url, '.');
		buf_put(&url, a.region.p, a.region.n);
		buf_puts(&url, str_eq(a.partition, "aws-cn") ?
		    ".amazonaws.com.cn/" : ".amazonaws.com/");
	}
	if (c->creds.key_id == NULL || c->creds.secret == NULL) {
		buf_puts(err, arnstr);
		buf_puts(err, ": no AWS credentials (AWS_ACCESS_KEY_ID, "
		    "AWS_SECRET_ACCESS_KEY)");
		goto out;
	}
	for (attempt = 0; attempt < 3; attempt++) {
		curl_easy_reset(c->curl);
		curl_slist_free_all(hdrs);
		hdrs = NULL;
		ans.len = 0;
		err->len = 0;
		hdrs = curl_slist_append(hdrs,
		    "Content-Type: application/x-amz-json-1.1");
		hdrs = curl_slist_append(hdrs, target);
		if (hdrs == NULL || aws_sign(c->curl, &hdrs, &c->creds,
		    buf_cstr(&region), buf_cstr(&svc), body.p,
		    body.len) == -1) {
			buf_puts(err, arnstr);
			buf_puts(err, ": cannot sign the request");
			goto out;
		}
		curl_easy_setopt(c->curl, CURLOPT_URL, buf_cstr(&url));
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body.p);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE,
		    (long)body.len);
		curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &ans);
		curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS,
		    c->timeout_ms > 0 ? c->timeout_ms : 10000L);
		if (c->cafile != NULL)
			curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->cafile);
		cr = curl_easy_perform(c->curl);
		status = 0;
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
		buf_puts(err, arnstr);
		if (cr != CURLE_OK) {
			buf_puts(err, ": ");
			buf_puts(err, curl_easy_strerror(cr));
		} else if (status / 100 == 2) {
			if (answer_value(ans.p, ans.len, out) == 0) {
				buf_cstr(out);
				err->len = 0;
				ret = 0;
				goto out;
			}
			buf_puts(err, ": answer has no SecretString or "
			    "Parameter.Value");
			goto out;
		} else {
			buf_puts(err, ": HTTP ");
			buf_putu64(err, (uint64_t)status);
			answer_error(ans.p, ans.len, err);
			if (status / 100 == 4 && status != 429)
				goto out;
		}
		nanosleep(&(struct timespec){ 0, 200000000L * (attempt + 1) },
		    NULL);
	}
out:
	curl_slist_free_all(hdrs);
	buf_free(&url);
	buf_free(&body);
	buf_free(&ans);
	buf_free(&region);
	buf_free(&svc);
	buf_cstr(err);
	return ret;
}
