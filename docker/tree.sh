#!/bin/sh
# tree.sh DEST [BINDIR]: assembles lokipipe's Lambda file tree under DEST,
# as the container image holds it in /opt/lokipipe and the zip in
# /var/task:
#   DEST/bin/                  the stages
#   DEST/pipelines/lambda/     the entry point and the s6 service templates
# Used by the Dockerfile, `make lambda-rootfs` and docker/zip.sh.
set -eu
dest=$1
bin=${2:-bin}
top=$(cd "$(dirname "$0")/.." && pwd)
stages="lambda-runtime lambda-secrets lambda-init aws-decode relabel transform batch loki-push"
mkdir -p "$dest/bin" "$dest/pipelines"
for s in $stages; do
	[ -x "$bin/$s" ] || { echo "tree.sh: $bin/$s is missing (make first)" >&2
		exit 100; }
	cp "$bin/$s" "$dest/bin/$s"
done
rm -rf "$dest/pipelines/lambda"
cp -R "$top/pipelines/lambda" "$dest/pipelines/lambda"
chmod -R go-w,a+rX "$dest"
