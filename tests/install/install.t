#!/bin/sh
# make install: stages in PREFIX/lib/lokipipe/bin, `lokipipe` on PATH.
. "$(dirname "$0")/../lib.sh"
[ -z "${SANITIZE:-}" ] || { skip "install" "checked in the plain build";
	exit 0; }
make -s -C "$TOP" install PREFIX="$T/prefix" > "$T/make.out" 2>&1
check "make install" [ $? -eq 0 ]
check "stages outside PATH" [ -x "$T/prefix/lib/lokipipe/bin/batch" ] &&
    [ ! -e "$T/prefix/bin/batch" ]
v=$("$T/prefix/bin/lokipipe" --version)
check "lokipipe --version" [ "$(echo "$v" | cut -d' ' -f1)" = lokipipe ]
out=$(echo '{"ts":"1","labels":{"a":"b"},"line":"x"}' |
    "$T/prefix/bin/lokipipe" batch)
check "lokipipe runs a stage by name" \
    [ "$out" = '{"streams":[{"stream":{"a":"b"},"values":[["1","x"]]}]}' ]
"$T/prefix/bin/lokipipe" no-such-stage > /dev/null 2>&1
check "unknown stage: exit 100" [ $? -eq 100 ]
"$T/prefix/bin/lokipipe" ../../bin/sh > /dev/null 2>&1
check "a path is not a stage" [ $? -eq 100 ]
DESTDIR="$T/dest" make -s -C "$TOP" install PREFIX=/usr > /dev/null 2>&1
check "DESTDIR staging" [ -x "$T/dest/usr/lib/lokipipe/bin/loki-push" ] &&
    grep -q "^libexec='/usr/lib/lokipipe/bin'" "$T/dest/usr/bin/lokipipe"
t_done
