/*
 * relabel: EXTRA_LABELS, DROP_LABELS, then Prometheus relabel_configs, on
 * each entry's labels (DESIGN.md §2-3), as lambda-promtail does them but
 * on a sorted label set, so that the result is always the same.
 *
 * Reads entries and control records (DESIGN.md §1) on stdin; writes the
 * entries with their new labels (sorted by name) and the control records,
 * in order, on stdout. ts, line and meta are untouched. The work is done
 * once per label set: an entry whose labels are those of the entry before
 * reuses the result. An entry that a rule drops, or that is left with no
 * label, is dropped on purpose (counted; not an error). An invalid record
 * is warned about, counted and added to the next flush marker's error.
 *
 * Options (a flag wins over its environment variable):
 *   -e, --extra-labels N1,V1,...     EXTRA_LABELS: add __extra_N1=V1 ...
 *   -o, --omit-extra-labels-prefix   OMIT_EXTRA_LABELS_PREFIX=true: add N1=V1
 *   -d, --drop-labels N1,N2,...      DROP_LABELS: remove these labels
 *   -c, --config FILE                a JSON array of relabel rules, instead
 *                                    of RELABEL_CONFIGS
 *       --max-line BYTES             longest input line (default 8M)
 *       --check                      validate the settings and exit
 *       --help
 * Environment: EXTRA_LABELS, OMIT_EXTRA_LABELS_PREFIX, DROP_LABELS,
 * RELABEL_CONFIGS, LOG_LEVEL.
 * Exit: 0; 1 invalid records were dropped; 100 usage or configuration;
 * 111 system.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "entry.h"
#include "io.h"
#include "log.h"
#include "relabel.h"
#include "settings.h"

static uint64_t		 n_in, n_out, n_dropped, n_bad;
static struct errs	 errs;

static void
usage(int code)
{
	static const char u[] =
	    "usage: relabel [-e N1,V1,...] [-o] [-d N1,...] [-c RULES.json] "
	    "[--max-line BYTES]\n"
	    "               [--check]\n"
	    "Applies EXTRA_LABELS, DROP_LABELS and RELABEL_CONFIGS (Prometheus"
	    "\nrelabel_configs as JSON) to the labels of each entry.\n";

	if (code == 0)
		(void)!write(1, u, sizeof(u) - 1);
	else
		(void)!write(2, u, sizeof(u) - 1);
	exit(code);
}

/* The rules file, whole; dies with 100 when it cannot be read. */
static void
read_file(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY);
	ssize_t k;

	if (fd < 0)
		die(EX_USAGE, "cannot open the rules file", "file=%s err=%s",
		    path, strerror(errno));
	for (;;) {
		buf_grow(b, 65536);
		k = read(fd, b->p + b->len, 65536);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			die(EX_USAGE, "cannot read the rules file",
			    "file=%s err=%s", path, strerror(errno));
		if (k == 0)
			break;
		b->len += (size_t)k;
	}
	close(fd);
}

static void
bad(struct rd *in, const char *why)
{
	n_bad++;
	log_msg(LOG_WARN, "invalid record dropped", "line=%llu err=%s",
	    (unsigned long long)in->lineno, why);
	errs_add(&errs, "relabel: input line %llu: %s",
	    (unsigned long long)in->lineno, why);
}

static void
out_end(struct wr *out, int flush)
{
	if ((flush ? wr_flush(out) : wr_end(out)) < 0)
		die(EX_SYS, "cannot write", "fd=%s err=%s", out->name,
		    strerror(errno));
}

static void
warnings(struct relabel *rl)
{
	struct str name;
	size_t rule;

	int k;

	for (;;) {
		k = relabel_warning(rl, &rule, &name);
		if (k == 0)
			break;
		if (k == 1)
			log_msg(LOG_WARN, "rule made a label name that Loki "
			    "refuses; label not set (reported once per rule)",
			    "rule=%zu name=%.*s", rule, (int)name.n, name.p);
		else
			log_msg(LOG_WARN, "regex match hit PCRE2's limits; "
			    "taken as no match (reported once per rule)",
			    "rule=%zu", rule);
	}
}

/* The record loop. */
static void
run(struct relabel *rl, struct rd *in, struct wr *out)
{
	struct rec_parser ps;
	struct rec r;
	struct buf lj = { 0 };
	const struct label *ol;
	size_t on;
	struct str line;
	const char *err;
	int got, kind, have = 0, keep = 0;

	memset(&ps, 0, sizeof(ps));
	for (;;) {
		got = rd_line(in, &line);
		if (got == RD_EOF)
			break;
		if (got == RD_ERR)
			die(EX_SYS, "cannot read or write", "err=%s",
			    strerror(errno));
		if (got == RD_LONG) {
			bad(in, "line over --max-line");
			continue;
		}
		kind = rec_parse(&ps, line.p, line.n, &r, &err);
		if (kind == REC_ENTRY) {
			n_in++;
			if (!have || r.labels_changed) {
				keep = relabel_apply(rl, r.labels, r.nlabels,
				    &ol, &on);
				lj.len = 0;
				if (keep)
					rec_write_labels(&lj, ol, on);
				have = 1;
				warnings(rl);
			}
			if (!keep) {
				n_dropped++;
				if (log_on(LOG_DEBUG))
					log_msg(LOG_DEBUG, "entry dropped by "
					    "the rules", "line=%llu",
					    (unsigned long long)in->lineno);
				continue;
			}
			rec_write_entry_raw(&out->b, r.ts,
			    (struct str){ lj.p, lj.len }, r.line, r.meta,
			    r.nmeta);
			n_out++;
			out_end(out, 0);
		} else if (kind == REC_FLUSH) {
			rec_pass_flush(&out->b, &r, &errs);
			out_end(out, 1);
		} else if (kind == REC_ACK) {
			buf_put(&out->b, line.p, line.n);
			buf_putc(&out->b, '\n');
			out_end(out, 1);
		} else {
			have = 0;
			bad(in, err);
		}
	}
	rec_parser_free(&ps);
	buf_free(&lj);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "extra-labels", required_argument, NULL, 'e' },
		{ "omit-extra-labels-prefix", no_argument, NULL, 'o' },
		{ "drop-labels", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "max-line", required_argument, NULL, 'L' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *fextra = NULL, *fdrop = NULL, *fconf = NULL;
	const char *fline = "8M", *omit;
	struct relabel_conf conf = { 0 };
	struct buf file = { 0 };
	struct relabel *rl;
	uint64_t max_line;
	char err[512];
	int c, check = 0, fomit = 0;
	struct rd in;
	struct wr out;

	if (log_init("relabel", getenv("LOG_LEVEL")) < 0)
		die(EX_USAGE, "invalid LOG_LEVEL (debug, info, warn, error)",
		    "value=%s", getenv("LOG_LEVEL"));
	while ((c = getopt_long(argc, argv, "e:od:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'e': fextra = optarg; break;
		case 'o': fomit = 1; break;
		case 'd': fdrop = optarg; break;
		case 'c': fconf = optarg; break;
		case 'L': fline = optarg; break;
		case 'C': check = 1; break;
		case 'h': usage(0); break;
		default: usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);
	if (parse_size(fline, &max_line) < 0 || max_line < 64)
		die(EX_USAGE, "invalid --max-line", "value=%s", fline);
	conf.extra = setting(fextra, "EXTRA_LABELS");
	omit = setting(NULL, "OMIT_EXTRA_LABELS_PREFIX");
	/* lambda-promtail: strings.EqualFold(value, "true") */
	conf.omit_prefix = fomit || (omit != NULL &&
	    strcasecmp(omit, "true") == 0);
	conf.drop = setting(fdrop, "DROP_LABELS");
	conf.rules = setting(NULL, "RELABEL_CONFIGS");
	conf.rules_from = "RELABEL_CONFIGS";
	if (fconf != NULL) {
		read_file(fconf, &file);
		conf.rules = file.p ? file.p : "";
		conf.rules_len = file.len;
		conf.rules_from = fconf;
	} else if (conf.rules != NULL)
		conf.rules_len = strlen(conf.rules);
	rl = relabel_new(&conf, err, sizeof(err));
	if (rl == NULL)
		die(EX_USAGE, "invalid settings", "err=%s", err);
	buf_free(&file);
	if (check) {
		log_msg(LOG_INFO, "settings are valid", "rules=%zu",
		    relabel_nrules(rl));
		relabel_free(rl);
		return EX_OK;
	}

	sig_setup();
	wr_init(&out, 1, "stdout");
	rd_init(&in, 0, max_line, &out);
	run(rl, &in, &out);
	if (errs.n > 0)
		log_msg(LOG_ERROR, "records dropped since the last flush "
		    "marker", "errors=%.*s", (int)errs_get(&errs).n,
		    errs_get(&errs).p);
	out_end(&out, 1);
	log_msg(LOG_INFO, "done", "entries=%llu written=%llu "
	    "dropped_by_rules=%llu invalid=%llu",
	    (unsigned long long)n_in, (unsigned long long)n_out,
	    (unsigned long long)n_dropped, (unsigned long long)n_bad);
	relabel_free(rl);
	rd_free(&in);
	buf_free(&out.b);
	errs_clear(&errs);
	buf_free(&errs.b);
	return n_bad > 0 ? EX_LOST : EX_OK;
}
