/*
 * transform: Promtail pipeline stages and jq programs on each entry.
 *
 * Reads entries and control records (DESIGN.md §1) on stdin; writes the
 * entries that come out, and the control records in order, on stdout.
 * First the Loki pipeline stages of LOKI_STAGE_CONFIGS run, as
 * lambda-promtail runs them (the extracted map starts from the labels),
 * then each --jq program in order. A jq program gets
 * {"ts":"...","labels":{...},"line":"...","meta":{...}} and outputs zero
 * (drop), one or several such objects; keep ts a string (jq's numbers are
 * doubles). With no stage and no program, entries pass through untouched.
 *
 * Entries dropped by a drop or match stage, or by a program that outputs
 * nothing, are dropped on purpose. An entry that cannot be read, or that a
 * program fails on or turns into something that is not an entry, is
 * logged, counted and added to the error of the next flush marker.
 *
 * PIPELINE_TIMEOUT is read and validated (a Go duration) for
 * compatibility: these stages are synchronous C and never drop an entry
 * for taking too long. An invalid value is warned about and ignored, as
 * lambda-promtail ignores it; an invalid --timeout is a usage error.
 *
 * Stages: json (JMESPath field names, "quoted" names, dots and [N]),
 * regex, logfmt, labels, structured_metadata (non_indexed_labels),
 * static_labels, labeldrop, labelallow, output, timestamp, drop, replace,
 * template (a subset of Go templates: fields, string and integer
 * literals, pipelines, if/else, Promtail's functions and a few of sprig's),
 * match, tenant, decolorize, pack, docker, sampling, limit (without drop it
 * waits for a token, never drops), multiline (as in lambda-promtail,
 * where each entry passes through it alone: lines are never joined). Any
 * other stage name, any option lokipipe does not implement, and any regex
 * that is not RE2 is a configuration error at start.
 *
 * Options:
 *   -s, --stages JSON        (env LOKI_STAGE_CONFIGS)
 *   -S, --stages-file FILE   the same JSON from a file
 *   -j, --jq PROGRAM         a jq program (repeatable)
 *   -J, --jq-file FILE       a jq program from a file (repeatable; in
 *                            order with -j)
 *   -t, --timeout DURATION   (env PIPELINE_TIMEOUT; accepted, see above)
 *       --max-line BYTES     longest input line (default 8M)
 *       --check, --help
 * Environment: LOKI_STAGE_CONFIGS, PIPELINE_TIMEOUT, LOG_LEVEL.
 * Exit: 0; 1 entries were lost (unreadable, or a jq program failed);
 * 100 usage or configuration; 111 system.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entry.h"
#include "gocompat.h"
#include "io.h"
#include "log.h"
#include "lstage.h"
#include "settings.h"

static struct errs	errs;
static uint64_t		entries_in, entries_out, dropped, bad;

static void
usage(int code)
{
	static const char u[] =
	    "usage: transform [-s JSON | -S FILE] [-j PROGRAM | -J FILE]... "
	    "[-t DURATION] [--max-line BYTES] [--check]\n"
	    "Applies Loki pipeline stages (LOKI_STAGE_CONFIGS) and jq "
	    "programs to each entry.\n";

	(void)!write(code == 0 ? 1 : 2, u, sizeof(u) - 1);
	exit(code);
}

static char *
read_file(const char *path, size_t *n)
{
	struct buf b = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		die(EX_USAGE, "cannot open the file", "file=%s err=%s",
		    path, strerror(errno));
	for (;;) {
		buf_grow(&b, 65536);
		r = read(fd, b.p + b.len, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die(EX_SYS, "cannot read the file",
			    "file=%s err=%s", path, strerror(errno));
		if (r == 0)
			break;
		b.len += (size_t)r;
	}
	close(fd);
	*n = b.len;
	return buf_cstr(&b);
}

static void
emit(void *ctx, uint64_t ts, const struct label *l, size_t nl,
    struct str line, const struct label *m, size_t nm)
{
	struct wr *out = ctx;

	rec_write_entry(&out->b, ts, l, nl, line, m, nm);
	entries_out++;
	if (wr_end(out) < 0)
		die(EX_SYS, "cannot write", "fd=stdout err=%s",
		    strerror(errno));
}

static void
lost(struct rd *in, const char *why)
{
	bad++;
	log_msg(LOG_WARN, "entry lost", "line=%llu err=%s",
	    (unsigned long long)in->lineno, why);
	errs_add(&errs, "transform: input line %llu: %s",
	    (unsigned long long)in->lineno, why);
}

static void
log_drop(void *ctx, const char *reason, uint64_t n)
{
	log_msg(LOG_INFO, "dropped by stages", "reason=%s count=%llu",
	    reason, (unsigned long long)n);
}

/* lambda-promtail ignores a PIPELINE_TIMEOUT it cannot parse: so do we
 * (with a warning); an invalid --timeout is an error. */
static void
check_timeout(const char *flag)
{
	const char *e = setting(flag, "PIPELINE_TIMEOUT");
	int64_t ns;

	if (e == NULL || go_duration(e, strlen(e), &ns) == 0)
		return;
	if (flag != NULL)
		die(EX_USAGE, "invalid --timeout: want a Go duration such as "
		    "1s or 500ms", "value=%s", e);
	log_msg(LOG_WARN, "PIPELINE_TIMEOUT is not a Go duration, ignored "
	    "(as lambda-promtail does)", "value=%s", e);
}

static void
loop(struct lstage *ls, struct rd *in, struct wr *out)
{
	struct rec_parser ps;
	struct rec r;
	struct str line;
	const char *err;
	int got, kind, n;
	size_t nst = lstage_count(ls);

	memset(&ps, 0, sizeof(ps));
	for (;;) {
		got = rd_line(in, &line);
		if (got == RD_EOF)
			break;
		if (got == RD_ERR)
			die(EX_SYS, "cannot read or write", "err=%s",
			    strerror(errno));
		if (got == RD_LONG) {
			lost(in, "line over --max-line");
			continue;
		}
		kind = rec_parse(&ps, line.p, line.n, &r, &err);
		if (kind == REC_ENTRY && nst == 0) {
			/* nothing to do: the bytes as they came */
			entries_in++;
			entries_out++;
			buf_put(&out->b, line.p, line.n);
			buf_putc(&out->b, '\n');
			if (wr_end(out) < 0)
				die(EX_SYS, "cannot write", "fd=stdout err=%s",
				    strerror(errno));
		} else if (kind == REC_ENTRY) {
			entries_in++;
			n = lstage_run(ls, &r, now_ns(), emit, out);
			if (n < 0)
				lost(in, lstage_error(ls));
			else if (n == 0)
				dropped++;
		} else if (kind == REC_FLUSH) {
			rec_pass_flush(&out->b, &r, &errs);
			if (wr_flush(out) < 0)
				die(EX_SYS, "cannot write", "fd=stdout err=%s",
				    strerror(errno));
		} else if (kind == REC_ACK) {
			buf_put(&out->b, line.p, line.n);
			buf_putc(&out->b, '\n');
			if (wr_flush(out) < 0)
				die(EX_SYS, "cannot write", "fd=stdout err=%s",
				    strerror(errno));
		} else
			lost(in, err);
	}
	rec_parser_free(&ps);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "stages", required_argument, NULL, 's' },
		{ "stages-file", required_argument, NULL, 'S' },
		{ "jq", required_argument, NULL, 'j' },
		{ "jq-file", required_argument, NULL, 'J' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-line", required_argument, NULL, 'L' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *fstages = NULL, *ffile = NULL, *ftimeout = NULL;
	const char *fline = "8M", *text, **jq = NULL;
	char *file = NULL, err[640], **jqfile;
	size_t njq = 0, i, tn = 0;
	uint64_t max_line;
	int c, check = 0;
	struct lstage *ls;
	struct rd in;
	struct wr out;

	if (log_init("transform", getenv("LOG_LEVEL")) < 0)
		die(EX_USAGE, "invalid LOG_LEVEL (debug, info, warn, error)",
		    "value=%s", getenv("LOG_LEVEL"));
	jq = xcalloc((size_t)argc, sizeof(*jq));
	jqfile = xcalloc((size_t)argc, sizeof(*jqfile));
	while ((c = getopt_long(argc, argv, "s:S:j:J:t:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': fstages = optarg; break;
		case 'S': ffile = optarg; break;
		case 'j': jq[njq++] = optarg; break;
		case 'J':
			jq[njq] = jqfile[njq] = read_file(optarg, &i);
			njq++;
			break;
		case 't': ftimeout = optarg; break;
		case 'L': fline = optarg; break;
		case 'C': check = 1; break;
		case 'h': usage(0); break;
		default: usage(EX_USAGE);
		}
	}
	if (optind != argc || (fstages != NULL && ffile != NULL))
		usage(EX_USAGE);
	if (parse_size(fline, &max_line) < 0 || max_line < 64)
		die(EX_USAGE, "invalid --max-line", "value=%s", fline);
	check_timeout(ftimeout);
	if (ffile != NULL)
		text = file = read_file(ffile, &tn);
	else {
		text = setting(fstages, "LOKI_STAGE_CONFIGS");
		tn = text != NULL ? strlen(text) : 0;
	}
	ls = lstage_new(text, tn, err, sizeof(err));
	if (ls == NULL)
		die(EX_USAGE, "invalid pipeline stages", "err=%s", err);
	for (i = 0; i < njq; i++)
		if (lstage_add_jq(ls, jq[i], err, sizeof(err)) < 0)
			die(EX_USAGE, "invalid jq program", "err=%s", err);
	for (i = 0; i < njq; i++)
		free(jqfile[i]);
	free(jqfile);
	free(jq);
	if (check) {
		lstage_free(ls);
		free(file);
		return 0;
	}

	sig_setup();
	wr_init(&out, 1, "stdout");
	rd_init(&in, 0, max_line, &out);
	loop(ls, &in, &out);
	if (errs.n > 0)
		log_msg(LOG_ERROR, "entries lost since the last flush marker",
		    "errors=%.*s", (int)errs_get(&errs).n, errs_get(&errs).p);
	if (wr_flush(&out) < 0)
		die(EX_SYS, "cannot write", "fd=stdout err=%s",
		    strerror(errno));
	lstage_drops(ls, log_drop, NULL);
	log_msg(LOG_INFO, "done", "in=%llu out=%llu dropped=%llu lost=%llu",
	    (unsigned long long)entries_in, (unsigned long long)entries_out,
	    (unsigned long long)dropped, (unsigned long long)bad);
	rd_free(&in);
	buf_free(&out.b);
	buf_free(&errs.b);
	lstage_free(ls);
	free(file);
	return bad > 0 ? EX_LOST : EX_OK;
}
