/* b64.h: base64 decoding (RFC 4648, standard alphabet), as AWS sends it. */
#ifndef LP_B64_H
#define LP_B64_H

#include <stddef.h>
#include "util.h"

/* Upper bound of the decoded size of n base64 characters. */
size_t	b64_decoded_max(size_t n);
/*
 * Appends the bytes that the n characters at s encode to out. Padding
 * ('=') is optional at the end; CR, LF, space and tab are ignored (MIME
 * line breaks). Returns 0, or -1 with *err set to a static message (a
 * character outside the alphabet, misplaced padding, a lone trailing
 * character); out->len is then as it was.
 */
int	b64_decode(const char *s, size_t n, struct buf *out, const char **err);

#endif
