#!/bin/sh
# make bench: every benchmark in bench/*.sh, in name order. Each prints its
# figures next to a baseline measured in the same run (cat, gzip -dc, ...)
# and the ratio; none of them fails on a figure.
cd "$(dirname "$0")/.." || exit 1
for b in bench/*.sh; do
	[ "$b" = bench/run.sh ] && continue
	echo "== $b"
	sh "$b" || echo "bench: $b failed (exit $?)"
done
