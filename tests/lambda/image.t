#!/bin/sh
# The container image's file tree (what `make lambda-rootfs` assembles and
# docker/Dockerfile copies to /opt/lokipipe) and the provided.al2023 zip
# (`make lambda-zip`), checked here without Docker or AWS: every shared
# library resolves, the Dockerfile installs the packages that hold them,
# the zip carries everything it loads, and both start the pipeline from an
# unpacked copy outside the build tree, read-only, as an unprivileged user.
. "$(dirname "$0")/../lib.sh"
for s in lambda-runtime lambda-secrets lambda-init aws-decode relabel transform batch loki-push; do
	[ -x "$BIN/$s" ] || { skip "lambda image" "no bin/$s"; exit 0; }
done
if [ "${SANITIZE:-}" = 1 ]; then
	skip "lambda image" "sanitizer builds are not shipped"; exit 0
fi
command -v s6-svscan > /dev/null || { skip "lambda image" "no s6"; exit 0; }

# --- the image tree
R=$T/rootfs
sh "$TOP/docker/tree.sh" "$R/opt/lokipipe" "$BIN" 2> "$T/tree.err"
check "rootfs: tree assembled" test -x "$R/opt/lokipipe/pipelines/lambda/entry"
ep=$(sed -n 's/^ENTRYPOINT \["\([^"]*\)"\]/\1/p' "$TOP/docker/Dockerfile")
check "rootfs: the Dockerfile's ENTRYPOINT ($ep) is in the tree" test -x "$R$ep"
: > "$T/libs"
nf=0
for f in "$R"/opt/lokipipe/bin/*; do
	ldd "$f" > "$T/ldd" 2>&1
	grep -q 'not found' "$T/ldd" && { nf=1; grep 'not found' "$T/ldd" >&2; }
	awk '$2 == "=>" && $3 ~ /^\// { print $3 }' "$T/ldd" >> "$T/libs"
done
check "rootfs: ldd resolves every library of every stage" test $nf = 0
# Every library comes from a package the Dockerfile installs (or one they
# depend on), so the image has it too.
pk=$($PY - "$TOP/docker/Dockerfile" <<'EOF'
import re, sys
txt = open(sys.argv[1]).read().replace("\\\n", " ")
runs = [l for l in txt.split("\n") if "apt-get install" in l]
words = runs[-1].split("apt-get install", 1)[1].split("&&")[0].split()
print(" ".join(w for w in words if not w.startswith("-")))
EOF
)
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances $pk 2>/dev/null |
    sed -n 's/^\([a-z0-9][^ ]*\)$/\1/p; s/^ *\(Pre\)\{0,1\}Depends: \([^<][^ ]*\)$/\2/p' |
    sed 's/:amd64$//' | sort -u > "$T/closure"
missing=""
if [ ! -s "$T/closure" ]; then
	skip "rootfs: the Dockerfile's packages hold every library" \
	    "apt-cache knows no packages here (apt-get update)"
else
for l in $(sort -u "$T/libs"); do
	p=$(dpkg -S "$l" 2>/dev/null || dpkg -S "$(readlink -f "$l")" 2>/dev/null ||
	    dpkg -S "/lib/${l#/usr/lib/}" 2>/dev/null ||
	    dpkg -S "/usr/lib/${l#/lib/}" 2>/dev/null)
	p=${p%%:*}
	grep -qx "$p" "$T/closure" || missing="$missing $l($p)"
done
check "rootfs: the Dockerfile's packages hold every library ($(sort -u "$T/libs" | wc -l) libs)" test -z "$missing"
[ -z "$missing" ] || echo "# not in the image's packages:$missing" >&2
fi

# --- a run: fake Runtime API and fake Loki; a copy of the tree mounted
# read-only, as user 65534 (nobody), as Lambda runs the image
[ -d "$SAMPLES/events" ] ||
	{ skip "image and zip runs" "no samples in $SAMPLES"; t_done; exit $?; }
unshare -m true 2> /dev/null && command -v setpriv > /dev/null ||
	{ skip "image and zip runs" "no unshare -m / setpriv here"; t_done; exit $?; }
$PY -c 'import json, sys
print(json.dumps({"id": "i1", "event": json.load(open(sys.argv[1]))}))' \
    "$SAMPLES/events/cloudwatch-logs-event.json" > "$T/run.events"
mkdir -p -m 1777 "$T/tmp"
chmod 755 "$T"
# runit NAME ROOT CMD...: one invocation through CMD; outcome in $T/NAME.*
runit() {
	rn=$1; root=$2; shift 2
	rm -f "$T/lport" "$T/rport"
	$PY "$TOOLS/fake_loki.py" --port-file "$T/lport" --record "$T/$rn.loki" \
	    > /dev/null 2>&1 &
	echo $! > "$T/loki.pid"
	$PY "$TOOLS/fake_runtime.py" --events "$T/run.events" \
	    --record "$T/$rn.rec" --portfile "$T/rport" > /dev/null 2>&1 &
	echo $! > "$T/rt.pid"
	i=0; while { [ ! -s "$T/lport" ] || [ ! -s "$T/rport" ]; } && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i+1)); done
	unshare -m sh -c '
	    set -e
	    mount -t tmpfs tmpfs /var
	    mkdir /var/task
	    mount --bind "$1" /var/task
	    mount -o remount,ro,bind /var/task
	    if [ "$2" = hide-s6 ]; then
		for p in s6-svscan s6-supervise s6-envdir s6-svc s6-svscanctl; do
		    [ ! -e /usr/bin/$p ] || mount --bind /dev/null /usr/bin/$p
		done
	    fi
	    shift 2
	    exec "$@"' sh "$root" "$rn" env -i PATH=/usr/bin:/bin \
	    LAMBDA_TASK_ROOT=/var/task LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/task:/var/task/lib:/opt/lib \
	    AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$T/rport") \
	    WRITE_ADDRESS=http://127.0.0.1:$(cat "$T/lport")/loki/api/v1/push \
	    LP_RUN="$T/tmp/$rn" \
	    setpriv --reuid 65534 --regid 65534 --clear-groups "$@" \
	    > "$T/$rn.out" 2> "$T/$rn.err" &
	echo $! > "$T/svscan.pid"
	i=0; while ! grep -q '"done"' "$T/$rn.rec" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.1; i=$((i+1)); done
	check "$rn: the invocation succeeded" \
	    grep -q '"kind": "response", "id": "i1", "body": null' "$T/$rn.rec"
	check "$rn: Loki received both entries" test "$(wc -l < "$T/$rn.loki" 2>/dev/null)" = 2
	check "$rn: stages run as the unprivileged user" \
	    test "$(stat -c %u "$T/tmp/$rn/scan/relabel/supervise" 2>/dev/null)" = 65534
	pid=$(cat "$T/svscan.pid")
	kill -TERM "$pid"
	i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
	check "$rn: SIGTERM stops it" sh -c "! kill -0 $pid 2>/dev/null"
	kill "$(cat "$T/loki.pid")" "$(cat "$T/rt.pid")" 2>/dev/null
	wait "$pid" "$(cat "$T/loki.pid")" "$(cat "$T/rt.pid")" 2>/dev/null
	rm -f "$T/svscan.pid" "$T/loki.pid" "$T/rt.pid"
}
runit image "$R/opt/lokipipe" /var/task/pipelines/lambda/entry

# --- the zip
sh "$TOP/docker/zip.sh" "$T/lokipipe.zip" "$BIN" > "$T/zip.out" 2>&1
check "zip: built" test -s "$T/lokipipe.zip"
echo "# $(cat "$T/zip.out")"
Z=$T/task
mkdir -p "$Z" && (cd "$Z" && unzip -q "$T/lokipipe.zip")
check "zip: bootstrap at the top, executable" test -x "$Z/bootstrap"
bad=""
for f in "$Z"/bin/* "$Z"/lib/*.so*; do
	case "$f" in */ld-linux-*) continue ;; esac
	"$Z/lib/ld-linux-x86-64.so.2" --list "$f" > "$T/list" 2>&1 || bad="$bad $f"
	grep -q 'not found' "$T/list" && bad="$bad $f"
	awk '$2 == "=>" && $3 ~ /^\// { print $3 }' "$T/list" | while read -r l; do
		case "$(readlink -f "$l")" in "$Z"/lib/*) ;; *) echo "$l" ;; esac
	done > "$T/outside"
	[ -s "$T/outside" ] && bad="$bad $f:$(cat "$T/outside" | tr '\n' ' ')"
done
check "zip: every ELF loads only the zip's libraries" test -z "$bad"
[ -z "$bad" ] && : || echo "# $bad" >&2
bad=""
for f in "$Z"/bin/*; do
	readelf -l "$f" | grep -q 'interpreter: /var/task/lib/ld-linux-x86-64.so.2' ||
	    bad="$bad $f"
	readelf -d "$f" | grep -q '(RPATH).*\[\$ORIGIN/\.\./lib\]' || bad="$bad $f"
done
check "zip: programs use the zip's loader and DT_RPATH \$ORIGIN/../lib" test -z "$bad"
bad=""
for s in lambda-runtime lambda-secrets lambda-init aws-decode relabel transform batch loki-push; do
	v=$(objdump -T "$Z/bin/$s" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1)
	[ "$(printf '%s\nGLIBC_2.34\n' "$v" | sort -V | tail -1)" = GLIBC_2.34 ] ||
	    bad="$bad $s:$v"
done
check "zip: our stages need at most GLIBC_2.34 (Amazon Linux 2023)" test -z "$bad"
check "zip: s6-svscan looks for ./.s6-supervise" grep -qa '\./\.s6-supervise' "$Z/bin/s6-svscan"
check "zip: libcurl's CA bundle is the zip's" \
    grep -qa '/var/task/etc/ca-certificates.crt' "$Z/lib/libcurl.so.4"
check "zip: CA bundle shipped" test -s "$Z/etc/ca-certificates.crt"
runit hide-s6 "$Z" /var/task/bootstrap
t_done
