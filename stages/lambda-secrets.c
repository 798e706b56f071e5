/*
 * lambda-secrets: USERNAME, PASSWORD and BEARER_TOKEN given as ARNs, as
 * lambda-promtail takes them, resolved once into files for s6-envdir.
 * The Lambda entry point runs it only when one of them is an ARN, so the
 * cold start of a function without secrets does not load libcurl for it.
 *
 * Reads	the environment; a Secrets Manager secret (its SecretString) or
 *		an SSM parameter (a SecureString decrypted) per ARN, with
 *		SigV4 (lib/secrets).
 * Writes	DIR/NAME (mode 0600) holding the value of each variable
 *		that was an ARN; plain values are left in the environment.
 *		Values are never logged; ARNs are.
 *
 * Usage	lambda-secrets DIR
 *   --check	validate the settings and exit
 *
 * Environment: USERNAME, PASSWORD, BEARER_TOKEN, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_SECRETS_MANAGER,
 * AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL, SSL_CERT_FILE, LOG_LEVEL.
 *
 * Exit codes: 0 every ARN resolved; 100 usage, settings, or a secret that
 * could not be resolved (the reason names the ARN); 111 system error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "io.h"
#include "log.h"
#include "secrets.h"
#include "settings.h"
#include "util.h"

static const char usage[] = "usage: lambda-secrets [--check] DIR\n";

static const char *const names[] = { "USERNAME", "PASSWORD",
    "BEARER_TOKEN" };
#define NNAMES	(sizeof(names) / sizeof(names[0]))

static void
put(const char *dir, const char *name, const struct buf *v)
{
	struct buf path = { 0 };
	int fd;

	buf_puts(&path, dir);
	buf_putc(&path, '/');
	buf_puts(&path, name);
	fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd == -1 || fchmod(fd, 0600) == -1 ||
	    fd_write_all(fd, v->p, v->len) == -1 || close(fd) == -1)
		die(EX_SYS, "cannot write", "path=%s err=%s", buf_cstr(&path),
		    strerror(errno));
	buf_free(&path);
}

static int
resolve(struct secret_ctx *c, const char *dir)
{
	struct buf v = { 0 }, err = { 0 };
	const char *arn;
	size_t i;
	int ret = 0;

	for (i = 0; i < NNAMES; i++) {
		arn = setting(NULL, names[i]);
		if (!secret_is_arn(arn))
			continue;
		if (c->curl == NULL) {
			curl_global_init(CURL_GLOBAL_DEFAULT);
			c->curl = curl_easy_init();
			if (c->curl == NULL)
				die(EX_SYS, "cannot initialise libcurl", NULL);
		}
		if (secret_fetch(c, arn, &v, &err) == -1) {
			log_msg(LOG_ERROR, "cannot resolve secret",
			    "name=%s err=%s", names[i], buf_cstr(&err));
			ret = EX_USAGE;
			break;
		}
		put(dir, names[i], &v);
		log_msg(LOG_INFO, "secret resolved", "name=%s arn=%s",
		    names[i], arn);
	}
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	if (v.p != NULL)
		memset(v.p, 0, v.cap);	/* the value does not outlive us */
	buf_free(&v);
	buf_free(&err);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct secret_ctx c;
	const char *ep;
	int ch, check = 0;

	if (log_init("lambda-secrets", getenv("LOG_LEVEL")) < 0)
		die(EX_USAGE, "invalid LOG_LEVEL (debug, info, warn, error)",
		    "value=%s", getenv("LOG_LEVEL"));
	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'C': check = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EX_USAGE;
		}
	}
	if (check && optind == argc)
		return 0;
	if (optind + 1 != argc) {
		fputs(usage, stderr);
		return EX_USAGE;
	}
	if (check)
		return 0;
	memset(&c, 0, sizeof(c));
	ep = setting(NULL, "AWS_ENDPOINT_URL");
	c.endpoint_sm = setting(NULL, "AWS_ENDPOINT_URL_SECRETS_MANAGER");
	c.endpoint_ssm = setting(NULL, "AWS_ENDPOINT_URL_SSM");
	c.endpoint_sm = c.endpoint_sm != NULL ? c.endpoint_sm : ep;
	c.endpoint_ssm = c.endpoint_ssm != NULL ? c.endpoint_ssm : ep;
	c.cafile = setting(NULL, "SSL_CERT_FILE");
	c.creds.key_id = setting(NULL, "AWS_ACCESS_KEY_ID");
	c.creds.secret = setting(NULL, "AWS_SECRET_ACCESS_KEY");
	c.creds.token = setting(NULL, "AWS_SESSION_TOKEN");
	ch = resolve(&c, argv[optind]);
	curl_global_cleanup();
	return ch;
}
