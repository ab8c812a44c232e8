#!/usr/bin/env bash
# make install into a DESTDIR, then build a program outside the source tree
# with nothing but `pkg-config --cflags --libs amsclient`; make uninstall
# must leave nothing behind.
set -u
cd "$AMS_TOP"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
prefix=/opt/amsclient-test
n=0; fail=0
t() { n=$((n+1)); if "$@"; then echo "ok $n - $DESC"; else echo "not ok $n - $DESC"; fail=1; fi; }

DESC="make install into DESTDIR"
make -s --no-print-directory install DESTDIR="$tmp/root" PREFIX=$prefix BUILD="$BUILD" >"$tmp/install.log" 2>&1
t test $? -eq 0 || cat "$tmp/install.log"
root=$tmp/root$prefix
DESC="library installed with its soname link"
t test -e "$root/lib/libamsclient.so.0" -a -e "$root/lib/libamsclient.so" -a -e "$root/lib/libamsclient.a"
DESC="soname recorded in the shared library"
t sh -c "objdump -p '$root/lib/libamsclient.so' | grep -q 'SONAME *libamsclient.so.0'"
DESC="only ams_ symbols are exported"
t sh -c "! nm -D --defined-only '$root/lib/libamsclient.so' | awk '\$2 ~ /[TDB]/ {print \$3}' | grep -v '^ams_' | grep -q ."
DESC="programs and man page installed"
t test -x "$root/bin/amsclient" -a -x "$root/bin/ams-mini-server" -a -f "$root/share/man/man1/amsclient.1"

mkdir -p "$tmp/app"
cat >"$tmp/app/app.c" <<'C'
#include <amsclient/amsclient.h>
#include <stdio.h>
#include <string.h>
int main (void) {
  const char *v = ams_version_string ();
  if (strcmp (ams_error_to_definition (AMS_ERROR_NO_STREAM_EXIST), "no_stream_exist") != 0) return 1;
  printf ("%s\n", v);
  return strcmp (v, AMS_VERSION_STRING) == 0 ? 0 : 1;
}
C
# The installed .pc names the final PREFIX; a copy pointing at the DESTDIR
# tree lets the outside program build before the files reach their place.
mkdir -p "$tmp/pc"
sed "s|$prefix|$root|g" "$root/lib/pkgconfig/amsclient.pc" >"$tmp/pc/amsclient.pc"
export PKG_CONFIG_PATH="$tmp/pc"
DESC="pkg-config finds amsclient"
t pkg-config --exists amsclient
flags=$(pkg-config --cflags --libs amsclient)
# A sanitised library needs its runtime in the program that loads it.
[ -n "${SANITIZE:-}" ] && flags="$flags -fsanitize=$SANITIZE"
DESC="an outside program builds with pkg-config --cflags --libs amsclient"
t sh -c "cc -o '$tmp/app/app' '$tmp/app/app.c' $flags -Wl,-rpath,'$root/lib'"
DESC="the outside program runs against the installed library"
t "$tmp/app/app"

DESC="make uninstall removes everything it installed"
make -s --no-print-directory uninstall DESTDIR="$tmp/root" PREFIX=$prefix BUILD="$BUILD" >/dev/null 2>&1
t sh -c "[ -z \"\$(find '$tmp/root' -type f -o -type l)\" ]"
echo "1..$n"
exit $fail
