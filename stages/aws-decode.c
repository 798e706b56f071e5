/*
 * aws-decode: AWS Lambda events in, entries out (DESIGN.md §1-3).
 *
 * Reads   JSON events on stdin: one per line (lambda-runtime), or one
 *         document spread over lines (a file); any whitespace between.
 *         Control records ({"flush":..}, {"ack":..}) on lines of their own.
 * Writes  one entry per log line; control records in order, a flush
 *         marker carrying the reasons why events before it were refused,
 *         each "aws-decode: " then where ("sqs:MESSAGEID: ",
 *         "sns:MESSAGEID: ", "kinesis:SEQUENCENUMBER: ", "cloudwatch: ",
 *         nested in that order) and why.
 * Labels  as lambda-promtail's (DESIGN.md §3) for CloudWatch, Kinesis and
 *         S3; what it rejects and we forward: __aws_log_type=eventbridge
 *         with __aws_eventbridge_source, __aws_eventbridge_detail_type;
 *         sqs with __aws_sqs_event_source_arn; sns with
 *         __aws_sns_topic_arn; Kinesis data that is not CloudWatch's,
 *         one entry a line (CloudFront real-time logs: their own time).
 * Options -k, --keep-stream[=BOOL]   KEEP_STREAM: __aws_cloudwatch_log_stream
 *         -p, --print-log-line=BOOL  PRINT_LOG_LINE (default true): each
 *                                    line also to stderr, as lambda-promtail
 *         -r, --region REGION        AWS_REGION: S3 records without one
 *         -e, --endpoint URL         AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL
 *         -m, --max-event SIZE       biggest event (8M; Lambda's is 6 MB)
 *         -l, --max-line SIZE        longest S3 log line (1M)
 *         -o, --object FILE -K, --key KEY [-b, --bucket B]
 *                                    decode a local file as if it were the
 *                                    S3 object s3://B/KEY, instead of stdin
 *         --check, --help
 * Env     LOG_LEVEL; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *         AWS_SESSION_TOKEN for S3.
 * Exit    0; 1 when an event (or the object) was refused; 100 usage;
 *         111 system (a failed read or write).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "log.h"
#include "io.h"
#include "entry.h"
#include "settings.h"
#include "s3log.h"
#include "awsevent.h"

struct dec {
	struct wr	 out;
	struct awsev	 ev;
	struct errs	 errs;
	struct buf	 labjson;	/* rendering of the current labels */
	struct buf	 pr;		/* PRINT_LOG_LINE, for stderr */
	int		 print;
	int		 obj_same;
	uint64_t	 refused;
};

static const char usage[] =
"usage: aws-decode [-k] [-p BOOL] [-r REGION] [-e URL] [-m SIZE] [-l SIZE]\n"
"                  [--check] [-o FILE -K KEY [-b BUCKET]]\n"
"  -k, --keep-stream[=BOOL]   label the log stream too (KEEP_STREAM)\n"
"  -p, --print-log-line=BOOL  copy lines to stderr (PRINT_LOG_LINE, true)\n"
"  -r, --region REGION        S3 region when a record has none (AWS_REGION)\n"
"  -e, --endpoint URL         S3 endpoint (AWS_ENDPOINT_URL_S3)\n"
"  -m, --max-event SIZE       biggest event accepted (8M)\n"
"  -l, --max-line SIZE        longest line of an S3 object (1M)\n"
"  -o, --object FILE          decode FILE as if it were the S3 object...\n"
"  -K, --key KEY              ...with this key (the log format follows it)\n"
"  -b, --bucket BUCKET        ...in this bucket\n"
"      --check                validate the settings and exit\n"
"Reads AWS Lambda events (CloudWatch Logs, Kinesis, S3, EventBridge, SQS,\n"
"SNS) on stdin and writes entries on stdout.\n";

static void
print_flush(struct dec *d)
{
	if (d->pr.len > 0)
		(void)fd_write_all(2, d->pr.p, d->pr.len);
	d->pr.len = 0;
}

static int
emit(void *arg, uint64_t ts, const struct label *l, size_t n, int same,
    struct str line)
{
	struct dec	*d = arg;

	if (!same) {
		d->labjson.len = 0;
		rec_write_labels(&d->labjson, l, n);
	}
	rec_write_entry_raw(&d->out.b, ts,
	    (struct str){ d->labjson.p, d->labjson.len }, line, NULL, 0);
	if (wr_end(&d->out) != 0)
		return -1;
	if (d->print) {
		/* whole lines, in writes that do not interleave (PIPE_BUF) */
		if (d->pr.len + line.n + 1 > 4000)
			print_flush(d);
		buf_put(&d->pr, line.p, line.n);
		buf_putc(&d->pr, '\n');
		if (d->pr.len > 4000)
			print_flush(d);
	}
	return 0;
}

static int
emit_obj(void *arg, uint64_t ts, const struct label *l, size_t n,
    struct str line)
{
	struct dec	*d = arg;
	int		 same = d->obj_same;

	d->obj_same = 1;
	return emit(arg, ts, l, n, same, line);
}

static void
warn(void *arg, const char *reason)
{
	log_msg(LOG_WARN, "event refused", "err=%s", reason);
}

static void
note(void *arg, const char *what)
{
	log_msg(LOG_WARN, "S3 object read", "note=%s", what);
}

static void
check_out(struct dec *d)
{
	if (d->out.err != 0 || d->ev.stop)
		die(EX_SYS, "cannot write", "stream=stdout err=%s",
		    strerror(d->out.err != 0 ? d->out.err : EIO));
}

/* A whole document: decode it (errors go to the next flush marker). */
static void
decode(struct dec *d, const char *p, size_t n)
{
	if (awsev_decode_text(&d->ev, p, n) > 0)
		d->refused++;
	check_out(d);
	print_flush(d);
}

static void
refuse(struct dec *d, const char *why, uint64_t line)
{
	errs_add(&d->errs, "aws-decode: line %ju: %s", (uintmax_t)line, why);
	log_msg(LOG_WARN, "event refused", "line=%ju err=%s",
	    (uintmax_t)line, why);
	d->refused++;
}

static void
control(struct dec *d, struct rec_parser *rp, struct str line, int kind,
    uint64_t lineno)
{
	struct rec	 rec;
	const char	*err = NULL;

	print_flush(d);
	if (rec_parse(rp, line.p, line.n, &rec, &err) != kind) {
		refuse(d, err != NULL ? err : "bad control record", lineno);
		return;
	}
	if (kind == REC_FLUSH) {
		rec_pass_flush(&d->out.b, &rec, &d->errs);
	} else {
		/* an ack is not ours: on, as it came */
		buf_put(&d->out.b, line.p, line.n);
		buf_putc(&d->out.b, '\n');
	}
	if (wr_end(&d->out) != 0 || wr_flush(&d->out) != 0)
		check_out(d);
}

static void
run(struct dec *d, struct rd *rd, size_t max)
{
	struct rec_parser rp;
	struct awsev_doc doc;
	struct str	 line, text;
	int		 r, k;

	memset(&rp, 0, sizeof(rp));
	memset(&doc, 0, sizeof(doc));
	doc.max = max;
	for (;;) {
		r = rd_line(rd, &line);
		if (r == RD_EOF)
			break;
		if (r == RD_ERR)
			die(EX_SYS, "cannot read", "stream=stdin err=%s",
			    strerror(errno));
		if (r == RD_LONG) {
			refuse(d, "event over the size cap (--max-event)",
			    rd->lineno);
			(void)awsev_doc_abandon(&doc);
			continue;
		}
		/* a file saved with a UTF-8 byte order mark */
		if (rd->lineno == 1 && line.n >= 3 &&
		    memcmp(line.p, "\xef\xbb\xbf", 3) == 0) {
			line.p += 3;
			line.n -= 3;
		}
		k = rec_peek_kind(line.p, line.n);
		if (k != 0) {
			if (awsev_doc_abandon(&doc))
				refuse(d, "unfinished JSON document",
				    doc.first);
			control(d, &rp, line, k, rd->lineno);
			continue;
		}
		switch (awsev_doc_line(&doc, line.p, line.n, rd->lineno,
		    &text)) {
		case AWSEV_DOC_READY:
			decode(d, text.p, text.n);
			break;
		case AWSEV_DOC_OVER:
			refuse(d, "event over the size cap (--max-event)",
			    doc.first);
			break;
		}
	}
	if (awsev_doc_end(&doc, &text) == AWSEV_DOC_READY)
		decode(d, text.p, text.n);
	rec_parser_free(&rp);
	awsev_doc_free(&doc);
}

/*
 * A boolean from its flag (strict) or its variable. lambda-promtail reads
 * a variable it does not understand as its default (KEEP_STREAM: only
 * "true" is true; PRINT_LOG_LINE: only "false" is false): so do we, with
 * a warning, so that a deployment that started there starts here.
 */
static void
setting_bool(const char *flag, const char *env, int *out)
{
	const char	*v = setting(flag, env);

	if (v == NULL || parse_bool(v, out) == 0)
		return;
	if (flag != NULL)
		die(EX_USAGE, "not a boolean", "setting=%s value=%s", env, v);
	log_msg(LOG_WARN, "not a boolean, default used", "setting=%s "
	    "value=%s default=%s", env, v, *out ? "true" : "false");
}

/* The S3 fetcher. Without any credentials or endpoint the other event
 * kinds still work and S3 records are refused with that reason. */
static void
s3_setup(struct dec *d, const char *region, const char *endpoint,
    size_t max_line)
{
	struct s3log_conf sc;
	const char	*err = NULL;

	memset(&sc, 0, sizeof(sc));
	sc.creds.key_id = setting(NULL, "AWS_ACCESS_KEY_ID");
	sc.creds.secret = setting(NULL, "AWS_SECRET_ACCESS_KEY");
	sc.creds.token = setting(NULL, "AWS_SESSION_TOKEN");
	sc.region = setting(region, "AWS_REGION");
	if (sc.region == NULL)
		sc.region = setting(NULL, "AWS_DEFAULT_REGION");
	sc.endpoint = setting(endpoint, "AWS_ENDPOINT_URL_S3");
	if (sc.endpoint == NULL)
		sc.endpoint = setting(NULL, "AWS_ENDPOINT_URL");
	/* a CA bundle for S3-compatible stores with their own CA; the image
	 * and the zip point SSL_CERT_FILE at theirs */
	sc.ca_file = setting(NULL, "AWS_CA_BUNDLE");
	sc.max_line = max_line;
	if (sc.creds.key_id == NULL && sc.endpoint == NULL) {
		d->ev.s3_err = "no AWS credentials (AWS_ACCESS_KEY_ID)";
		return;
	}
	d->ev.s3 = s3log_new(&sc, &err);
	if (d->ev.s3 == NULL)
		die(EX_USAGE, "S3 settings are unusable", "err=%s",
		    err != NULL ? err : "?");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "keep-stream", optional_argument, NULL, 'k' },
		{ "print-log-line", required_argument, NULL, 'p' },
		{ "region", required_argument, NULL, 'r' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "max-event", required_argument, NULL, 'm' },
		{ "max-line", required_argument, NULL, 'l' },
		{ "object", required_argument, NULL, 'o' },
		{ "key", required_argument, NULL, 'K' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct dec	 d;
	struct rd	 rd;
	const char	*keep = NULL, *print = NULL, *region = NULL;
	const char	*endpoint = NULL, *maxev = "8M", *maxline = "1M";
	const char	*object = NULL, *key = NULL, *bucket = "local";
	uint64_t	 max, lmax;
	char		 ebuf[512];
	int		 c, check = 0, rc;

	/* as every stage: a LOG_LEVEL that is not one is a usage error */
	if (log_init("aws-decode", setting(NULL, "LOG_LEVEL")) != 0)
		die(EX_USAGE, "unknown LOG_LEVEL", "value=%s",
		    setting(NULL, "LOG_LEVEL"));
	while ((c = getopt_long(argc, argv, "kp:r:e:m:l:o:K:b:h", lo,
	    NULL)) != -1) {
		switch (c) {
		case 'k': keep = optarg != NULL ? optarg : "true"; break;
		case 'p': print = optarg; break;
		case 'r': region = optarg; break;
		case 'e': endpoint = optarg; break;
		case 'm': maxev = optarg; break;
		case 'l': maxline = optarg; break;
		case 'o': object = optarg; break;
		case 'K': key = optarg; break;
		case 'b': bucket = optarg; break;
		case 'C': check = 1; break;
		case 'h':
			(void)fd_write_all(1, usage, sizeof(usage) - 1);
			return EX_OK;
		default:
			(void)fd_write_all(2, usage, sizeof(usage) - 1);
			return EX_USAGE;
		}
	}
	if (optind != argc)
		die(EX_USAGE, "unexpected argument", "arg=%s", argv[optind]);
	memset(&d, 0, sizeof(d));
	awsev_init(&d.ev);
	d.print = 1;
	setting_bool(keep, "KEEP_STREAM", &d.ev.keep_stream);
	setting_bool(print, "PRINT_LOG_LINE", &d.print);
	if (parse_size(maxev, &max) != 0 || max < 1024 || max > (1u << 30))
		die(EX_USAGE, "bad --max-event", "value=%s", maxev);
	if (parse_size(maxline, &lmax) != 0 || lmax < 64 || lmax > (1u << 30))
		die(EX_USAGE, "bad --max-line", "value=%s", maxline);
	if (object != NULL && key == NULL)
		die(EX_USAGE, "--object needs --key", NULL);
	if (object == NULL && key != NULL)
		die(EX_USAGE, "--key needs --object", NULL);

	if (object == NULL)
		s3_setup(&d, region, endpoint, (size_t)lmax);
	if (check) {
		s3log_free(d.ev.s3);
		return EX_OK;
	}

	sig_setup();
	wr_init(&d.out, 1, "stdout");
	d.ev.prefix = "aws-decode: ";
	d.ev.errs = &d.errs;
	d.ev.emit = emit;
	d.ev.warn = warn;
	d.ev.note = note;
	d.ev.arg = &d;
	if (object != NULL) {
		rc = s3log_file(object, bucket, key, (size_t)lmax, emit_obj,
		    &d, ebuf, sizeof(ebuf));
		check_out(&d);
		if (rc < 0) {
			log_msg(LOG_ERROR, "object refused", "err=%s", ebuf);
			d.refused++;
		} else if (ebuf[0] != '\0')
			note(&d, ebuf);
	} else {
		rd_init(&rd, 0, (size_t)max, &d.out);
		run(&d, &rd, (size_t)max);
		rd_free(&rd);
	}
	print_flush(&d);
	if (wr_flush(&d.out) != 0)
		check_out(&d);
	if (d.errs.n > 0) {
		struct str e = errs_get(&d.errs);

		log_msg(LOG_ERROR, "refused after the last flush marker",
		    "count=%ju err=%.*s", (uintmax_t)d.errs.n, (int)e.n, e.p);
	}
	log_msg(LOG_DEBUG, "done", "events=%ju lines=%ju refused=%ju "
	    "s3_deleted_skipped=%ju", (uintmax_t)d.ev.events,
	    (uintmax_t)d.ev.lines, (uintmax_t)d.refused,
	    (uintmax_t)d.ev.skipped);
	s3log_free(d.ev.s3);
	awsev_free(&d.ev);
	errs_clear(&d.errs);
	buf_free(&d.errs.b);
	buf_free(&d.labjson);
	buf_free(&d.pr);
	buf_free(&d.out.b);
	return d.refused > 0 ? EX_LOST : EX_OK;
}
