/* settings.c: flags, or lambda-promtail's environment variables. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "settings.h"
#include "util.h"

const char *
setting(const char *flag, const char *env)
{
	const char *v;

	if (flag != NULL)
		return flag;
	if (env == NULL)
		return NULL;
	v = getenv(env);
	return v != NULL && *v ? v : NULL;
}

int
parse_bool(const char *s, int *out)
{
	static const char *const t[] = { "true", "1", "yes", "on" };
	static const char *const f[] = { "false", "0", "no", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, t[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int
parse_size(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t v, mul = 1;

	if (n > 0 && strchr("kK", s[n - 1]) != NULL) {
		mul = 1024;
		n--;
	} else if (n > 0 && strchr("mM", s[n - 1]) != NULL) {
		mul = 1024 * 1024;
		n--;
	}
	if (parse_u64(s, n, &v) < 0 || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int
parse_duration_ms(const char *s, int64_t *out)
{
	char *end;
	double v;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	if (*end == '\0' || strcmp(end, "ms") == 0)
		;
	else if (strcmp(end, "s") == 0)
		v *= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60000;
	else if (strcmp(end, "h") == 0)
		v *= 3600000;
	else
		return -1;
	if (!(v >= 0 && v < 9.2e15))
		return -1;
	*out = (int64_t)v;
	return 0;
}
