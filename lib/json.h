/* json.h: a small JSON reader (a cursor over one document) and writer. */
#ifndef LP_JSON_H
#define LP_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

/*
 * The reader walks a document in place. Strings without escapes are
 * returned as pointers into the input; escaped ones are decoded into
 * scratch, which jr_init sizes so that it never moves while the document
 * is read (a decoded string is never longer than its JSON form). Strings
 * must be valid UTF-8 (lone surrogates, overlong forms and bytes that are
 * not UTF-8 are errors); \u0000 decodes to a NUL byte. On any error the
 * function returns -1 and err names the problem.
 *
 * Against jq 1.6 (tests/codec/diff.t checks that these are the only
 * differences): jq also accepts invalid UTF-8 and lone surrogate escapes
 * (making them U+FFFD), raw NUL and U+001F inside strings, and numbers
 * that are not JSON (01, +1, .5, 1., nan, infinity, a NUL byte after the
 * digits), and it ends a document at a byte 0x1E (RFC 7464's separator);
 * this reader rejects them all. Nesting is limited as jq limits it: 256
 * levels, the key of an object member counting as one.
 */
struct jr {
	const char	*p, *end;
	const char	*start;
	struct buf	*scratch;
	const char	*err;
	int		 depth;
	int		 first;	/* a container was just opened */
};

void	jr_init(struct jr *, const char *p, size_t n, struct buf *scratch);
/* The next byte after whitespace, or -1 at the end. */
int	jr_peek(struct jr *);
/* Consumes '{' (or '['). 0 or -1. */
int	jr_obj(struct jr *);
int	jr_arr(struct jr *);
/* In an object: 1 and *key set (the ':' consumed), 0 when '}' was
 * consumed, -1 on error. Call jr_next again after reading the value. */
int	jr_next(struct jr *, struct str *key);
/* In an array: 1 when an element follows, 0 when ']' was consumed. */
int	jr_more(struct jr *);
/* A string value, decoded. 0 or -1 (also when the value is not a string). */
int	jr_str(struct jr *, struct str *);
/* Skips any value, checking its syntax; raw (may be NULL) is its text. */
int	jr_skip(struct jr *, struct str *raw);
/* A nonnegative integer below 2^64 (timestamps): a string of decimal
 * digits, or a JSON number whose value is such an integer (12, 1.2e1,
 * 12.0). Other fractions, signs, overflow: -1. */
int	jr_u64(struct jr *, uint64_t *);
/* 0 when only whitespace is left, else -1. */
int	jr_end(struct jr *);
/* Byte offset of the cursor, for messages. */
size_t	jr_off(const struct jr *);

/* Appends s as a JSON string: quoted, with '"', '\\' and control bytes
 * escaped; bytes that are not UTF-8 become U+FFFD. */
void	jw_str(struct buf *, const char *s, size_t n);
/* The same into o, which must have room for JW_STR_MAX(n) bytes;
 * returns the end of what was written. */
#define JW_STR_MAX(n)	((n) * 6 + 2)
char	*jw_str_to(char *o, const char *s, size_t n);
/* Appends the decimal digits of v quoted ("123"). */
void	jw_u64q(struct buf *, uint64_t v);

/* Length of the longest prefix of s that is valid UTF-8 (0..n). */
size_t	utf8_valid_prefix(const char *s, size_t n);

#endif
