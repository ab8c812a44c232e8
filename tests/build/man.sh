#!/usr/bin/env bash
# Every man page in man/ renders with no groff warning at the usual terminal
# width (man --warnings -l), and has the sections a reader expects.
set -u
cd "$AMS_TOP"
BUILD=${BUILD:-build}
n=0; fail=0
t() { n=$((n+1)); if "$@"; then echo "ok $n - $DESC"; else echo "not ok $n - $DESC"; fail=1; fi; }

pages=(man/*.[1-8])
DESC="man/ holds the pages (amsclient.1, amsclient.conf.5, libamsclient.3)"
t test -f man/amsclient.1 -a -f man/amsclient.conf.5 -a -f man/libamsclient.3

for page in "${pages[@]}"; do
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  DESC="$page renders without warnings"
  t test -z "$warnings" || printf '# %s\n' "$warnings"
  DESC="$page has NAME, SYNOPSIS or DESCRIPTION, and SEE ALSO"
  t sh -c "grep -q '^\.SH NAME' '$page' && grep -qE '^\.SH (SYNOPSIS|DESCRIPTION)' '$page' && grep -q '^\.SH \"\?SEE ALSO' '$page'"
done
# The C example of libamsclient(3) is real code: it must build against the
# library without a warning.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed -n '/^\.SH EXAMPLE/,/^\.SH/p' man/libamsclient.3 | sed -n '/^\.EX/,/^\.EE/p' | sed '1d;$d' |
  sed -e 's/\\e/\\/g' -e 's/\\-/-/g' >"$tmp/example.c"
DESC="the example of libamsclient(3) compiles without warnings"
t sh -c "cc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude \$(pkg-config --cflags glib-2.0 gobject-2.0) \
  -o '$tmp/example' '$tmp/example.c' -L'$BUILD/lib' -lamsclient \$(pkg-config --libs glib-2.0 gobject-2.0) 2>&1 | sed 's/^/# /'; \
  test -x '$tmp/example'"
exit $fail
