/* io.h: record I/O on raw file descriptors. */
#ifndef LP_IO_H
#define LP_IO_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

/*
 * A block-buffered writer of whole records. A stage appends a record to b
 * and then calls wr_end(); wr_flush() writes everything out (EINTR and
 * partial writes handled). A failed write sets err (errno) and is final.
 */
struct wr {
	int		 fd;
	const char	*name;		/* "stdout", for messages */
	struct buf	 b;
	int		 err;
};

void	wr_init(struct wr *, int fd, const char *name);
/* Called after each whole record: writes out when 64 KiB are held.
 * Returns 0, or -1 with errno (and w->err) set. */
int	wr_end(struct wr *);
int	wr_flush(struct wr *);

/*
 * A line reader with a cap. Lines longer than max are skipped up to the
 * next '\n' and reported once. Before any read that could block, the
 * attached writer (if any) is flushed (skalibs' buffer_0f1), so a
 * downstream stage never waits on data held here.
 */
struct rd {
	int		 fd;
	char		*buf;
	size_t		 cap;
	size_t		 r, w;		/* unread bytes are buf[r..w) */
	size_t		 max;
	int		 eof;
	uint64_t	 lineno;	/* of the line last returned */
	struct wr	*flush;
};

enum { RD_EOF = 0, RD_LINE = 1, RD_LONG = 2, RD_ERR = -1 };

void	rd_init(struct rd *, int fd, size_t max, struct wr *flush);
void	rd_free(struct rd *);
/*
 * Next line, without its '\n' (a last line without one is returned too).
 * RD_LINE: *line is valid until the next call. RD_LONG: a line of
 * line->n bytes (> max) was skipped; call again. RD_EOF: end of input, or
 * SIGTERM was received (sig_term). RD_ERR: errno is set; a failed flush of
 * the attached writer is an error too (errno from the write).
 */
int	rd_line(struct rd *, struct str *line);
/*
 * Waits up to ms milliseconds (-1: forever) for input. 1: a line or EOF
 * can be read without blocking; 0: timeout or signal; -1: error.
 * Flushes the attached writer first.
 */
int	rd_wait(struct rd *, int ms);

/* Signals: SIGPIPE becomes EPIPE; SIGTERM and SIGINT set sig_term, which
 * makes readers report EOF after the record in hand. */
extern volatile int sig_term;
void	sig_setup(void);

/* Writes all of p to fd (EINTR, partial writes). 0 or -1 with errno. */
int	fd_write_all(int fd, const void *p, size_t n);

#endif
