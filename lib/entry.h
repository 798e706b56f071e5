/* entry.h: the stream's records (DESIGN.md §1) — parse and write. */
#ifndef LP_ENTRY_H
#define LP_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"
#include "json.h"

struct label {
	struct str	name;
	struct str	value;
};

enum rec_kind { REC_ENTRY = 1, REC_FLUSH, REC_ACK };

/*
 * One parsed record. Strings point into the input line or into the
 * parser; all are valid until the next rec_parse() on the same parser,
 * except labels, which stay valid while labels_changed is 0. (A record
 * that is not an entry but carries a labels object ends them early; the
 * next entry then has labels_changed 1.)
 */
struct rec {
	int		 kind;
	/* REC_ENTRY */
	uint64_t	 ts;		/* Unix nanoseconds */
	struct str	 line;
	struct label	*labels;	/* as read: unsorted, no dups */
	size_t		 nlabels;
	int		 labels_changed; /* not the last entry's */
	struct label	*meta;
	size_t		 nmeta;
	/* REC_FLUSH and REC_ACK */
	struct str	 token;
	struct str	 error;		/* n == 0: none */
	int		 has_error;
	int		 ok;		/* REC_ACK */
	uint64_t	 entries, bytes;	/* REC_ACK, 0 when absent */
};

struct rec_parser {
	struct buf	 scratch;	/* decoded strings of this record */
	struct buf	 labraw;	/* raw text of the current labels */
	struct buf	 labdec;	/* decoded label strings */
	struct label	*labels;
	size_t		 nlabels, labcap;
	struct label	*meta;
	size_t		 metacap;
	int		 have_labels;	/* labraw's state (entry.c) */
};

/*
 * Parses one line. Returns the record kind, or -1 with *err set to a
 * static message (invalid JSON, missing or mistyped field, bad label
 * name, invalid UTF-8). Duplicate keys: the last one wins, as in jq. The
 * kind comes from the keys: "flush", "ack", else an entry, which needs
 * ts and line (labels and meta are optional, empty). Only the fields of
 * that kind are checked; others are ignored. labels_changed is 1 on the
 * first entry, and after any record that was not an entry but read new
 * labels.
 */
int	rec_parse(struct rec_parser *, const char *p, size_t n,
	    struct rec *, const char **err);
void	rec_parser_free(struct rec_parser *);
/* Makes the next entry count as having new labels. */
void	rec_parser_reset_labels(struct rec_parser *);

/* Append one record and its '\n'. */
void	rec_write_entry(struct buf *, uint64_t ts, const struct label *,
	    size_t nlabels, struct str line, const struct label *meta,
	    size_t nmeta);
/* Appends the labels object only ({"a":"b",...}); used to cache it. */
void	rec_write_labels(struct buf *, const struct label *, size_t);
/* Entry with a pre-rendered labels object (from rec_write_labels). */
void	rec_write_entry_raw(struct buf *, uint64_t ts,
	    struct str labels_json, struct str line, const struct label *meta,
	    size_t nmeta);
void	rec_write_flush(struct buf *, struct str token, struct str error);
void	rec_write_ack(struct buf *, struct str token, int ok,
	    uint64_t entries, uint64_t bytes, struct str error);

/*
 * An error string that grows by "; "-joined reasons, for a flush marker
 * (DESIGN.md §1). Capped at 8 KiB: past that, reasons are counted only.
 */
struct errs {
	struct buf	 b;
	uint64_t	 n;		/* reasons added */
	uint64_t	 dropped;	/* beyond the cap */
};
void	errs_add(struct errs *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Adds the reasons that a flush marker read from upstream carried. */
void	errs_add_str(struct errs *, struct str);
/* The joined text (empty when none); valid until the next errs_*. */
struct str errs_get(struct errs *);
void	errs_clear(struct errs *);
/* Passes a flush marker on (DESIGN.md §1): appends it to b with the
 * reasons it carried from upstream joined to this stage's (e), then
 * clears e. */
void	rec_pass_flush(struct buf *b, const struct rec *flush, struct errs *e);

/* Loki push bodies (DESIGN.md §1), as loki-push reads them. */
struct push_value {
	uint64_t	 ts;
	struct str	 line;
	size_t		 meta_off, nmeta;	/* into push.meta */
};
struct push_stream {
	size_t		 labels_off, nlabels;	/* in push.labels */
	size_t		 values_off, nvalues;	/* in push.values */
};
struct push {
	struct str		 tenant;	/* n == 0: none */
	struct push_stream	*streams;
	size_t			 nstreams, streamcap;
	struct label		*labels;
	size_t			 nlabels, labelcap;
	struct push_value	*values;
	size_t			 nvalues, valuecap;
	struct label		*meta;
	size_t			 nmeta, metacap;
	struct buf		 scratch;
	uint64_t		 line_bytes;	/* sum of line lengths */
	struct label		*tmp;		/* being read */
	size_t			 tmpcap;
};

/* Parses a push body line. 0, or -1 with *err. The arrays are reused. */
int	push_parse(struct push *, const char *p, size_t n,
	    const char **err);
void	push_free(struct push *);
/* Is this line a control record rather than a push body? Returns
 * REC_FLUSH, REC_ACK or 0. Cheap: the first key decides when it is flush,
 * ack, streams or tenant; otherwise every top-level key is looked at. */
int	rec_peek_kind(const char *p, size_t n);

#endif
