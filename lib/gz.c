/* gz.c: streaming gunzip of one or more gzip members back to back. */
#include <string.h>

#include "gz.h"

#define OUTCHUNK	(64 * 1024)

int
gz_is_gzip(const void *p, size_t n)
{
	const unsigned char *c = p;

	return n >= 2 && c[0] == 0x1f && c[1] == 0x8b;
}

void
gz_init(struct gz *g)
{
	memset(g, 0, sizeof(*g));
}

static int
start(struct gz *g)
{
	memset(&g->z, 0, sizeof(g->z));
	if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		g->err = "zlib: cannot initialise";
		return -1;
	}
	g->inited = 1;
	return 0;
}

int
gz_feed(struct gz *g, const void *p, size_t n,
    int (*out)(void *, const char *, size_t), void *arg)
{
	unsigned char obuf[OUTCHUNK];

	g->err = NULL;
	if (!g->inited && start(g) < 0)
		return -1;
	g->z.next_in = (unsigned char *)(uintptr_t)p;
	while (n > 0) {
		unsigned chunk = n > 1U << 30 ? 1U << 30 : (unsigned)n;
		int zr;

		g->z.next_in = (unsigned char *)(uintptr_t)p;
		g->z.avail_in = chunk;
		do {
			if (g->ended) {
				/* another member follows (NOTES.md) */
				if (inflateReset(&g->z) != Z_OK) {
					g->err = "zlib: reset failed";
					return -1;
				}
				g->ended = 0;
			}
			g->z.next_out = obuf;
			g->z.avail_out = sizeof(obuf);
			zr = inflate(&g->z, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END &&
			    zr != Z_BUF_ERROR) {
				g->err = zr == Z_DATA_ERROR ?
				    "corrupt gzip data" : "zlib error";
				return -1;
			}
			if (sizeof(obuf) - g->z.avail_out > 0 &&
			    out(arg, (const char *)obuf,
			    sizeof(obuf) - g->z.avail_out) < 0)
				return -1;
			if (zr == Z_STREAM_END)
				g->ended = 1;
			if (zr == Z_BUF_ERROR && g->z.avail_out != 0)
				break;
		} while (g->z.avail_in > 0 || g->z.avail_out == 0);
		p = (const char *)p + chunk;
		n -= chunk;
	}
	return 0;
}

int
gz_finish(struct gz *g)
{
	if (!g->inited || !g->ended) {
		g->err = "truncated gzip data";
		return -1;
	}
	return 0;
}

void
gz_free(struct gz *g)
{
	if (g->inited)
		inflateEnd(&g->z);
	g->inited = 0;
}

struct bufout {
	struct buf	*b;
	size_t		 max, start;
	int		 over;
};

static int
to_buf(void *arg, const char *p, size_t n)
{
	struct bufout *o = arg;

	if (o->b->len - o->start + n > o->max) {
		o->over = 1;
		return -1;
	}
	buf_put(o->b, p, n);
	return 0;
}

int
gz_inflate_buf(const void *p, size_t n, struct buf *out, size_t max,
    const char **err)
{
	struct gz g;
	struct bufout o = { out, max, out->len, 0 };
	int r;

	gz_init(&g);
	r = gz_feed(&g, p, n, to_buf, &o);
	if (r == 0)
		r = gz_finish(&g);
	if (r < 0)
		*err = o.over ? "inflated data over the size limit" : g.err;
	gz_free(&g);
	return r;
}
