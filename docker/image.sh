#!/bin/sh
# image.sh [TAG [ROOTFS.tar]]: the Lambda container image without Docker,
# from Debian's
# packages only: mmdebstrap builds a bookworm root filesystem with the
# runtime libraries and s6 (as docker/Dockerfile's last stage installs
# them), the lokipipe tree (docker/tree.sh) goes to /opt/lokipipe, and
# podman imports the result with the Dockerfile's ENTRYPOINT and USER.
# Needs mmdebstrap and podman (apt-get install mmdebstrap podman), network
# access to a Debian mirror, and about two minutes. Then, for example:
#   podman push lokipipe:0.1.0 docker://ACCOUNT.dkr.ecr.REGION.amazonaws.com/lokipipe:0.1.0
# The binaries come from BIN (default bin/: run make first). With
# ROOTFS.tar, the root filesystem is written there and podman is not run
# (chroot into it, or import it elsewhere).
set -eu
tag=${1:-lokipipe:latest}
tar=${2:-}
bin=${BIN:-bin}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
# the package list is the Dockerfile's, so the two stay the same
pkgs=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$top/docker/Dockerfile" |
    grep 'apt-get install' | tail -1 | sed 's/.*apt-get install//; s/&&.*//' |
    tr ' \t' '\n\n' | grep -v '^-' | grep . | paste -sd, -)
sh "$top/docker/tree.sh" "$work/tree/opt/lokipipe" "$bin"
strip "$work/tree/opt/lokipipe/bin/"* 2>/dev/null || true
mmdebstrap --variant=minbase \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --include="$pkgs" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="cp -a '$work/tree/opt' \"\$1/\"" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    --format=tar bookworm "$work/rootfs.tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
if [ -n "$tar" ]; then
	cp "$work/rootfs.tar" "$tar"
	echo "root filesystem: $tar"
	exit 0
fi
podman import \
    --change 'ENTRYPOINT ["/opt/lokipipe/pipelines/lambda/entry"]' \
    --change 'USER 65534:65534' \
    "$work/rootfs.tar" "$tag"
echo "image: $tag"
