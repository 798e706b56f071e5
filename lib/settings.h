/* settings.h: a stage's settings from flags or lambda-promtail's
 * environment variables (the flag wins). This module is the one place in
 * lib/ that reads the environment. */
#ifndef LP_SETTINGS_H
#define LP_SETTINGS_H

#include <stdint.h>

/* flag if non-NULL, else getenv(env) if set and non-empty, else NULL. */
const char *setting(const char *flag, const char *env);
/* "true"/"false" (any case), "1"/"0", "yes"/"no". 0, or -1 if neither. */
int	parse_bool(const char *, int *);
/* A decimal count, optionally with k/K, m/M (×1024). 0 or -1. */
int	parse_size(const char *, uint64_t *);
/* A duration: plain number (ms), or with ms, s, m, h (e.g. "1.5s"). */
int	parse_duration_ms(const char *, int64_t *);

#endif
