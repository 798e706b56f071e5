/* lokiproto.c: Loki push requests, the HTTP client and its retry policy. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <snappy-c.h>

#include "push.pb-c.h"
#include "util.h"
#include "json.h"
#include "entry.h"
#include "labels.h"
#include "lokiproto.h"

#define RESP_MAX	4096

_Static_assert(sizeof(((struct lokihttp *)0)->errbuf) >= CURL_ERROR_SIZE,
    "lokihttp.errbuf is smaller than CURL_ERROR_SIZE");

/*
 * Grows the message arrays to hold ns streams, nv entries and nm metadata
 * pairs. Pointers between them are set here, once per growth; the
 * per-request work then only fills in values.
 */
static void
enc_reserve(struct lokienc *e, size_t ns, size_t nv, size_t nm)
{
	size_t i, n;

	if (ns > e->streamcap) {
		n = ns + ns / 2 + 4;
		e->streams = xrealloc(e->streams, n * sizeof(*e->streams));
		e->streamp = xrealloc(e->streamp, n * sizeof(*e->streamp));
		e->laboff = xrealloc(e->laboff, (n + 1) * sizeof(*e->laboff));
		for (i = 0; i < n; i++) {
			logproto__stream_adapter__init(&e->streams[i]);
			e->streamp[i] = &e->streams[i];
		}
		e->streamcap = n;
	}
	if (nv > e->entrycap) {
		n = nv + nv / 2 + 16;
		e->entries = xrealloc(e->entries, n * sizeof(*e->entries));
		e->entryp = xrealloc(e->entryp, n * sizeof(*e->entryp));
		e->tss = xrealloc(e->tss, n * sizeof(*e->tss));
		for (i = 0; i < n; i++) {
			logproto__entry_adapter__init(&e->entries[i]);
			logproto__timestamp__init(&e->tss[i]);
			e->entries[i].timestamp = &e->tss[i];
			e->entryp[i] = &e->entries[i];
		}
		e->entrycap = n;
	}
	if (nm > e->paircap) {
		n = nm + nm / 2 + 16;
		e->pairs = xrealloc(e->pairs, n * sizeof(*e->pairs));
		e->pairp = xrealloc(e->pairp, n * sizeof(*e->pairp));
		for (i = 0; i < n; i++) {
			logproto__label_pair_adapter__init(&e->pairs[i]);
			e->pairp[i] = &e->pairs[i];
		}
		e->paircap = n;
	}
}

static void
bin_set(ProtobufCBinaryData *b, struct str s)
{
	b->data = (uint8_t *)(uintptr_t)s.p;
	b->len = s.n;
}

int
lokienc_proto(struct lokienc *e, struct push *p, struct buf *out,
    const char **err)
{
	Logproto__PushRequest req = LOGPROTO__PUSH_REQUEST__INIT;
	Logproto__StreamAdapter *sa;
	Logproto__EntryAdapter *ea;
	struct push_stream *s;
	struct push_value *v;
	struct label *m;
	size_t i, k, j, ns, size, clen;

	/* one stream more than asked: laboff[] has an end mark */
	enc_reserve(e, p->nstreams + 1, p->nvalues, p->nmeta);
	/* Label strings first: lab may move while it grows. */
	e->lab.len = 0;
	for (i = 0; i < p->nstreams; i++) {
		s = &p->streams[i];
		labels_sort(p->labels + s->labels_off, s->nlabels);
		e->laboff[i] = e->lab.len;
		labels_loki(&e->lab, p->labels + s->labels_off, s->nlabels);
	}
	e->laboff[p->nstreams] = e->lab.len;

	ns = 0;
	for (i = 0; i < p->nstreams; i++) {
		s = &p->streams[i];
		if (s->nvalues == 0)
			continue;	/* Loki would store nothing */
		sa = &e->streams[ns];
		e->streamp[ns++] = sa;
		sa->labels.data = (uint8_t *)e->lab.p + e->laboff[i];
		sa->labels.len = e->laboff[i + 1] - e->laboff[i];
		sa->n_entries = s->nvalues;
		sa->entries = e->entryp + s->values_off;
		for (k = s->values_off; k < s->values_off + s->nvalues; k++) {
			v = &p->values[k];
			ea = &e->entries[k];
			e->tss[k].seconds = (int64_t)(v->ts / 1000000000u);
			e->tss[k].nanos = (int32_t)(v->ts % 1000000000u);
			bin_set(&ea->line, v->line);
			ea->n_structuredmetadata = v->nmeta;
			ea->structuredmetadata = e->pairp + v->meta_off;
			for (j = 0; j < v->nmeta; j++) {
				m = &p->meta[v->meta_off + j];
				bin_set(&e->pairs[v->meta_off + j].name,
				    m->name);
				bin_set(&e->pairs[v->meta_off + j].value,
				    m->value);
			}
		}
	}
	req.n_streams = ns;
	req.streams = e->streamp;

	size = logproto__push_request__get_packed_size(&req);
	e->raw.len = 0;
	buf_grow(&e->raw, size);
	e->raw.len = logproto__push_request__pack(&req,
	    (uint8_t *)e->raw.p);

	clen = snappy_max_compressed_length(e->raw.len);
	if (clen == 0 && e->raw.len > 0) {
		*err = "request too large for snappy";
		return -1;
	}
	out->len = 0;
	buf_grow(out, clen);
	if (snappy_compress(e->raw.p, e->raw.len, out->p, &clen) !=
	    SNAPPY_OK) {
		*err = "snappy compression failed";
		return -1;
	}
	out->len = clen;
	return 0;
}

static void
json_labels(struct buf *b, const struct label *l, size_t n)
{
	size_t i;

	buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		jw_str(b, l[i].name.p, l[i].name.n);
		buf_putc(b, ':');
		jw_str(b, l[i].value.p, l[i].value.n);
	}
	buf_putc(b, '}');
}

void
lokienc_json(struct push *p, struct buf *out)
{
	struct push_stream *s;
	struct push_value *v;
	size_t i, k;
	int first = 1;

	out->len = 0;
	buf_puts(out, "{\"streams\":[");
	for (i = 0; i < p->nstreams; i++) {
		s = &p->streams[i];
		if (s->nvalues == 0)
			continue;
		if (!first)
			buf_putc(out, ',');
		first = 0;
		buf_puts(out, "{\"stream\":");
		json_labels(out, p->labels + s->labels_off, s->nlabels);
		buf_puts(out, ",\"values\":[");
		for (k = s->values_off; k < s->values_off + s->nvalues; k++) {
			v = &p->values[k];
			if (k > s->values_off)
				buf_putc(out, ',');
			buf_putc(out, '[');
			jw_u64q(out, v->ts);
			buf_putc(out, ',');
			jw_str(out, v->line.p, v->line.n);
			if (v->nmeta > 0) {
				buf_putc(out, ',');
				json_labels(out, p->meta + v->meta_off,
				    v->nmeta);
			}
			buf_putc(out, ']');
		}
		buf_puts(out, "]}");
	}
	buf_puts(out, "]}");
}

void
lokienc_free(struct lokienc *e)
{
	free(e->streams);
	free(e->streamp);
	free(e->entries);
	free(e->entryp);
	free(e->tss);
	free(e->pairs);
	free(e->pairp);
	free(e->laboff);
	buf_free(&e->lab);
	buf_free(&e->raw);
	memset(e, 0, sizeof(*e));
}

void
backoff_init(struct backoff *b, int64_t min_ms, int64_t max_ms,
    int max_retries)
{
	b->min_ms = min_ms > 0 ? min_ms : 1;
	b->max_ms = max_ms >= b->min_ms ? max_ms : b->min_ms;
	b->max_retries = max_retries;
	b->retries = 0;
	b->rng = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32) ^
	    (uint64_t)(uintptr_t)b;
	if (b->rng == 0)
		b->rng = 0x9e3779b97f4a7c15u;
}

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

int64_t
backoff_next(struct backoff *b, int64_t hint_ms)
{
	int64_t d, lo;
	int i;

	if (b->retries >= b->max_retries)
		return -1;
	d = b->min_ms;
	for (i = 0; i < b->retries && d < b->max_ms; i++)
		d *= 2;
	if (d > b->max_ms)
		d = b->max_ms;
	b->retries++;
	lo = d / 2;
	d = lo + (int64_t)(xorshift(&b->rng) % (uint64_t)(d - lo + 1));
	if (hint_ms > d)
		d = hint_ms < b->max_ms ? hint_ms : b->max_ms;
	return d;
}

int
http_retryable(int status)
{
	return status == -1 || status == 429 || (status >= 500 &&
	    status <= 599);
}

int64_t
retry_after_ms(const char *s, size_t n, time_t now)
{
	char tmp[64];
	uint64_t secs;
	time_t t;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	if (isdigit((unsigned char)*s)) {
		if (parse_u64(s, n, &secs) < 0)
			return -1;
		if (secs > 86400u * 365)
			secs = 86400u * 365;
		return (int64_t)secs * 1000;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	t = curl_getdate(tmp, NULL);
	if (t == (time_t)-1)
		return -1;
	return t > now ? (int64_t)(t - now) * 1000 : 0;
}

int
lokihttp_url_ok(const char *url, const char **why)
{
	CURLU *u;
	char *host = NULL;
	int rc = -1;

	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0) {
		*why = "not an http:// or https:// URL";
		return -1;
	}
	u = curl_url();
	if (u == NULL) {
		*why = "out of memory";
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		*why = "not a valid URL";
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host == NULL || *host == '\0')
		*why = "no host in URL";
	else
		rc = 0;
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct lokihttp *h = arg;
	size_t n = size * nmemb, keep;

	/* Keep the start for messages; take all, or curl drops the
	 * kept-alive connection. */
	if (h->resp.len < RESP_MAX) {
		keep = RESP_MAX - h->resp.len;
		buf_put(&h->resp, p, n < keep ? n : keep);
	}
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct lokihttp *h = arg;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	if (n > sizeof(name) - 1 &&
	    strncasecmp(p, name, sizeof(name) - 1) == 0)
		h->retry_after = retry_after_ms(p + sizeof(name) - 1,
		    n - (sizeof(name) - 1), time(NULL));
	return n;
}

static int
add_header(struct lokihttp *h, const char *s)
{
	struct curl_slist *l;

	l = curl_slist_append(h->base, s);
	if (l == NULL) {
		snprintf(h->err, sizeof(h->err), "out of memory");
		return -1;
	}
	h->base = l;
	return 0;
}

#define SETOPT(o, v) do {						\
	if (curl_easy_setopt(c, (o), (v)) != CURLE_OK) {		\
		snprintf(h->err, sizeof(h->err), "libcurl: %s not "	\
		    "supported", #o);					\
		return -1;						\
	}								\
} while (0)

int
lokihttp_init(struct lokihttp *h, const struct lokihttp_conf *cf)
{
	static int global;
	struct buf b = {0};
	CURL *c;
	size_t i;
	int rc;

	memset(h, 0, sizeof(*h));
	h->retry_after = -1;
	if (!global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(h->err, sizeof(h->err),
			    "libcurl initialisation failed");
			return -1;
		}
		global = 1;
	}
	c = curl_easy_init();
	if (c == NULL) {
		snprintf(h->err, sizeof(h->err), "libcurl: no easy handle");
		return -1;
	}
	h->curl = c;
	SETOPT(CURLOPT_URL, cf->url);
	SETOPT(CURLOPT_POST, 1L);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)cf->timeout_ms);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, h);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, h);
	if (cf->user_agent != NULL)
		SETOPT(CURLOPT_USERAGENT, cf->user_agent);
	if (cf->skip_verify) {
		SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
		SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (cf->ca_file != NULL)
		SETOPT(CURLOPT_CAINFO, cf->ca_file);
	if (cf->username != NULL && cf->password != NULL) {
		SETOPT(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SETOPT(CURLOPT_USERNAME, cf->username);
		SETOPT(CURLOPT_PASSWORD, cf->password);
	}
	/* curl would wait for "100 Continue" before bodies over 1 MiB. */
	if (add_header(h, "Expect:") < 0)
		return -1;
	for (i = 0; i < cf->nheaders; i++)
		if (add_header(h, cf->headers[i]) < 0)
			return -1;
	if (cf->bearer != NULL) {
		buf_puts(&b, "Authorization: Bearer ");
		buf_puts(&b, cf->bearer);
		rc = add_header(h, buf_cstr(&b));
		/* the token lives on only inside libcurl's copy */
		memset(b.p, 0, b.len);
		buf_free(&b);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Sets up one POST on h's handle: headers, body. 0, or -1/-2 as
 * lokihttp_post. The header list lives until post_end. */
static int
post_begin(struct lokihttp *h, const char *ctype, struct str tenant,
    const char *body, size_t n)
{
	char line[600];
	struct curl_slist *l = NULL, *b, *t;
	CURL *c = h->curl;
	size_t i;

	h->resp.len = 0;
	h->retry_after = -1;
	h->err[0] = '\0';
	h->errbuf[0] = '\0';
	if (tenant.n > 0) {
		if (tenant.n > sizeof(line) - 32) {
			snprintf(h->err, sizeof(h->err), "tenant ID too long");
			return -2;
		}
		for (i = 0; i < tenant.n; i++)
			if ((unsigned char)tenant.p[i] < 0x20 ||
			    tenant.p[i] == 0x7f) {
				snprintf(h->err, sizeof(h->err),
				    "control character in tenant ID");
				return -2;
			}
	}
	/* Per-request headers first, then the fixed ones. */
	snprintf(line, sizeof(line), "Content-Type: %s", ctype);
	l = curl_slist_append(l, line);
	if (l != NULL && tenant.n > 0) {
		snprintf(line, sizeof(line), "X-Scope-OrgID: %.*s",
		    (int)tenant.n, tenant.p);
		t = curl_slist_append(l, line);
		l = t != NULL ? t : (curl_slist_free_all(l), NULL);
	}
	for (b = h->base; l != NULL && b != NULL; b = b->next) {
		t = curl_slist_append(l, b->data);
		l = t != NULL ? t : (curl_slist_free_all(l), NULL);
	}
	if (l == NULL) {
		snprintf(h->err, sizeof(h->err), "out of memory");
		return -1;
	}
	h->req = l;
	if (curl_easy_setopt(c, CURLOPT_HTTPHEADER, l) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)n) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) !=
	    CURLE_OK) {
		snprintf(h->err, sizeof(h->err), "libcurl: setopt failed");
		return -1;
	}
	return 0;
}

/* The outcome of a POST that libcurl ended with rc. */
static int
post_end(struct lokihttp *h, int rc)
{
	CURL *c = h->curl;
	long status = 0, conns = 0;

	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h->req);
	h->req = NULL;
	if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK)
		h->connects += (uint64_t)conns;
	if (rc != CURLE_OK) {
		snprintf(h->err, sizeof(h->err), "%s",
		    h->errbuf[0] != '\0' ? h->errbuf :
		    curl_easy_strerror((CURLcode)rc));
		return -1;
	}
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK || status <= 0) {
		snprintf(h->err, sizeof(h->err), "no HTTP status");
		return -1;
	}
	return (int)status;
}

int
lokihttp_post(struct lokihttp *h, const char *ctype, struct str tenant,
    const char *body, size_t n)
{
	int r;

	r = post_begin(h, ctype, tenant, body, n);
	if (r < 0) {
		curl_slist_free_all(h->req);
		h->req = NULL;
		return r;
	}
	return post_end(h, curl_easy_perform(h->curl));
}

int
lokimulti_init(struct lokimulti *m)
{
	m->multi = curl_multi_init();
	return m->multi != NULL ? 0 : -1;
}

void
lokimulti_free(struct lokimulti *m)
{
	if (m->multi != NULL)
		curl_multi_cleanup(m->multi);
	m->multi = NULL;
}

int
lokihttp_start(struct lokihttp *h, struct lokimulti *m, const char *ctype,
    struct str tenant, const char *body, size_t n)
{
	int r;

	r = post_begin(h, ctype, tenant, body, n);
	if (r == 0 && (curl_easy_setopt(h->curl, CURLOPT_PRIVATE, h) !=
	    CURLE_OK || curl_multi_add_handle(m->multi, h->curl) !=
	    CURLM_OK)) {
		snprintf(h->err, sizeof(h->err), "libcurl: cannot start");
		r = -1;
	}
	if (r < 0) {
		curl_slist_free_all(h->req);
		h->req = NULL;
	}
	return r;
}

/* A transfer that has ended, or NULL. */
static struct lokihttp *
multi_done(struct lokimulti *m, int *status)
{
	struct lokihttp *h;
	CURLMsg *msg;
	char *priv;
	int left;

	for (;;) {
		msg = curl_multi_info_read(m->multi, &left);
		if (msg == NULL)
			break;
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		h = (struct lokihttp *)(void *)priv;
		curl_multi_remove_handle(m->multi, msg->easy_handle);
		*status = post_end(h, msg->data.result);
		return h;
	}
	return NULL;
}

struct lokihttp *
lokimulti_wait(struct lokimulti *m, int fd, int ms, int *status)
{
	struct curl_waitfd w;
	struct lokihttp *h;
	int running;

	h = multi_done(m, status);
	if (h != NULL)
		return h;
	curl_multi_perform(m->multi, &running);
	h = multi_done(m, status);
	if (h != NULL || ms == 0)
		return h;
	w.fd = fd;
	w.events = CURL_WAIT_POLLIN;
	w.revents = 0;
	curl_multi_poll(m->multi, fd >= 0 ? &w : NULL, fd >= 0 ? 1 : 0, ms,
	    NULL);
	curl_multi_perform(m->multi, &running);
	return multi_done(m, status);
}

struct str
lokihttp_message(struct lokihttp *h, size_t max)
{
	const char *p = h->resp.p, *e;
	size_t n = h->resp.len;

	while (n > 0 && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	e = n > 0 ? memchr(p, '\n', n) : NULL;
	if (e != NULL)
		n = (size_t)(e - p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	if (n > max)
		n = max;
	return (struct str){ p != NULL ? p : "", n };
}

void
lokihttp_free(struct lokihttp *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->base);
	curl_slist_free_all(h->req);
	h->req = NULL;
	buf_free(&h->resp);
	h->curl = NULL;
	h->base = NULL;
}
