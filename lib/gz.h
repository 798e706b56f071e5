/* gz.h: inflating gzip (several members back to back) as bytes arrive. */
#ifndef LP_GZ_H
#define LP_GZ_H

#include <stddef.h>
#include <zlib.h>
#include "util.h"

struct gz {
	z_stream	 z;
	int		 inited;
	int		 ended;		/* the last member ended (Z_STREAM_END) */
	const char	*err;
};

/* Magic bytes 1f 8b. */
int	gz_is_gzip(const void *, size_t);
void	gz_init(struct gz *);
/*
 * Feeds n bytes; calls out(arg, p, len) for each inflated piece (out
 * returns 0 to go on, -1 to stop: gz_feed then returns -1 with err NULL).
 * A new member after Z_STREAM_END is started automatically. Returns 0, or
 * -1 with err set (corrupt data).
 */
int	gz_feed(struct gz *, const void *, size_t,
	    int (*out)(void *, const char *, size_t), void *arg);
/* At the end of input: 0 if the last member was complete, else -1 with
 * err "truncated gzip data". */
int	gz_finish(struct gz *);
void	gz_free(struct gz *);
/* One shot, for small payloads (CloudWatch data): appends the inflated
 * bytes to out, at most max of them. 0, or -1 with *err. */
int	gz_inflate_buf(const void *, size_t, struct buf *out, size_t max,
	    const char **err);

#endif
