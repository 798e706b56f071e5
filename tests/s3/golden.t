#!/bin/sh
# S3 object golden cases: tests/s3/golden/CASE.{obj,key} run as
#   aws-decode -p false --object OBJ --key KEY [CASE.args]
# OBJ is a file of tests/s3/data/ or @SAMPLES@/...; it is copied with a
# fixed mtime (1700000000), the object's time that lines without a time
# of their own get. Beside it: CASE.out (exact stdout, absent: empty),
# CASE.rc (absent: 0), CASE.err (substrings stderr must contain).
# LOKIPIPE_GOLDEN_UPDATE=1 rewrites CASE.out from the actual output.
. "$(dirname "$0")/../lib.sh"
dir=$TOP/tests/s3/golden
data=$TOP/tests/s3/data
if [ ! -x "$BIN/aws-decode" ]; then
	skip "s3 golden" "no bin/aws-decode"
	exit 0
fi
for o in "$dir"/*.obj; do
	c=${o%.obj}
	name=$(basename "$c")
	src=$(sed -e "s|@SAMPLES@|$SAMPLES|" "$o")
	case "$src" in /*) ;; *) src=$data/$src ;; esac
	cp "$src" "$T/obj" && chmod u+w "$T/obj" && touch -d @1700000000 "$T/obj"
	key=$(cat "$c.key")
	args=""
	[ -f "$c.args" ] && args=$(cat "$c.args")
	want_rc=0
	[ -f "$c.rc" ] && want_rc=$(cat "$c.rc")
	# shellcheck disable=SC2086
	stage aws-decode -p false --object "$T/obj" --key "$key" \
	    --bucket logs $args > "$T/out" 2> "$T/err"
	rc=$?
	if [ "${LOKIPIPE_GOLDEN_UPDATE:-}" = 1 ]; then
		if [ -s "$T/out" ]; then cp "$T/out" "$c.out"; else
			rm -f "$c.out"; fi
	fi
	bad=""
	[ "$rc" = "$want_rc" ] || bad="exit $rc, want $want_rc"
	exp=/dev/null
	[ -f "$c.out" ] && exp=$c.out
	if ! cmp -s "$exp" "$T/out"; then
		bad="$bad stdout differs"
		diff -u "$exp" "$T/out" | head -20 >&2
	fi
	if [ -f "$c.err" ]; then
		while IFS= read -r want; do
			[ -n "$want" ] || continue
			grep -qF -- "$want" "$T/err" ||
			    bad="$bad stderr lacks '$want'"
		done < "$c.err"
	fi
	if [ -z "$bad" ]; then ok "s3 golden $name"; else
		notok "s3 golden $name: $bad"
		sed 's/^/# stderr: /' "$T/err" | head -5 >&2
	fi
done
t_done
