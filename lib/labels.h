/* labels.h: label sets — names, order, hashing, Loki's label string. */
#ifndef LP_LABELS_H
#define LP_LABELS_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"
#include "entry.h"

/* Loki and Prometheus label names: [a-zA-Z_][a-zA-Z0-9_]*. */
int	label_name_ok(const char *, size_t);
/* Sorts by name, bytewise (Go's sort.Strings order). */
void	labels_sort(struct label *, size_t);
/* Finds a label by name; NULL when absent. */
struct label *labels_find(struct label *, size_t, const char *, size_t);
/* 64-bit hash of names and values in the given order. */
uint64_t labels_hash(const struct label *, size_t);
uint64_t hash_bytes(uint64_t seed, const void *, size_t);
/*
 * Appends {a="b", c="d"} as Loki prints and parses label sets: names as
 * given (sort first), values quoted as Go's strconv.Quote does for the
 * bytes that matter to Loki's parser: \\ \" \n \r \t and other control
 * bytes as \xNN. Empty values are kept (Loki drops them itself).
 */
void	labels_loki(struct buf *, const struct label *, size_t);

#endif
