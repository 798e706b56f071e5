/* log.c: logfmt on stderr, one write(2) per line. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define LINE_MAX_LOG	4096

static const char *stage_name = "lokipipe";
static int min_level = LOG_INFO;
static const char *const names[] = { "debug", "info", "warn", "error" };

int
log_init(const char *stage, const char *level)
{
	int i;

	if (stage != NULL)
		stage_name = stage;
	if (level == NULL || *level == '\0')
		return 0;
	for (i = 0; i < 4; i++)
		if (strcasecmp(level, names[i]) == 0) {
			min_level = i;
			return 0;
		}
	if (strcasecmp(level, "warning") == 0) {
		min_level = LOG_WARN;
		return 0;
	}
	return -1;
}

int
log_on(int level)
{
	return level >= min_level;
}

struct lb {
	char	b[LINE_MAX_LOG];
	size_t	n;
};

static void
lb_put(struct lb *l, const char *p, size_t n)
{
	size_t room = sizeof(l->b) - 1 - l->n;	/* keep one for '\n' */

	if (n > room)
		n = room;
	memcpy(l->b + l->n, p, n);
	l->n += n;
}

/* A logfmt value: bare when it needs no quotes, else quoted with \" \\ \n
 * \r \t escaped and other control bytes as \xNN. */
static void
lb_val(struct lb *l, const char *s, size_t n)
{
	size_t i;
	int bare = n > 0;

	for (i = 0; i < n && bare; i++) {
		unsigned char c = s[i];

		if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f)
			bare = 0;
	}
	if (bare) {
		lb_put(l, s, n);
		return;
	}
	lb_put(l, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		char e[4];

		switch (c) {
		case '"': lb_put(l, "\\\"", 2); break;
		case '\\': lb_put(l, "\\\\", 2); break;
		case '\n': lb_put(l, "\\n", 2); break;
		case '\r': lb_put(l, "\\r", 2); break;
		case '\t': lb_put(l, "\\t", 2); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				e[0] = '\\';
				e[1] = 'x';
				e[2] = "0123456789abcdef"[c >> 4];
				e[3] = "0123456789abcdef"[c & 15];
				lb_put(l, e, 4);
			} else
				lb_put(l, (const char *)&s[i], 1);
		}
	}
	lb_put(l, "\"", 1);
}

static void
lb_kv(struct lb *l, const char *kv, va_list ap)
{
	const char *p = kv;

	while (*p) {
		char spec[16], num[64];
		size_t sn = 0;
		int n;

		if (*p != '%') {
			lb_put(l, p, 1);
			p++;
			continue;
		}
		/* copy the conversion: %[.*][l|ll|z|j]X */
		spec[sn++] = *p++;
		if (p[0] == '.' && p[1] == '*' && p[2] == 's') {
			int len = va_arg(ap, int);
			const char *s = va_arg(ap, const char *);

			lb_val(l, s ? s : "", s ? (size_t)(len < 0 ? 0 : len) : 0);
			p += 3;
			continue;
		}
		while (*p == 'l' || *p == 'z' || *p == 'j')
			if (sn < sizeof(spec) - 2)
				spec[sn++] = *p++;
		spec[sn++] = *p;
		spec[sn] = '\0';
		switch (*p) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (s == NULL)
				s = "";
			lb_val(l, s, strlen(s));
			break;
		}
		case 'd': case 'i':
			if (strcmp(spec, "%d") == 0)
				n = snprintf(num, sizeof(num), "%d", va_arg(ap, int));
			else if (strcmp(spec, "%ld") == 0)
				n = snprintf(num, sizeof(num), "%ld",
				    va_arg(ap, long));
			else if (strcmp(spec, "%jd") == 0)
				n = snprintf(num, sizeof(num), "%jd",
				    va_arg(ap, intmax_t));
			else if (strcmp(spec, "%zd") == 0)
				n = snprintf(num, sizeof(num), "%zd",
				    va_arg(ap, ssize_t));
			else
				n = snprintf(num, sizeof(num), "%lld",
				    va_arg(ap, long long));
			lb_put(l, num, n > 0 ? (size_t)n : 0);
			break;
		case 'u': case 'x':
			if (strcmp(spec + 1, "u") == 0 || strcmp(spec + 1, "x") == 0)
				n = snprintf(num, sizeof(num), spec,
				    va_arg(ap, unsigned));
			else if (spec[1] == 'z')
				n = snprintf(num, sizeof(num), spec,
				    va_arg(ap, size_t));
			else if (spec[1] == 'j')
				n = snprintf(num, sizeof(num), spec,
				    va_arg(ap, uintmax_t));
			else if (strcmp(spec + 1, "lu") == 0 ||
			    strcmp(spec + 1, "lx") == 0)
				n = snprintf(num, sizeof(num), spec,
				    va_arg(ap, unsigned long));
			else
				n = snprintf(num, sizeof(num), spec,
				    va_arg(ap, unsigned long long));
			lb_put(l, num, n > 0 ? (size_t)n : 0);
			break;
		case 'g': case 'f':
			n = snprintf(num, sizeof(num), "%g", va_arg(ap, double));
			lb_put(l, num, n > 0 ? (size_t)n : 0);
			break;
		case '%':
			lb_put(l, "%", 1);
			break;
		default:
			return;		/* unknown conversion: stop here */
		}
		if (*p)
			p++;
	}
}

static void
vlog(int level, const char *msg, const char *kv, va_list ap)
{
	struct lb l;

	l.n = 0;
	lb_put(&l, "level=", 6);
	lb_put(&l, names[level], strlen(names[level]));
	lb_put(&l, " stage=", 7);
	lb_val(&l, stage_name, strlen(stage_name));
	lb_put(&l, " msg=", 5);
	lb_val(&l, msg, strlen(msg));
	if (kv != NULL && *kv) {
		lb_put(&l, " ", 1);
		lb_kv(&l, kv, ap);
	}
	l.b[l.n++] = '\n';
	(void)!write(2, l.b, l.n);
}

void
log_msg(int level, const char *msg, const char *kv, ...)
{
	va_list ap;

	if (level < min_level || level > LOG_ERROR)
		return;
	va_start(ap, kv);
	vlog(level, msg, kv, ap);
	va_end(ap);
}

void
die(int code, const char *msg, const char *kv, ...)
{
	va_list ap;

	va_start(ap, kv);
	vlog(LOG_ERROR, msg, kv, ap);
	va_end(ap);
	exit(code);
}
