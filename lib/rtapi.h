/* rtapi.h: a small HTTP/1.1 client for the Lambda Runtime API (plain HTTP
 * on AWS_LAMBDA_RUNTIME_API = host:port), so that the head of the
 * pipeline does not pay for loading libcurl at every cold start. */
#ifndef LP_RTAPI_H
#define LP_RTAPI_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

/*
 * One kept-alive connection. After rtapi_request(): status, body (capped
 * at body_max: toobig is set and the rest is read and dropped), id (the
 * Lambda-Runtime-Aws-Request-Id header, empty when absent) and deadline
 * (Lambda-Runtime-Deadline-Ms, Unix ms; 0 when absent).
 */
struct rtapi {
	char		 host[256];
	char		 port[16];
	int		 fd;		/* -1: not connected */
	struct buf	 in;		/* bytes read, not yet used */
	size_t		 off;
	int		 status;
	struct buf	 body;
	size_t		 body_max;
	int		 toobig;
	struct buf	 id;
	int64_t		 deadline;
	volatile int	*stop;		/* may be NULL */
	char		 err[512];
};

/* Splits host:port (or [v6]:port). 0, or -1 when it is not of that
 * form. Does not connect. stop: when *stop becomes non-zero a request in
 * progress gives up (-1, errno EINTR). */
int	rtapi_init(struct rtapi *, const char *hostport, size_t body_max,
	    volatile int *stop);
/*
 * Sends one request (GET when body is NULL, else POST with
 * Content-Type: application/json and, when errtype is not NULL,
 * Lambda-Runtime-Function-Error-Type) on the kept-alive connection, or on
 * a new one; a kept-alive connection the server had closed is reopened
 * once. timeout_ms: for the whole exchange, 0 for none. Reads
 * Content-Length, chunked and read-until-close bodies. Returns the HTTP
 * status, or -1 with err set (and the connection closed).
 */
int	rtapi_request(struct rtapi *, const char *path, const char *errtype,
	    const char *body, size_t n, int timeout_ms);
/* Closes the connection and frees the buffers. */
void	rtapi_close(struct rtapi *);

#endif
