/*
 * s3log.c: S3-stored AWS logs, fetched and decoded as the bytes arrive.
 *
 * The chain, all in the curl write callback: raw bytes -> gzip detected
 * by its magic (S3 access logs are plain) -> gz_feed (members back to
 * back) -> line splitter (or CloudTrail's record splitter) -> the
 * format's time parser -> emit. Complete lines are passed on from the
 * inflated piece itself; only a line cut by a piece boundary is copied,
 * into a buffer capped at max_line, so memory does not grow with the
 * object.
 *
 * A transfer cut short (reset, timeout, truncated body) is resumed with
 * "Range: bytes=N-" and "If-Match: <ETag>" where it stopped, so the
 * decoder sees every byte exactly once; 5xx and 429 are retried with
 * backoff. Lines emitted before a final error stay emitted.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "util.h"
#include "entry.h"
#include "gz.h"
#include "aws.h"
#include "s3fmt.h"
#include "s3log.h"

#define DEFAULT_MAX_LINE	(1024 * 1024)
#define ATTEMPTS		4

struct s3log {
	CURL		*c;
	char		*key_id, *secret, *token;
	char		*region;
	char		*endpoint;	/* without a trailing '/' */
	char		*ca_file;
	size_t		 max_line;
};

/* The decoder of one object. */
struct dec {
	struct s3key	 k;
	struct label	 labels[3];
	size_t		 nlabels;
	struct buf	 names;
	s3log_emit_fn	 emit;
	void		*arg;
	uint64_t	 obj_ns;
	int		 started;
	unsigned char	 head[4];
	size_t		 nhead;
	int		 gzip;
	struct gz	 gz;
	struct s3fmt	 fmt;
	struct ctsplit	 ct;
	struct buf	 carry;		/* a line cut by a piece boundary */
	size_t		 max_line;
	int		 skip_long;	/* inside a line over the cap */
	uint64_t	 too_long;
	uint64_t	 bytes_in;	/* raw bytes fed so far */
	int		 stopped;	/* emit returned -1 */
	const char	*err;		/* the data is bad */
};

/* ---- decoding ---- */

static void
dec_init(struct dec *d, const struct s3key *k, size_t max_line,
    s3log_emit_fn emit, void *arg)
{
	size_t tl, off_src, off_own;

	memset(d, 0, sizeof(*d));
	d->k = *k;
	d->emit = emit;
	d->arg = arg;
	d->max_line = max_line ? max_line : DEFAULT_MAX_LINE;
	/* "__aws_<type>" and "__aws_<type>_owner", made once */
	tl = strlen(k->log_type);
	buf_puts(&d->names, "__aws_log_type");
	off_src = d->names.len;
	buf_puts(&d->names, "__aws_");
	buf_puts(&d->names, k->log_type);
	off_own = d->names.len;
	buf_puts(&d->names, "__aws_");
	buf_puts(&d->names, k->log_type);
	buf_puts(&d->names, "_owner");
	d->labels[0].name.p = d->names.p;
	d->labels[0].name.n = 14;
	d->labels[0].value.p = k->log_type;
	d->labels[0].value.n = tl;
	d->nlabels = 1;
	/* empty values are left out: Loki drops them anyway */
	if (k->src.n > 0) {
		d->labels[d->nlabels].name.p = d->names.p + off_src;
		d->labels[d->nlabels].name.n = 6 + tl;
		d->labels[d->nlabels].value = k->src;
		d->nlabels++;
	}
	if (k->owner.n > 0) {
		d->labels[d->nlabels].name.p = d->names.p + off_own;
		d->labels[d->nlabels].name.n = 12 + tl;
		d->labels[d->nlabels].value = k->owner;
		d->nlabels++;
	}
}

static void
dec_free(struct dec *d)
{
	if (d->gzip)
		gz_free(&d->gz);
	if (d->k.parse == S3P_CLOUDTRAIL)
		ctsplit_free(&d->ct);
	buf_free(&d->carry);
	buf_free(&d->names);
}

static int
emit_line(struct dec *d, const char *p, size_t n)
{
	uint64_t ns;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (s3fmt_line(&d->fmt, p, n, &ns) == 0)
		return 0;
	if (d->emit(d->arg, ns, d->labels, d->nlabels,
	    (struct str){ p, n }) == -1) {
		d->stopped = 1;
		return -1;
	}
	return 0;
}

static int
ct_emit(void *arg, const char *p, size_t n, uint64_t ns)
{
	struct dec *d = arg;

	if (d->emit(d->arg, ns, d->labels, d->nlabels,
	    (struct str){ p, n }) == -1) {
		d->stopped = 1;
		return -1;
	}
	return 0;
}

/* Inflated (or plain) text: split into lines. 0, or -1 to stop. */
static int
text(void *arg, const char *p, size_t n)
{
	struct dec *d = arg;
	const char *nl;
	size_t seg;

	if (d->k.parse == S3P_CLOUDTRAIL) {
		int rc = ctsplit_feed(&d->ct, p, n, ct_emit, d);

		if (rc == -2)
			d->err = d->ct.err;
		return rc < 0 ? -1 : 0;
	}
	while (n > 0) {
		nl = memchr(p, '\n', n);
		seg = nl != NULL ? (size_t)(nl - p) : n;
		if (d->skip_long) {
			if (nl == NULL)
				return 0;
			d->skip_long = 0;
		} else if (d->carry.len > 0 || nl == NULL) {
			if (d->carry.len + seg > d->max_line) {
				d->too_long++;
				d->carry.len = 0;
				if (nl == NULL) {
					/* skip up to the next '\n' */
					d->skip_long = 1;
					return 0;
				}
			} else {
				buf_put(&d->carry, p, seg);
				if (nl == NULL)
					return 0;
				if (emit_line(d, d->carry.p, d->carry.len) ==
				    -1)
					return -1;
				d->carry.len = 0;
			}
		} else if (seg > d->max_line) {
			d->too_long++;
		} else if (emit_line(d, p, seg) == -1) {
			return -1;
		}
		seg++;
		p += seg;
		n -= seg;
	}
	return 0;
}

static int
dec_chain(struct dec *d, const void *p, size_t n)
{
	if (!d->gzip)
		return text(d, p, n);
	if (gz_feed(&d->gz, p, n, text, d) == -1) {
		if (d->err == NULL && d->gz.err != NULL)
			d->err = d->gz.err;
		return -1;
	}
	return 0;
}

/* The first bytes decide: gzip, Parquet (refused) or plain text. */
static int
dec_start(struct dec *d)
{
	d->started = 1;
	if (d->nhead >= 4 && memcmp(d->head, "PAR1", 4) == 0) {
		d->err = "Parquet objects are not supported";
		return -1;
	}
	if (gz_is_gzip(d->head, d->nhead)) {
		d->gzip = 1;
		gz_init(&d->gz);
	}
	s3fmt_init(&d->fmt, d->k.parse, d->obj_ns);
	if (d->k.parse == S3P_CLOUDTRAIL)
		ctsplit_init(&d->ct, d->max_line, d->obj_ns);
	return dec_chain(d, d->head, d->nhead);
}

/* Raw object bytes. 0, or -1 (d->err, or d->stopped). */
static int
dec_feed(struct dec *d, const char *p, size_t n)
{
	d->bytes_in += n;
	if (!d->started) {
		size_t k = sizeof(d->head) - d->nhead;

		if (k > n)
			k = n;
		memcpy(d->head + d->nhead, p, k);
		d->nhead += k;
		p += k;
		n -= k;
		if (d->nhead < sizeof(d->head))
			return 0;
		if (dec_start(d) == -1)
			return -1;
	}
	return n > 0 ? dec_chain(d, p, n) : 0;
}

static int
dec_finish(struct dec *d)
{
	if (!d->started && dec_start(d) == -1)
		return -1;
	if (d->gzip && gz_finish(&d->gz) == -1) {
		d->err = d->gz.err != NULL ? d->gz.err :
		    "truncated gzip data";
		return -1;
	}
	if (d->k.parse == S3P_CLOUDTRAIL) {
		if (d->bytes_in > 0 && ctsplit_finish(&d->ct) == -2) {
			d->err = d->ct.err;
			return -1;
		}
		d->too_long += d->ct.too_long;
		return 0;
	}
	if (d->carry.len > 0 && !d->skip_long) {
		if (emit_line(d, d->carry.p, d->carry.len) == -1)
			return -1;
		d->carry.len = 0;
	}
	return 0;
}

/* ---- messages ---- */

static void
errf(char *eb, size_t el, const char *bucket, const char *key,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (eb == NULL || el == 0)
		return;
	n = snprintf(eb, el, "s3://%s/%s: ", bucket != NULL ? bucket : "-",
	    key);
	if (n < 0 || (size_t)n >= el)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(eb + n, el - (size_t)n, fmt, ap);
	va_end(ap);
}

/*
 * After the whole object: lines over the cap fail it (they were lost);
 * lines without a time are only noted in eb.
 */
static int
dec_result(struct dec *d, const char *bucket, const char *key, char *eb,
    size_t el)
{
	uint64_t no_ts;

	if (d->too_long > 0) {
		errf(eb, el, bucket, key, "%llu %s longer than %zu bytes "
		    "skipped", (unsigned long long)d->too_long,
		    d->k.parse == S3P_CLOUDTRAIL ? "record(s)" : "line(s)",
		    d->max_line);
		return -1;
	}
	no_ts = d->k.parse == S3P_CLOUDTRAIL ? d->ct.no_ts : d->fmt.no_ts;
	if (no_ts > 0)
		errf(eb, el, bucket, key, "%llu %s without a time of %s own "
		    "got the object's time", (unsigned long long)no_ts,
		    d->k.parse == S3P_CLOUDTRAIL ? "record(s)" : "line(s)",
		    no_ts == 1 ? "its" : "their");
	return 0;
}

/* Recognises the key; 0, 1 (skip) or -1 with the message. */
static int
key_check(const char *bucket, const char *key, struct s3key *k, char *eb,
    size_t el)
{
	const char *why = NULL;
	int rc;

	rc = s3key_parse(key, strlen(key), k, &why);
	if (rc == -1)
		errf(eb, el, bucket, key, "%s", why);
	return rc;
}

/* ---- local files ---- */

int
s3log_file(const char *path, const char *bucket, const char *key,
    size_t max_line, s3log_emit_fn emit, void *arg, char *eb, size_t el)
{
	struct s3key k;
	struct dec d;
	struct stat st;
	char *b;
	ssize_t r;
	int fd, rc;

	if (eb != NULL && el > 0)
		eb[0] = '\0';
	rc = key_check(bucket, key, &k, eb, el);
	if (rc != 0)
		return rc;
	fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY);
	if (fd == -1) {
		errf(eb, el, bucket, key, "%s: %s", path, strerror(errno));
		return -1;
	}
	dec_init(&d, &k, max_line, emit, arg);
	d.obj_ns = (uint64_t)now_ns();
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime > 0)
		d.obj_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ULL +
		    (uint64_t)st.st_mtim.tv_nsec;
	b = xmalloc(65536);
	rc = 0;
	for (;;) {
		r = read(fd, b, 65536);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			errf(eb, el, bucket, key, "%s: %s", path,
			    strerror(errno));
			rc = -1;
			break;
		}
		if (r == 0) {
			if (dec_finish(&d) == -1)
				rc = -1;
			break;
		}
		if (dec_feed(&d, b, (size_t)r) == -1) {
			rc = -1;
			break;
		}
	}
	if (rc == -1 && d.err != NULL)
		errf(eb, el, bucket, key, "%s", d.err);
	else if (rc == -1 && d.stopped)
		errf(eb, el, bucket, key, "output failed");
	else if (rc == 0)
		rc = dec_result(&d, bucket, key, eb, el);
	free(b);
	if (fd != 0)
		close(fd);
	dec_free(&d);
	return rc;
}

/* ---- S3 ---- */

struct s3log *
s3log_new(const struct s3log_conf *conf, const char **err)
{
	static int curl_ready;
	struct s3log *s;
	const char *e = conf->endpoint;

	if ((conf->creds.key_id == NULL) != (conf->creds.secret == NULL)) {
		*err = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go "
		    "together";
		return NULL;
	}
	if (e != NULL && e[0] != '\0' && strncmp(e, "http://", 7) != 0 &&
	    strncmp(e, "https://", 8) != 0) {
		*err = "the S3 endpoint URL must start with http:// or "
		    "https://";
		return NULL;
	}
	if (conf->ca_file != NULL && conf->ca_file[0] != '\0' &&
	    access(conf->ca_file, R_OK) == -1) {
		*err = "the CA bundle cannot be read";
		return NULL;
	}
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			*err = "curl_global_init failed";
			return NULL;
		}
		curl_ready = 1;
	}
	s = xcalloc(1, sizeof(*s));
	s->c = curl_easy_init();
	if (s->c == NULL) {
		free(s);
		*err = "curl_easy_init failed";
		return NULL;
	}
	if (conf->creds.key_id != NULL) {
		s->key_id = xstrdup(conf->creds.key_id);
		s->secret = xstrdup(conf->creds.secret);
	}
	if (conf->creds.token != NULL && conf->creds.token[0] != '\0')
		s->token = xstrdup(conf->creds.token);
	if (conf->region != NULL && conf->region[0] != '\0')
		s->region = xstrdup(conf->region);
	if (e != NULL && e[0] != '\0') {
		size_t n = strlen(e);

		while (n > 0 && e[n - 1] == '/')
			n--;
		s->endpoint = xstrndup(e, n);
	}
	if (conf->ca_file != NULL && conf->ca_file[0] != '\0')
		s->ca_file = xstrdup(conf->ca_file);
	s->max_line = conf->max_line;
	return s;
}

void
s3log_free(struct s3log *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->c);
	free(s->key_id);
	free(s->secret);
	free(s->token);
	free(s->region);
	free(s->endpoint);
	free(s->ca_file);
	free(s);
}

/* Can the bucket be a host name label (virtual-hosted style, TLS)? */
static int
dns_bucket(const char *b)
{
	size_t i, n = strlen(b);

	if (n < 3 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') ||
		    (b[i] >= '0' && b[i] <= '9') || b[i] == '-'))
			return 0;
	return b[0] != '-' && b[n - 1] != '-';
}

void
s3log_url(struct buf *u, const char *endpoint, const char *bucket,
    const char *key, const char *region)
{
	const char *dom = strncmp(region, "cn-", 3) == 0 ?
	    "amazonaws.com.cn" : "amazonaws.com";

	if (endpoint != NULL) {
		/* path style, for tests and S3-compatible stores */
		buf_puts(u, endpoint);
		buf_putc(u, '/');
		aws_uri_encode(u, bucket, strlen(bucket), 0);
	} else if (dns_bucket(bucket)) {
		buf_puts(u, "https://");
		buf_puts(u, bucket);
		buf_puts(u, ".s3.");
		buf_puts(u, region);
		buf_putc(u, '.');
		buf_puts(u, dom);
	} else {
		/* dots break the TLS name check of virtual hosts */
		buf_puts(u, "https://s3.");
		buf_puts(u, region);
		buf_putc(u, '.');
		buf_puts(u, dom);
		buf_putc(u, '/');
		aws_uri_encode(u, bucket, strlen(bucket), 0);
	}
	buf_putc(u, '/');
	aws_uri_encode(u, key, strlen(key), 1);
}

static void
make_url(struct s3log *s, struct buf *u, const char *bucket,
    const char *key, const char *region)
{
	u->len = 0;
	s3log_url(u, s->endpoint, bucket, key, region);
}

/* One transfer's state, for the callbacks. */
struct xfer {
	struct s3log	*s;
	struct dec	*d;
	long		 status;
	int		 checked;	/* status looked at */
	int		 ok;		/* 200/206: body goes to the decoder */
	int		 fed_fail;	/* the decoder said stop */
	uint64_t	 discard;	/* bytes to drop (Range ignored) */
	int		 resuming;
	struct buf	 body;		/* an error body, first 1 KiB */
	char		 etag[128];
	char		 bucket_region[64];	/* x-amz-bucket-region */
};

/* Copies a header's value (trimmed) into out; 1 if name matched. */
static int
header_value(const char *p, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t nl = strlen(name), i, j;

	if (len <= nl || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return 0;
	i = nl + 1;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	j = len;
	while (j > i && (p[j - 1] == '\r' || p[j - 1] == '\n' ||
	    p[j - 1] == ' '))
		j--;
	if (j - i < outlen) {
		memcpy(out, p + i, j - i);
		out[j - i] = '\0';
	}
	return 1;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = sz * n;

	if (!x->resuming)
		(void)header_value(p, len, "etag", x->etag, sizeof(x->etag));
	(void)header_value(p, len, "x-amz-bucket-region", x->bucket_region,
	    sizeof(x->bucket_region));
	return len;
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = sz * n;

	if (!x->checked) {
		x->checked = 1;
		curl_easy_getinfo(x->s->c, CURLINFO_RESPONSE_CODE, &x->status);
		x->ok = x->status == 200 || (x->resuming && x->status == 206);
		if (x->ok && x->resuming && x->status == 200)
			x->discard = x->d->bytes_in;	/* Range ignored */
		if (x->ok && !x->d->started && !x->resuming) {
			curl_off_t ft = -1;

			curl_easy_getinfo(x->s->c, CURLINFO_FILETIME_T, &ft);
			x->d->obj_ns = ft > 0 ? (uint64_t)ft * 1000000000ULL :
			    (uint64_t)now_ns();
		}
	}
	if (!x->ok) {
		if (x->body.len < 1024)
			buf_put(&x->body, p, len < 1024 ? len : 1024);
		return len;
	}
	if (x->discard > 0) {
		size_t k = x->discard < len ? (size_t)x->discard : len;

		x->discard -= k;
		p += k;
		if (k == len)
			return len;
		len -= k;
		if (dec_feed(x->d, p, len) == -1) {
			x->fed_fail = 1;
			return 0;
		}
		return sz * n;
	}
	if (dec_feed(x->d, p, len) == -1) {
		x->fed_fail = 1;
		return 0;	/* aborts the transfer */
	}
	return len;
}

/* S3's <Code>...</Code> from an error body, if any. */
static void
s3_code(struct buf *b, char *out, size_t n)
{
	const char *p, *e;

	out[0] = '\0';
	if (b->len == 0)
		return;
	buf_cstr(b);
	p = strstr(b->p, "<Code>");
	if (p == NULL)
		return;
	p += 6;
	e = strstr(p, "</Code>");
	if (e == NULL || (size_t)(e - p) + 4 > n)
		return;
	out[0] = ' ';
	out[1] = '(';
	memcpy(out + 2, p, (size_t)(e - p));
	out[2 + (e - p)] = ')';
	out[3 + (e - p)] = '\0';
}

static int
retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static void
backoff(int attempt)
{
	struct timespec ts;
	long ms = 200L << (2 * attempt);	/* 200 ms, 800 ms, 3.2 s */

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
s3log_fetch(struct s3log *s, const char *bucket, const char *key,
    const char *region, s3log_emit_fn emit, void *arg, char *eb,
    size_t el)
{
	struct aws_creds cr;
	struct s3key k;
	struct dec d;
	struct xfer x;
	struct buf url = { 0 }, h = { 0 };
	struct curl_slist *hdrs;
	char cerr[CURL_ERROR_SIZE], code[80];
	CURLcode rc;
	char *region_buf = NULL;
	int attempt, moved = 0, ret = -1;

	if (eb != NULL && el > 0)
		eb[0] = '\0';
	attempt = key_check(bucket, key, &k, eb, el);
	if (attempt != 0)
		return attempt;
	if (s->key_id == NULL) {
		errf(eb, el, bucket, key, "no AWS credentials "
		    "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)");
		return -1;
	}
	if (region == NULL || region[0] == '\0')
		region = s->region != NULL ? s->region : "us-east-1";
	cr.key_id = s->key_id;
	cr.secret = s->secret;
	cr.token = s->token;
	dec_init(&d, &k, s->max_line, emit, arg);
	make_url(s, &url, bucket, key, region);
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.d = &d;
	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		if (attempt > 0 && !moved)
			backoff(attempt - 1);
		moved = 0;
		x.bucket_region[0] = '\0';
		x.checked = x.ok = x.fed_fail = 0;
		x.status = 0;
		x.discard = 0;
		x.body.len = 0;
		x.resuming = d.bytes_in > 0;
		hdrs = NULL;
		cerr[0] = '\0';
		curl_easy_reset(s->c);
		curl_easy_setopt(s->c, CURLOPT_URL, buf_cstr(&url));
		curl_easy_setopt(s->c, CURLOPT_PATH_AS_IS, 1L);
		curl_easy_setopt(s->c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(s->c, CURLOPT_ERRORBUFFER, cerr);
		curl_easy_setopt(s->c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
		curl_easy_setopt(s->c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(s->c, CURLOPT_LOW_SPEED_TIME, 30L);
		curl_easy_setopt(s->c, CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(s->c, CURLOPT_FILETIME, 1L);
		if (s->ca_file != NULL)
			curl_easy_setopt(s->c, CURLOPT_CAINFO, s->ca_file);
		curl_easy_setopt(s->c, CURLOPT_USERAGENT,
		    "lokipipe/" LP_VERSION);
		curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(s->c, CURLOPT_WRITEDATA, &x);
		curl_easy_setopt(s->c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(s->c, CURLOPT_HEADERDATA, &x);
		if (x.resuming) {
			h.len = 0;
			buf_puts(&h, "Range: bytes=");
			buf_putu64(&h, d.bytes_in);
			buf_putc(&h, '-');
			hdrs = curl_slist_append(hdrs, buf_cstr(&h));
			if (x.etag[0] != '\0') {
				h.len = 0;
				buf_puts(&h, "If-Match: ");
				buf_puts(&h, x.etag);
				hdrs = curl_slist_append(hdrs, buf_cstr(&h));
			}
		}
		if (aws_sign(s->c, &hdrs, &cr, region, "s3", NULL, 0) == -1) {
			curl_slist_free_all(hdrs);
			errf(eb, el, bucket, key, "cannot sign the request");
			break;
		}
		curl_easy_setopt(s->c, CURLOPT_HTTPHEADER, hdrs);
		rc = curl_easy_perform(s->c);
		curl_slist_free_all(hdrs);
		if (!x.checked) {
			/* no body at all: an empty object, or an error */
			curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE,
			    &x.status);
			x.ok = x.status == 200 ||
			    (x.resuming && x.status == 206);
		}
		if (x.fed_fail) {
			if (d.err != NULL)
				errf(eb, el, bucket, key, "%s", d.err);
			else
				errf(eb, el, bucket, key, "output failed");
			break;
		}
		if (rc == CURLE_OK && (x.status == 200 || x.status == 206) &&
		    x.ok) {
			if (dec_finish(&d) == -1) {
				errf(eb, el, bucket, key, "%s",
				    d.err != NULL ? d.err : "output failed");
				break;
			}
			ret = dec_result(&d, bucket, key, eb, el);
			break;
		}
		if (rc == CURLE_OK && (x.status == 301 || x.status == 307 ||
		    x.status == 400) && x.bucket_region[0] != '\0' &&
		    strcmp(x.bucket_region, region) != 0 && !d.started) {
			/* the record's region is not the bucket's: S3 says
			 * which it is; sign for that one */
			free(region_buf);
			region_buf = xstrdup(x.bucket_region);
			region = region_buf;
			make_url(s, &url, bucket, key, region);
			moved = 1;
			continue;
		}
		if (rc == CURLE_OK) {
			s3_code(&x.body, code, sizeof(code));
			if (x.status == 412)
				errf(eb, el, bucket, key, "HTTP 412: the "
				    "object changed while it was read");
			else
				errf(eb, el, bucket, key, "HTTP %ld%s",
				    x.status, code);
			if (x.status >= 500 || x.status == 429 ||
			    x.status == 408)
				continue;
			break;
		}
		errf(eb, el, bucket, key, "%s", cerr[0] != '\0' ? cerr :
		    curl_easy_strerror(rc));
		if (!retryable_curl(rc))
			break;
	}
	if (attempt == ATTEMPTS && eb != NULL && el > 0) {
		size_t n = strlen(eb);

		(void)snprintf(eb + n, el - n, " (after %d attempts)",
		    ATTEMPTS);
	}
	buf_free(&url);
	buf_free(&h);
	buf_free(&x.body);
	free(region_buf);
	dec_free(&d);
	return ret;
}
