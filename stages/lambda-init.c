/*
 * lambda-init: builds the Lambda pipeline under RUN ($LP_RUN) and becomes
 * its s6-svscan; the Lambda entry point (pipelines/lambda/entry) execs it.
 * One process does what rm, mkdir, mkfifo, cp and a subshell did: each
 * process started on the way to the first GET next costs a millisecond or
 * two at a cold start.
 *
 * Reads	TEMPLATES/services (the s6 service templates; TEMPLATES is the
 *		entry point's directory) and the environment.
 * Writes	RUN/fifo/{events,decoded,relabeled,transformed,batched,
 *		acks}; RUN/scan (lambda-runtime's service, started at
 *		once); RUN/later (the other stages, moved into scan and
 *		started once their settings are checked); RUN/env (secrets
 *		resolved by lambda-secrets when USERNAME, PASSWORD or
 *		BEARER_TOKEN is an ARN; s6-envdir then wraps everything).
 * Then		forks a checker, which runs every stage's --check at once
 *		(with its LP_ARGS_<STAGE> flags) and, in pipeline order, sends
 *		the first failure to /runtime/init/error (lambda-runtime
 *		--init-error) and stops s6-svscan; or creates RUN/ready
 *		(lambda-runtime waits for it before its first GET next), moves
 *		the other services in and has s6-svscan scan again (SIGALRM).
 *		The process itself execs s6-svscan RUN/scan.
 *
 * Usage	lambda-init TEMPLATES RUN
 * Environment: LOKI_STAGE_CONFIGS and LP_ARGS_TRANSFORM (transform runs
 * when either is set; LP_TOBATCH is set for batch's run script),
 * LP_ARGS_LAMBDA_RUNTIME, LP_ARGS_AWS_DECODE, LP_ARGS_RELABEL,
 * LP_ARGS_BATCH, LP_ARGS_LOKI_PUSH, USERNAME, PASSWORD, BEARER_TOKEN,
 * LOG_LEVEL. The stages and s6 are found on PATH.
 *
 * Exit codes: 1 the pipeline could not be built (reported as an init
 * error); 100 usage; otherwise s6-svscan's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "util.h"

#define NCHECK	6
#define MAXARGS	64

static const char *const fifos[] = { "events", "decoded", "relabeled",
    "transformed", "batched", "acks" };
/* pipeline order; the first one starts at once */
static const char *const stages[NCHECK] = { "lambda-runtime",
    "aws-decode", "relabel", "transform", "batch", "loki-push" };
static const char *const argvars[NCHECK] = { "LP_ARGS_LAMBDA_RUNTIME",
    "LP_ARGS_AWS_DECODE", "LP_ARGS_RELABEL", "LP_ARGS_TRANSFORM",
    "LP_ARGS_BATCH", "LP_ARGS_LOKI_PUSH" };

static const char usage[] = "usage: lambda-init TEMPLATES RUN\n";
static const char *run;		/* RUN */
static int transform;
static int secrets;

static char *
path(const char *a, const char *b)
{
	struct buf p = { 0 };

	buf_puts(&p, a);
	buf_putc(&p, '/');
	buf_puts(&p, b);
	return buf_cstr(&p);
}

/* Reports msg to /runtime/init/error, and exits 1. */
static void
init_error(const char *msg)
{
	pid_t pid;
	int st;

	log_msg(LOG_ERROR, "cannot start", "err=%s", msg);
	pid = fork();
	if (pid == 0) {
		execlp("lambda-runtime", "lambda-runtime", "--init-error",
		    msg, (char *)NULL);
		_exit(111);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	exit(1);
}

static void
fail(const char *what, const char *p)
{
	struct buf m = { 0 };

	buf_puts(&m, "lokipipe: cannot ");
	buf_puts(&m, what);
	buf_puts(&m, " ");
	buf_puts(&m, p);
	buf_puts(&m, ": ");
	buf_puts(&m, strerror(errno));
	init_error(buf_cstr(&m));
}

/* Removes the tree at p (symlinks are not followed). */
static int
rm_tree(const char *p)
{
	struct stat sb;
	struct dirent *e;
	DIR *d;
	char *c;
	int r = 0;

	if (lstat(p, &sb) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(p);
	d = opendir(p);
	if (d == NULL)
		return -1;
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		c = path(p, e->d_name);
		r = rm_tree(c);
		free(c);
	}
	closedir(d);
	return r == 0 ? rmdir(p) : r;
}

/* Copies the tree at from to to (directories, files, symlinks). */
static int
copy(const char *from, const char *to)
{
	struct stat sb;
	struct dirent *e;
	DIR *d;
	char *a, *b, lnk[4096];
	ssize_t n;
	int in, out, r = 0;

	if (lstat(from, &sb) == -1)
		return -1;
	if (S_ISLNK(sb.st_mode)) {
		n = readlink(from, lnk, sizeof(lnk) - 1);
		if (n == -1)
			return -1;
		lnk[n] = '\0';
		return symlink(lnk, to);
	}
	if (S_ISDIR(sb.st_mode)) {
		if (mkdir(to, 0700) == -1)
			return -1;
		d = opendir(from);
		if (d == NULL)
			return -1;
		while (r == 0 && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			a = path(from, e->d_name);
			b = path(to, e->d_name);
			r = copy(a, b);
			free(a);
			free(b);
		}
		closedir(d);
		return r;
	}
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in == -1)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    sb.st_mode & 0700);
	if (out == -1) {
		close(in);
		return -1;
	}
	while ((n = read(in, lnk, sizeof(lnk))) > 0)
		if (fd_write_all(out, lnk, (size_t)n) == -1) {
			n = -1;
			break;
		}
	close(in);
	if (close(out) == -1 || n == -1)
		return -1;
	return 0;
}

static void
prepare(const char *tmpl)
{
	static const char *const dirs[] = { "", "fifo", "env", "scan",
	    "later" };
	struct stat sb;
	char *p, *q, *d, *svc;
	size_t i;

	if (rm_tree(run) == -1)
		fail("remove", run);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		p = path(run, dirs[i]);
		if (mkdir(p, 0700) == -1 && !(i == 0 && errno == EEXIST))
			fail("create", p);
		free(p);
	}
	for (i = 0; i < sizeof(fifos) / sizeof(fifos[0]); i++) {
		q = path(run, "fifo");
		p = path(q, fifos[i]);
		if (mkfifo(p, 0600) == -1)
			fail("make the FIFO", p);
		free(p);
		free(q);
	}
	svc = path(tmpl, "services");
	/* the zip's templates hold .s6-supervise (its s6-svscan is
	 * patched to run that rather than /usr/bin/s6-supervise) */
	for (i = 0; i < NCHECK + 2; i++) {
		const char *n = i == 0 ? ".s6-svscan" : i == 1 ?
		    ".s6-supervise" : stages[i - 2];

		if (i == 1) {
			p = path(svc, n);
			if (lstat(p, &sb) == -1) {
				free(p);
				continue;
			}
			free(p);
		}
		if (i == 5 && !transform)
			continue;
		p = path(svc, n);
		q = path(run, i < 3 ? "scan/" : "later/");
		d = path(q, n);
		if (copy(p, d) == -1)
			fail("copy the service", p);
		free(d);
		free(p);
		free(q);
	}
	free(svc);
}

/* Fills av with [s6-envdir -fn DIR] then the words of s. */
static size_t
words(char **av, size_t k, char *s)
{
	char *t;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (*s == '\0' || k >= MAXARGS - 4)
			return k;
		t = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		if (*s != '\0')
			*s++ = '\0';
		av[k++] = t;
	}
}

static size_t
envdir(char **av)
{
	if (!secrets)
		return 0;
	av[0] = "s6-envdir";
	av[1] = "-fn";
	av[2] = path(run, "env");
	return 3;
}

/* The checker: every --check at once, then ready or the init error. */
static void
checker(pid_t svscan)
{
	pid_t pids[NCHECK];
	char *av[MAXARGS], *v, *p, *q, buf[4096];
	size_t k;
	ssize_t n;
	int i, fd, st, bad = -1;

	for (i = 0; i < NCHECK; i++) {
		pids[i] = -1;
		if (i == 3 && !transform)
			continue;
		pids[i] = fork();
		if (pids[i] != 0)
			continue;
		k = envdir(av);
		av[k++] = (char *)stages[i];
		v = getenv(argvars[i]);
		if (v != NULL)
			k = words(av, k, xstrdup(v));
		if (i == 0) {
			av[k++] = "--acks";
			av[k++] = path(run, "fifo/acks");
		}
		av[k++] = "--check";
		av[k] = NULL;
		snprintf(buf, sizeof(buf), "%s/check.%d", run, i + 1);
		fd = open(buf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd == -1 || dup2(fd, 2) == -1)
			_exit(111);
		fd = open("/dev/null", O_RDWR);
		if (fd == -1 || dup2(fd, 0) == -1 || dup2(fd, 1) == -1)
			_exit(111);
		execvp(av[0], av);
		_exit(111);
	}
	for (i = 0; i < NCHECK; i++) {
		if (pids[i] <= 0)
			continue;
		while (waitpid(pids[i], &st, 0) == -1 && errno == EINTR)
			;
		if (bad == -1 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
			bad = i;
	}
	if (bad != -1) {
		snprintf(buf, sizeof(buf), "%s/check.%d", run, bad + 1);
		fd = open(buf, O_RDONLY);
		n = fd == -1 ? 0 : read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		while (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (n <= 0)
			snprintf(buf, sizeof(buf), "lokipipe: %s --check "
			    "failed", stages[bad]);
		p = path(run, "init-error");
		close(open(p, O_WRONLY | O_CREAT, 0600));
		kill(svscan, SIGTERM);
		init_error(buf);
	}
	p = path(run, "ready");
	close(open(p, O_WRONLY | O_CREAT, 0600));
	free(p);
	for (i = 1; i < NCHECK; i++) {
		if (i == 3 && !transform)
			continue;
		snprintf(buf, sizeof(buf), "later/%s", stages[i]);
		p = path(run, buf);
		snprintf(buf, sizeof(buf), "scan/%s", stages[i]);
		q = path(run, buf);
		if (rename(p, q) == -1)
			log_msg(LOG_ERROR, "cannot start the service",
			    "path=%s err=%s", p, strerror(errno));
		free(p);
		free(q);
	}
	/* SIGALRM has s6-svscan scan again; it may only come once
	 * s6-svscan handles it (it has started lambda-runtime's
	 * s6-supervise), else it would end s6-svscan */
	p = path(run, "scan/lambda-runtime/supervise");
	for (i = 0; i < 10000 && access(p, F_OK) == -1; i++)
		nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	free(p);
	kill(svscan, SIGALRM);
	_exit(0);
}

int
main(int argc, char **argv)
{
	char *av[8];
	const char *u;
	size_t k;
	pid_t pid, me;
	int st;

	log_init("lambda-init", getenv("LOG_LEVEL"));
	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '\0') {
		if (argc == 2 && strcmp(argv[1], "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		fputs(usage, stderr);
		return EX_USAGE;
	}
	run = argv[2];
	u = getenv("LOKI_STAGE_CONFIGS");
	transform = u != NULL && u[0] != '\0';
	u = getenv(argvars[3]);		/* LP_ARGS_TRANSFORM */
	transform = transform || (u != NULL && u[0] != '\0');
	setenv("LP_TOBATCH", transform ? "transformed" : "relabeled", 1);
	prepare(argv[1]);
	for (k = 0; k < 3; k++) {
		u = getenv(k == 0 ? "USERNAME" : k == 1 ? "PASSWORD" :
		    "BEARER_TOKEN");
		if (u != NULL && strstr(u, "arn:") != NULL)
			secrets = 1;
	}
	if (secrets) {
		pid = fork();
		if (pid == 0) {
			char *e = path(run, "err");
			int fd = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			if (fd == -1 || dup2(fd, 2) == -1)
				_exit(111);
			execlp("lambda-secrets", "lambda-secrets",
			    path(run, "env"), (char *)NULL);
			_exit(111);
		}
		if (pid == -1 || waitpid(pid, &st, 0) == -1 ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			char m[4096], *e = path(run, "err");
			int fd = open(e, O_RDONLY);
			ssize_t n = fd == -1 ? 0 : read(fd, m, sizeof(m) - 1);

			m[n > 0 ? n : 0] = '\0';
			while (n > 0 && m[n - 1] == '\n')
				m[--n] = '\0';
			init_error(n > 0 ? m : "lokipipe: lambda-secrets "
			    "failed");
		}
	}
	me = getpid();
	pid = fork();
	if (pid == -1)
		fail("fork", "the checker");
	if (pid == 0)
		checker(me);
	k = envdir(av);
	av[k++] = "s6-svscan";
	av[k++] = path(run, "scan");
	av[k] = NULL;
	execvp(av[0], av);
	fail("run", av[0]);
	return 111;
}
