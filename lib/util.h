/* util.h: byte strings, growable buffers, allocation that dies on failure. */
#ifndef LP_UTIL_H
#define LP_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes (STYLE.md). */
#define EX_OK		0
#define EX_LOST		1	/* data refused or lost */
#define EX_USAGE	100	/* usage or configuration */
#define EX_BUG		101
#define EX_SYS		111	/* system or temporary failure */

/* A borrowed byte string; not NUL-terminated unless said so. */
struct str {
	const char	*p;
	size_t		 n;
};

#define STR_LIT(s)	((struct str){ (s), sizeof(s) - 1 })

/* A growable byte buffer. p is owned; len bytes are used of cap. */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* x* allocate or die with exit 111 and a message on stderr. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

/* Make room for n more bytes; returns a pointer to p + len. */
char	*buf_grow(struct buf *, size_t n);
void	 buf_put(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, char);
/* Appends the decimal form of v. */
void	 buf_putu64(struct buf *, uint64_t);
void	 buf_puti64(struct buf *, int64_t);
/* NUL-terminates without counting the NUL in len; returns p. */
char	*buf_cstr(struct buf *);
void	 buf_free(struct buf *);

int	 str_eq(struct str, const char *);
/* Parses a whole decimal string into an unsigned 64-bit value; 0 or -1. */
int	 parse_u64(const char *, size_t, uint64_t *);

/* Monotonic milliseconds and wall-clock nanoseconds. */
int64_t	 now_ms(void);
int64_t	 now_ns(void);

#endif
