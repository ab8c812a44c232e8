#!/bin/sh
# Installs the Debian 12 packages amsclient needs to build, test and run.
# Usage: scripts/install-deps.sh [build|test|interop]
# It installs only what is missing, says so, and uses sudo when not root.
set -eu

build_pkgs="build-essential pkg-config libglib2.0-dev libjson-c-dev libssl-dev
 libwebsockets-dev libwebsockets-evlib-glib libwebsockets-evlib-uv libuv1-dev
 libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
 gstreamer1.0-nice gstreamer1.0-tools libnice-dev"
test_pkgs="clang libclang-rt-14-dev valgrind man-db groff-base
 gobject-introspection libgirepository1.0-dev gir1.2-gstreamer-1.0 python3-gi
 openssl iproute2 iptables gstreamer1.0-plugins-base-apps"
interop_pkgs="chromium nodejs npm"

want="$build_pkgs"
case "${1:-build}" in
  build) ;;
  test) want="$want $test_pkgs" ;;
  interop) want="$want $test_pkgs $interop_pkgs" ;;
  *) echo "usage: $0 [build|test|interop]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  # node may come from elsewhere than Debian; accept any working binary
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "amsclient: installing missing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may never have fetched the package lists.
$SUDO apt-get update -qq >&2 || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
