/* log.h: logfmt lines on stderr, one write(2) each, filtered by level. */
#ifndef LP_LOG_H
#define LP_LOG_H

enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_NONE };

/* Sets the stage name and the level ("debug", "info", "warn", "error";
 * NULL or unknown means info). Returns -1 for an unknown level. */
int	log_init(const char *stage, const char *level);
int	log_on(int level);

/*
 * log_msg(LOG_WARN, "record skipped", "line=%zu err=%s", n, why)
 * writes  level=warn stage=NAME msg="record skipped" line=42 err="..."
 * kv is a format of key=conversion pairs: %s (C string) and %.*s (int
 * length, pointer) are quoted as logfmt needs; %d %u %ld %lu %zu %lld
 * %llu %jd and %g are printed as printf does. kv may be NULL. Lines are cut
 * at 4 KiB so that one write never interleaves with another stage's.
 */
void	log_msg(int level, const char *msg, const char *kv, ...)
	    __attribute__((format(printf, 3, 4)));

/* log_msg at LOG_ERROR, then exit(code). */
void	die(int code, const char *msg, const char *kv, ...)
	    __attribute__((format(printf, 3, 4), noreturn));

#endif
