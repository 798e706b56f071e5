#!/bin/sh
# Golden cases: tests/stages/STAGE/CASE.in with, beside it,
#   CASE.args  the stage's arguments (shell words; @T@ is the work dir,
#              @SAMPLES@ the shared samples, @TOP@ the tree)
#   CASE.env   VAR=value lines exported for the run
#   CASE.out   exact expected stdout (absent: empty)
#   CASE.rc    expected exit code (absent: 0)
#   CASE.err   substrings that stderr must contain, one a line
#   CASE.noerr substrings that stderr must not contain
#   CASE.sink  "full": stdout is /dev/full; "closed": the reader has gone
#              away (a pipe closed at once); stdout is then not compared
# CASE.in may be absent (stdin is /dev/null) or CASE.in.gz.
. "$(dirname "$0")/../lib.sh"
cd "$TOP/tests/stages" || exit 1
for f in */*.in */*.args */*.env */*.rc; do
	[ -e "$f" ] || continue
	echo "${f%.*}"
done | sort -u > "$T/cases"
while read -r c; do
	s=${c%%/*}
	[ -x "$BIN/$s" ] || { skip "golden $c" "no bin/$s"; continue; }
	args=""
	[ -f "$c.args" ] && args=$(sed -e "s|@T@|$T|g" -e "s|@TOP@|$TOP|g" \
	    -e "s|@SAMPLES@|$SAMPLES|g" "$c.args")
	in=/dev/null
	[ -f "$c.in" ] && in=$c.in
	if [ -f "$c.in.gz" ]; then gzip -dc "$c.in.gz" > "$T/in"; in=$T/in; fi
	want_rc=0
	[ -f "$c.rc" ] && want_rc=$(cat "$c.rc")
	sink=""
	[ -f "$c.sink" ] && sink=$(cat "$c.sink")
	(
		if [ -f "$c.env" ]; then
			while IFS= read -r kv; do
				case "$kv" in ''|'#'*) continue ;; esac
				export "$(printf '%s' "$kv" | sed "s|@T@|$T|g;s|@TOP@|$TOP|g;s|@SAMPLES@|$SAMPLES|g")"
			done < "$c.env"
		fi
		eval "set -- $args"
		case "$sink" in
		full) stage "$s" "$@" < "$in" > /dev/full 2> "$T/err"
		      echo $? > "$T/rc" ;;
		closed)
			# the reader has gone away before the first write
			$PY -c 'import os, sys
r, w = os.pipe(); os.close(r); os.dup2(w, 1); os.close(w)
os.execvp(sys.argv[1], sys.argv[1:])' $LP_WRAP "$BIN/$s" "$@" \
			    < "$in" 2> "$T/err"
			echo $? > "$T/rc" ;;
		*) stage "$s" "$@" < "$in" > "$T/out" 2> "$T/err"
		   echo $? > "$T/rc" ;;
		esac
	)
	rc=$(cat "$T/rc")
	bad=""
	[ "$rc" = "$want_rc" ] || bad="exit $rc, want $want_rc"
	if [ -z "$sink" ]; then
		exp=/dev/null
		[ -f "$c.out" ] && exp=$c.out
		if ! cmp -s "$exp" "$T/out"; then
			bad="$bad stdout differs"
			diff -u "$exp" "$T/out" | head -30 >&2
		fi
	fi
	if [ -f "$c.err" ]; then
		while IFS= read -r want; do
			[ -n "$want" ] || continue
			grep -qF -- "$want" "$T/err" || bad="$bad stderr lacks '$want'"
		done < "$c.err"
	fi
	if [ -f "$c.noerr" ]; then
		while IFS= read -r want; do
			[ -n "$want" ] || continue
			! grep -qF -- "$want" "$T/err" || bad="$bad stderr has '$want'"
		done < "$c.noerr"
	fi
	if [ -z "$bad" ]; then ok "golden $c"; else
		notok "golden $c: $bad"; sed 's/^/# stderr: /' "$T/err" | head -10 >&2
	fi
done < "$T/cases"
t_done
