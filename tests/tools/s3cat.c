/*
 * s3cat: lib/s3log on its own, for tests — fetch one S3 object (or read a
 * local file as that object) and print its entries.
 *
 *   s3cat [-e ENDPOINT] [-r REGION] [-c CA_FILE] [-l MAX_LINE] BUCKET KEY
 *   s3cat -f FILE [-l MAX_LINE] BUCKET KEY
 *
 * Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN. Exit 0, 1 (the object failed: the message on
 * stderr), 2 (skipped on purpose), 100 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "entry.h"
#include "io.h"
#include "settings.h"
#include "s3log.h"

static int
emit(void *arg, uint64_t ts, const struct label *l, size_t n,
    struct str line)
{
	struct wr *w = arg;

	rec_write_entry(&w->b, ts, l, n, line, NULL, 0);
	return wr_end(w);
}

int
main(int argc, char **argv)
{
	struct s3log_conf c;
	struct s3log *s = NULL;
	struct wr w;
	const char *file = NULL, *err = NULL;
	char eb[1024];
	int ch, rc;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt(argc, argv, "e:r:c:l:f:")) != -1) {
		switch (ch) {
		case 'e': c.endpoint = optarg; break;
		case 'r': c.region = optarg; break;
		case 'c': c.ca_file = optarg; break;
		case 'l': c.max_line = strtoul(optarg, NULL, 10); break;
		case 'f': file = optarg; break;
		default: return 100;
		}
	}
	if (argc - optind != 2) {
		fputs("usage: s3cat [-e URL] [-r REGION] [-c CA] [-l MAX] "
		    "[-f FILE] BUCKET KEY\n", stderr);
		return 100;
	}
	wr_init(&w, 1, "stdout");
	eb[0] = '\0';
	if (file != NULL) {
		rc = s3log_file(file, argv[optind], argv[optind + 1],
		    c.max_line, emit, &w, eb, sizeof(eb));
	} else {
		c.creds.key_id = setting(NULL, "AWS_ACCESS_KEY_ID");
		c.creds.secret = setting(NULL, "AWS_SECRET_ACCESS_KEY");
		c.creds.token = setting(NULL, "AWS_SESSION_TOKEN");
		s = s3log_new(&c, &err);
		if (s == NULL) {
			fprintf(stderr, "s3cat: %s\n", err);
			return 100;
		}
		rc = s3log_fetch(s, argv[optind], argv[optind + 1], NULL,
		    emit, &w, eb, sizeof(eb));
	}
	if (wr_flush(&w) != 0)
		rc = -1;
	if (rc == -1)
		fprintf(stderr, "s3cat: %s\n", eb);
	else if (eb[0] != '\0')
		fprintf(stderr, "s3cat: note: %s\n", eb);
	s3log_free(s);
	buf_free(&w.b);
	return rc == -1 ? 1 : rc == 1 ? 2 : 0;
}
