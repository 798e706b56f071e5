/* lambda.c: event compaction, acks and crash notices, response bodies. */
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "json.h"
#include "lambda.h"
#include "util.h"

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
lambda_compact(struct buf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, s;
	unsigned char c;
	int instr;
	char esc[6];

	i = 0;
	instr = 0;
	while (i < n) {
		s = i;
		if (!instr) {
			while (i < n && p[i] != '"' && !is_ws(p[i]))
				i++;
			buf_put(out, p + s, i - s);
			if (i == n)
				break;
			if (p[i] == '"') {
				buf_putc(out, '"');
				instr = 1;
			}
			i++;
			continue;
		}
		while (i < n && p[i] != '"' && p[i] != '\\' &&
		    (unsigned char)p[i] >= 0x20)
			i++;
		buf_put(out, p + s, i - s);
		if (i == n)
			break;
		c = (unsigned char)p[i];
		if (c == '"') {
			buf_putc(out, '"');
			instr = 0;
			i++;
		} else if (c == '\\') {
			if (i + 1 < n && (unsigned char)p[i + 1] >= 0x20) {
				buf_put(out, p + i, 2);
				i += 2;
			} else {
				/* a backslash before a raw control byte or
				 * at the end: keep it as a character */
				buf_put(out, "\\\\", 2);
				i++;
			}
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_put(out, esc, 6);
			i++;
		}
	}
	return instr ? -1 : 0;
}

static int
raw_is(struct str raw, const char *word)
{
	size_t n = strlen(word);

	return raw.n == n && memcmp(raw.p, word, n) == 0;
}

int
lambda_ack_parse(const char *p, size_t n, struct buf *scratch,
    struct lambda_ack *a, const char **err)
{
	struct jr j;
	struct str k, raw;
	int r, have_ack, have_crash, have_ok;

	memset(a, 0, sizeof(*a));
	have_ack = have_crash = have_ok = 0;
	jr_init(&j, p, n, scratch);
	if (jr_obj(&j) == -1)
		goto bad;
	for (;;) {
		r = jr_next(&j, &k);
		if (r == 0)
			break;
		if (r == -1)
			goto bad;
		if (str_eq(k, "ack")) {
			if (jr_str(&j, &a->token) == -1)
				goto bad;
			have_ack = 1;
		} else if (str_eq(k, "crash")) {
			if (jr_str(&j, &a->stage) == -1)
				goto bad;
			have_crash = 1;
		} else if (str_eq(k, "error")) {
			if (jr_str(&j, &a->error) == -1)
				goto bad;
		} else if (str_eq(k, "entries")) {
			if (jr_u64(&j, &a->entries) == -1)
				goto bad;
		} else if (str_eq(k, "bytes")) {
			if (jr_u64(&j, &a->bytes) == -1)
				goto bad;
		} else if (str_eq(k, "status")) {
			if (jr_u64(&j, &a->status) == -1)
				goto bad;
		} else if (str_eq(k, "signal")) {
			if (jr_u64(&j, &a->sig) == -1)
				goto bad;
		} else if (str_eq(k, "ok")) {
			if (jr_skip(&j, &raw) == -1)
				goto bad;
			if (raw_is(raw, "true"))
				a->ok = 1;
			else if (raw_is(raw, "false"))
				a->ok = 0;
			else {
				*err = "\"ok\" is not a boolean";
				return -1;
			}
			have_ok = 1;
		} else if (jr_skip(&j, NULL) == -1)
			goto bad;
	}
	if (jr_end(&j) == -1)
		goto bad;
	if (have_ack && have_ok) {
		a->kind = LA_ACK;
		return LA_ACK;
	}
	if (have_crash && !have_ack) {
		a->kind = LA_CRASH;
		return LA_CRASH;
	}
	*err = "neither an ack (ack, ok) nor a crash notice";
	return -1;
bad:
	*err = j.err != NULL ? j.err : "invalid JSON";
	return -1;
}

void
lambda_crash_write(struct buf *b, const char *stage, uint64_t status,
    uint64_t sig)
{
	buf_puts(b, "{\"crash\":");
	jw_str(b, stage, strlen(stage));
	buf_puts(b, ",\"status\":");
	buf_putu64(b, status);
	buf_puts(b, ",\"signal\":");
	buf_putu64(b, sig);
	buf_puts(b, "}\n");
}

/* The item named by one reason, or -1. */
static int
reason_item(const char *p, const char *end, struct str *id)
{
	static const char *const pfx[] = { "sqs:", "kinesis:" };
	size_t i, n;
	const char *q;

	if ((size_t)(end - p) > 12 && memcmp(p, "aws-decode: ", 12) == 0)
		p += 12;
	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		n = strlen(pfx[i]);
		if ((size_t)(end - p) > n && memcmp(p, pfx[i], n) == 0)
			break;
	}
	if (i == sizeof(pfx) / sizeof(pfx[0]))
		return -1;
	p += n;
	for (q = p; q < end && *q != ':'; q++)
		if (*q == ' ' || *q == '"' || *q == '\\' ||
		    (unsigned char)*q < 0x20)
			return -1;
	if (q == p || q == end)
		return -1;
	id->p = p;
	id->n = (size_t)(q - p);
	return 0;
}

int
lambda_item_failures(struct buf *out, struct str err)
{
	const char *p, *q, *end;
	struct str id, *ids;
	size_t nids, cap, i;

	if (err.n == 0)
		return -1;
	ids = NULL;
	nids = cap = 0;
	p = err.p;
	end = err.p + err.n;
	for (;;) {
		for (q = p; q + 1 < end && !(q[0] == ';' && q[1] == ' '); q++)
			;
		if (q + 1 >= end)
			q = end;
		if (reason_item(p, q, &id) == -1) {
			free(ids);
			return -1;
		}
		for (i = 0; i < nids; i++)
			if (ids[i].n == id.n &&
			    memcmp(ids[i].p, id.p, id.n) == 0)
				break;
		if (i == nids) {
			if (nids == cap) {
				cap = cap ? cap * 2 : 16;
				ids = xrealloc(ids, cap * sizeof(*ids));
			}
			ids[nids++] = id;
		}
		if (q == end)
			break;
		p = q + 2;
	}
	buf_puts(out, "{\"batchItemFailures\":[");
	for (i = 0; i < nids; i++) {
		if (i > 0)
			buf_putc(out, ',');
		buf_puts(out, "{\"itemIdentifier\":");
		jw_str(out, ids[i].p, ids[i].n);
		buf_putc(out, '}');
	}
	buf_puts(out, "]}");
	free(ids);
	return (int)nids;
}

void
lambda_error_body(struct buf *b, const char *type, struct str msg)
{
	buf_puts(b, "{\"errorMessage\":");
	jw_str(b, msg.p, msg.n);
	buf_puts(b, ",\"errorType\":");
	jw_str(b, type, strlen(type));
	buf_putc(b, '}');
}
