#!/usr/bin/env bash
# TAP: builds the libFuzzer targets (make fuzz-build, clang) and runs each
# one for CHECK_FUZZ_SECONDS (default 5; 0 skips) over its seed corpus.
# A crash, a sanitizer report or a leak fails that fuzzer's line.
set -u
cd "$(dirname "$0")/../.."
SECS=${CHECK_FUZZ_SECONDS:-5}
MAKE=${MAKE:-make}

if [ "$SECS" = 0 ]; then
  echo "1..1"
  echo "ok 1 - fuzzers # SKIP CHECK_FUZZ_SECONDS=0"
  exit 0
fi
if ! command -v clang >/dev/null 2>&1; then
  echo "1..1"
  echo "not ok 1 - fuzzers: clang is not installed (scripts/install-deps.sh test installs it)"
  exit 1
fi

fuzzers=()
for src in tests/fuzz/fuzz-*.c; do
  [ -f "$src" ] || continue
  f=$(basename "$src" .c)
  fuzzers+=("build-fuzz/$f")
done
echo "1..$(( ${#fuzzers[@]} + 1 ))"

log=${BUILD:-build}/test-logs/fuzz-build.log
mkdir -p "$(dirname "$log")"
# The fuzz objects are separate from $BUILD, so SANITIZE= must not leak in.
if env -u SANITIZE $MAKE -s fuzz-build >"$log" 2>&1; then
  echo "ok 1 - make fuzz-build"
else
  echo "not ok 1 - make fuzz-build (see $log)"
  sed 's/^/# /' "$log" | tail -20
  exit 1
fi

n=1 status=0
for bin in "${fuzzers[@]}"; do
  n=$((n + 1))
  name=$(basename "$bin")
  if out=$(FUZZ_SECONDS=$SECS tests/fuzz/run-fuzzers.sh "$bin" 2>&1); then
    echo "ok $n - $name: ${out#ok }"
  else
    echo "not ok $n - $name"
    printf '%s\n' "$out" | sed 's/^/# /'
    status=1
  fi
done
exit $status
