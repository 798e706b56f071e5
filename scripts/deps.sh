#!/bin/sh
# Install what lokipipe needs to build, test and demo, from Debian's packages.
# Idempotent: quiet and quick when everything is already there.
set -eu
BUILD="gcc make pkg-config libcurl4-openssl-dev libjq-dev libonig-dev zlib1g-dev
libsnappy-dev libprotobuf-c-dev protobuf-c-compiler libpcre2-dev libssl-dev"
RUN="s6 execline curl ca-certificates"
TEST="python3 python3-protobuf python3-snappy python3-botocore openssl
valgrind time jq patchelf zip unzip mmdebstrap"
want=""
for p in $BUILD $RUN $TEST; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*"ok installed") ;;
	*) want="$want $p" ;;
	esac
done
# npm: Debian's, unless a Node.js that brings its own is there already
command -v npm >/dev/null 2>&1 || want="$want nodejs npm"
[ -z "$want" ] && exit 0
echo "deps: installing$want" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $want >/dev/null
