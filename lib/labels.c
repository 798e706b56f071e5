/* labels.c: label names, order, hashing and Loki's label string. */
#include <string.h>

#include "labels.h"

int
label_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '_' || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z'))
			continue;
		if (i > 0 && c >= '0' && c <= '9')
			continue;
		return 0;
	}
	return 1;
}

static int
name_cmp(const struct label *a, const struct label *b)
{
	size_t n = a->name.n < b->name.n ? a->name.n : b->name.n;
	int c = memcmp(a->name.p, b->name.p, n);

	if (c != 0)
		return c;
	return (a->name.n > b->name.n) - (a->name.n < b->name.n);
}

void
labels_sort(struct label *l, size_t n)
{
	size_t i, k;

	/* label sets are small: insertion sort, stable, no allocation */
	for (i = 1; i < n; i++) {
		struct label t = l[i];

		for (k = i; k > 0 && name_cmp(&l[k - 1], &t) > 0; k--)
			l[k] = l[k - 1];
		l[k] = t;
	}
}

struct label *
labels_find(struct label *l, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i].name.n == len && memcmp(l[i].name.p, name, len) == 0)
			return &l[i];
	return NULL;
}

uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	/* FNV-1a, 64 bits */
	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
labels_hash(const struct label *l, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h = hash_bytes(h, l[i].name.p, l[i].name.n);
		h = hash_bytes(h, "\xff", 1);
		h = hash_bytes(h, l[i].value.p, l[i].value.n);
		h = hash_bytes(h, "\xfe", 1);
	}
	return h;
}

static const char hexd[] = "0123456789abcdef";

/* A value as Go's strconv.Unquote reads it back (Loki's label parser). */
static void
quote(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '"': buf_put(b, "\\\"", 2); break;
		case '\\': buf_put(b, "\\\\", 2); break;
		case '\n': buf_put(b, "\\n", 2); break;
		case '\r': buf_put(b, "\\r", 2); break;
		case '\t': buf_put(b, "\\t", 2); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char e[4] = { '\\', 'x', hexd[c >> 4],
				    hexd[c & 15] };

				buf_put(b, e, 4);
			} else
				buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

void
labels_loki(struct buf *b, const struct label *l, size_t n)
{
	size_t i;

	buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_put(b, ", ", 2);
		buf_put(b, l[i].name.p, l[i].name.n);
		buf_putc(b, '=');
		quote(b, l[i].value.p, l[i].value.n);
	}
	buf_putc(b, '}');
}
