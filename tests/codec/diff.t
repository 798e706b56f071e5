#!/bin/sh
# The entry codec against libjq (tests/tools/codec_diff.c): generated and
# hostile records and push bodies must be read alike, or differ only where
# jq 1.6 accepts what JSON does not (invalid UTF-8, lone surrogates, raw
# NUL/U+001F in strings, jq-only numbers, RFC 7464's 0x1E). CODEC_DIFF_N and
# CODEC_DIFF_SEED widen a run.
. "$(dirname "$0")/../lib.sh"
B=${B:-build/opt}
tool=$TOP/$B/tools/codec_diff
if [ ! -x "$tool" ]; then
	notok "codec_diff built (run make unit)"
	exit 1
fi
n=${CODEC_DIFF_N:-60000}
wrap=""
[ "${SANITIZE:-}" = 1 ] && n=${CODEC_DIFF_N:-20000}
if [ -n "$LP_WRAP" ]; then
	n=${CODEC_DIFF_N:-4000}
	wrap="$LP_WRAP --suppressions=$TOP/tests/codec/libjq.supp"
fi
supp=$TOP/tests/codec/lsan.supp
LSAN_OPTIONS="suppressions=$supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
# full malloc stacks, so that the suppression can see jv_parser_next
[ -n "${ASAN_OPTIONS:-}" ] &&
    ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
seeds=${CODEC_DIFF_SEED:-0 7}
for s in $seeds; do
	$wrap "$tool" -n "$n" -s "$s" > "$T/out" 2> "$T/err"
	rc=$?
	sed -e "s/^\(not \)*ok codec_diff/&[seed $s]/" "$T/out"
	grep -q '^not ok' "$T/out" && t_failed=$((t_failed + 1))
	if [ $rc -ne 0 ]; then
		head -40 "$T/err" >&2
		grep -q '^not ok' "$T/out" ||
		    notok "codec_diff seed $s (exit $rc)"
	fi
done
[ "$t_failed" -eq 0 ]
