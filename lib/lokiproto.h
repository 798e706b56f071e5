/* lokiproto.h: Loki push requests — protobuf + snappy or JSON encoding of a
 * parsed push body, and the HTTP client and retry policy that send them. */
#ifndef LP_LOKIPROTO_H
#define LP_LOKIPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "util.h"
#include "entry.h"

/*
 * Encoder state: protobuf-c message arrays reused from one request to the
 * next, so that encoding allocates only when a request is bigger than any
 * before it. Zero it (or = {0}) before first use.
 */
struct lokienc {
	struct Logproto__StreamAdapter *streams, **streamp;
	size_t		 streamcap;
	struct Logproto__EntryAdapter *entries, **entryp;
	struct Logproto__Timestamp *tss;
	size_t		 entrycap;
	struct Logproto__LabelPairAdapter *pairs, **pairp;
	size_t		 paircap;
	size_t		*laboff;	/* into lab, per stream */
	struct buf	 lab;		/* label strings */
	struct buf	 raw;		/* packed, uncompressed */
};

/*
 * Replaces out's contents with p as a logproto.PushRequest, snappy
 * compressed (the body for Content-Type application/x-protobuf). Each
 * stream's labels are sorted in place in p and written as Loki's label
 * string. Returns 0, or -1 with *err (a request over snappy's limit).
 */
int	lokienc_proto(struct lokienc *, struct push *p, struct buf *out,
	    const char **err);
/* Replaces out's contents with p as Loki's JSON push body (no "tenant"
 * field; labels in the order read). */
void	lokienc_json(struct push *p, struct buf *out);
void	lokienc_free(struct lokienc *);

/*
 * Retry policy (lambda-promtail's, from grafana/dskit): exponential from
 * min_ms, doubling per attempt up to max_ms, with jitter: each delay is
 * drawn uniformly from [d/2, d]. At most max_retries retries.
 */
struct backoff {
	int64_t		 min_ms, max_ms;
	int		 max_retries;
	int		 retries;	/* done so far */
	uint64_t	 rng;
};

void	backoff_init(struct backoff *, int64_t min_ms, int64_t max_ms,
	    int max_retries);
/* The delay before the next retry in ms (at least hint_ms, a server's
 * Retry-After, capped at max_ms), or -1 when no retry is left. */
int64_t	backoff_next(struct backoff *, int64_t hint_ms);
/* Is a lokihttp_post result worth a retry? 429, 5xx, and -1 (no
 * response). */
int	http_retryable(int status);
/*
 * A Retry-After value (RFC 9110: delay-seconds or an HTTP-date) in ms
 * from now; -1 if it is neither. A date in the past gives 0.
 */
int64_t	retry_after_ms(const char *, size_t, time_t now);

/* What the client needs to reach Loki. Strings are borrowed while the
 * client lives. */
struct lokihttp_conf {
	const char	*url;
	const char	*username, *password;	/* basic auth: both or none */
	const char	*bearer;		/* Authorization: Bearer */
	const char	*ca_file;		/* NULL: the system's bundle */
	int		 skip_verify;
	int64_t		 timeout_ms;		/* per request, 0: none */
	const char	**headers;		/* "Name: value" */
	size_t		 nheaders;
	const char	*user_agent;
};

/*
 * One kept-alive connection to Loki (a libcurl easy handle reused for
 * every request). After lokihttp_post: resp holds the start of the
 * response body (at most 4 KiB), retry_after the server's Retry-After in
 * ms (-1: none), err a message for a failure without an HTTP status.
 */
struct lokihttp {
	void		*curl;
	void		*base;		/* curl_slist *: fixed headers */
	void		*req;		/* curl_slist *: this request's */
	char		 err[256];
	char		 errbuf[256];	/* libcurl's, CURL_ERROR_SIZE */
	struct buf	 resp;
	int64_t		 retry_after;
	uint64_t	 connects;	/* new connections opened */
};

/* Validates a push URL: http:// or https:// with a host. 0, or -1 with
 * *why. */
int	lokihttp_url_ok(const char *, const char **why);
/* 0, or -1 with a message in h->err (bad URL, libcurl failure). */
int	lokihttp_init(struct lokihttp *, const struct lokihttp_conf *);
/*
 * POSTs body with the given Content-Type and, when tenant.n > 0, an
 * X-Scope-OrgID header. Returns the HTTP status, or -1 when there was
 * none (connection refused or reset, timeout, TLS failure; h->err says
 * which), or -2 when the request could not be made (a tenant ID that
 * cannot be a header; h->err): a retry would not help.
 */
int	lokihttp_post(struct lokihttp *, const char *ctype, struct str tenant,
	    const char *body, size_t n);
/*
 * Several requests at once: clients started on one lokimulti run
 * together (libcurl's multi interface, one connection pool).
 */
struct lokimulti {
	void		*multi;
};

int	lokimulti_init(struct lokimulti *);
void	lokimulti_free(struct lokimulti *);
/* Starts what lokihttp_post does, without waiting. 0, or -1/-2 (h->err)
 * as lokihttp_post. body must stay valid until h is reported done. */
int	lokihttp_start(struct lokihttp *, struct lokimulti *,
	    const char *ctype, struct str tenant, const char *body, size_t n);
/*
 * Drives the started requests for up to ms milliseconds (0: no wait),
 * returning early when fd (>= 0) is readable.
 * Returns a client whose request has ended, with *status as
 * lokihttp_post returns it, or NULL when none has (call again).
 */
struct lokihttp *lokimulti_wait(struct lokimulti *, int fd, int ms,
	    int *status);
/* The first line of the response body, trimmed, at most max bytes;
 * empty when there was no body. Points into h->resp. */
struct str lokihttp_message(struct lokihttp *, size_t max);
void	lokihttp_free(struct lokihttp *);

#endif
