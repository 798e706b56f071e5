/*
 * aws.c: SigV4-signed requests over libcurl.
 *
 * libcurl 7.88 signs with CURLOPT_AWS_SIGV4 but leaves three things to
 * the caller: the x-amz-content-sha256 header (S3 refuses a request
 * without it), x-amz-security-token (temporary credentials, as Lambda
 * has) and the order of query parameters (curl signs them as given, so
 * callers build them sorted). Headers added here are signed by curl,
 * which signs every header the request carries.
 */
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "util.h"
#include "aws.h"

static const char hexdig[] = "0123456789abcdef";

void
aws_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1 ||
	    len != 32) {
		/* not reachable with a working libcrypto */
		memset(out, '0', 64);
		out[64] = '\0';
		return;
	}
	for (i = 0; i < 32; i++) {
		out[2 * i] = hexdig[md[i] >> 4];
		out[2 * i + 1] = hexdig[md[i] & 15];
	}
	out[64] = '\0';
}

void
aws_uri_encode(struct buf *b, const char *s, size_t n, int keep_slash)
{
	static const char up[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (c == '/' && keep_slash)) {
			buf_putc(b, (char)c);
		} else {
			char e[3];

			e[0] = '%';
			e[1] = up[c >> 4];
			e[2] = up[c & 15];
			buf_put(b, e, 3);
		}
	}
}

/* Appends "name: value" to the list; 0 or -1. */
static int
add_header(struct curl_slist **hdrs, const char *name, const char *value)
{
	struct buf h = { 0 };
	struct curl_slist *l;

	buf_puts(&h, name);
	buf_puts(&h, ": ");
	buf_puts(&h, value);
	l = curl_slist_append(*hdrs, buf_cstr(&h));
	buf_free(&h);
	if (l == NULL)
		return -1;
	*hdrs = l;
	return 0;
}

int
aws_sign(CURL *c, struct curl_slist **hdrs, const struct aws_creds *cr,
    const char *region, const char *service, const void *body, size_t n)
{
	struct buf prov = { 0 };
	char hash[65];
	int rc = -1;

	if (cr == NULL || cr->key_id == NULL || cr->secret == NULL ||
	    region == NULL || service == NULL)
		return -1;
	buf_puts(&prov, "aws:amz:");
	buf_puts(&prov, region);
	buf_putc(&prov, ':');
	buf_puts(&prov, service);
	aws_sha256_hex(body != NULL ? body : "", body != NULL ? n : 0, hash);
	if (curl_easy_setopt(c, CURLOPT_AWS_SIGV4, buf_cstr(&prov)) !=
	    CURLE_OK)
		goto out;
	if (curl_easy_setopt(c, CURLOPT_USERNAME, cr->key_id) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PASSWORD, cr->secret) != CURLE_OK)
		goto out;
	if (add_header(hdrs, "x-amz-content-sha256", hash) == -1)
		goto out;
	if (cr->token != NULL && cr->token[0] != '\0' &&
	    add_header(hdrs, "x-amz-security-token", cr->token) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&prov);
	return rc;
}
