#!/bin/sh
# zip.sh OUT.zip [BINDIR]: the function as a zip for Lambda's
# provided.al2023 runtime (x86_64), unpacked by Lambda into /var/task:
#   bootstrap                  runs pipelines/lambda/entry
#   bin/                       the stages and s6 (s6-svscan, s6-supervise,
#                              s6-envdir, s6-svc, s6-svscanctl, s6-svstat)
#   lib/                       every shared library they load, Debian's
#                              loader and libc included
#   etc/ca-certificates.crt    the CA bundle libcurl is pointed at
#   pipelines/lambda/          the entry point and the service templates
# Amazon Linux 2023 has glibc 2.34; Debian's libjq, libstdc++, libgcc_s and
# libskarnet need 2.35 or 2.36. So the zip brings its own loader and libc:
# every program's ELF interpreter is /var/task/lib/ld-linux-x86-64.so.2 and
# its DT_RPATH $ORIGIN/../lib (RPATH, not RUNPATH: it wins over Lambda's
# LD_LIBRARY_PATH and holds for indirect dependencies too). Two fixed paths
# are patched, each in place and no longer than the original:
#   s6-svscan       /usr/bin/s6-supervise -> ./.s6-supervise (a link in
#                   pipelines/lambda/services, copied into the scan dir)
#   libcurl.so.4    /etc/ssl/certs/ca-certificates.crt ->
#                   /var/task/etc/ca-certificates.crt
# Needs patchelf, zip, python3, and s6 installed on the build machine.
# LP_TASK_ROOT (default /var/task) changes the root baked in, for tests.
set -eu
out=$1
bin=${2:-bin}
root=${LP_TASK_ROOT:-/var/task}
top=$(cd "$(dirname "$0")/.." && pwd)
case "$out" in /*) ;; *) out=$(pwd)/$out ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-zip.XXXXXX")
trap 'rm -rf "$work"' EXIT
task=$work/task

sh "$top/docker/tree.sh" "$task" "$bin"
for p in s6-svscan s6-supervise s6-envdir s6-svc s6-svscanctl s6-svstat; do
	cp "$(command -v $p)" "$task/bin/$p"
done
strip "$task"/bin/* 2>/dev/null || true
mkdir -p "$task/lib" "$task/etc"
for f in "$task"/bin/*; do
	ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
	    $1 ~ /^\/.*ld-linux/ { print $1 }'
done | sort -u | while read -r l; do
	cp -L "$l" "$task/lib/${l##*/}"
done
loader=$(cd "$task/lib" && ls ld-linux-*.so.* | head -1)
for f in "$task"/bin/*; do
	patchelf --set-interpreter "$root/lib/$loader" --force-rpath \
	    --set-rpath '$ORIGIN/../lib' "$f"
done
for f in "$task"/lib/*; do
	case "$f" in */ld-linux-*) continue ;; esac
	patchelf --force-rpath --set-rpath '$ORIGIN' "$f"
done
/usr/bin/python3 - "$task" "$root" <<'PYEOF'
import sys
task, root = sys.argv[1], sys.argv[2]
def patch(path, old, new):
    b = open(path, "rb").read()
    old = old.encode() + b"\0"
    new = new.encode()
    if len(new) >= len(old):
        sys.exit("zip.sh: %s does not fit in place of %s" % (new, old))
    if b.count(old) != 1:
        sys.exit("zip.sh: %s: %d copies of %s" % (path, b.count(old), old))
    new = new + b"\0" * (len(old) - len(new))
    open(path, "wb").write(b.replace(old, new))
patch(task + "/bin/s6-svscan", "/usr/bin/s6-supervise", "./.s6-supervise")
patch(task + "/lib/libcurl.so.4", "/etc/ssl/certs/ca-certificates.crt",
      root + "/etc/ca-certificates.crt")
PYEOF
ln -s "$root/bin/s6-supervise" "$task/pipelines/lambda/services/.s6-supervise"
cp -L /etc/ssl/certs/ca-certificates.crt "$task/etc/ca-certificates.crt"
cat > "$task/bootstrap" <<BOOT
#!/bin/sh
# provided.al2023 runs this. Lambda's LD_LIBRARY_PATH lists /var/task/lib:
# the system's shell must not pick up the libc shipped there.
unset LD_LIBRARY_PATH
SSL_CERT_FILE=$root/etc/ca-certificates.crt
export SSL_CERT_FILE
exec "\${LAMBDA_TASK_ROOT:-$root}/pipelines/lambda/entry" "\$@"
BOOT
chmod 755 "$task/bootstrap"
chmod -R go-w,a+rX "$task"
rm -f "$out"
mkdir -p "$(dirname "$out")"
(cd "$task" && zip -qry9 "$out" .)
echo "$out: $(du -k "$out" | cut -f1) KiB zipped, $(du -sk "$task" | cut -f1) KiB unpacked"
