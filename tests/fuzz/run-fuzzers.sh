#!/usr/bin/env bash
# Runs each libFuzzer binary given on the command line for FUZZ_SECONDS
# (default 10) over its seed corpus tests/fuzz/corpus/<name>/ (the binary's
# name without the "fuzz-" prefix), then prints how many inputs it ran.
# New inputs go to a scratch directory, not into the seeds; a crash, a leak
# or a timeout leaves the input in build-fuzz/artifacts/ and fails the run.
#
#   tests/fuzz/run-fuzzers.sh build-fuzz/fuzz-protocol [...]
set -u
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
ARTIFACTS=${FUZZ_ARTIFACTS:-build-fuzz/artifacts}
mkdir -p "$ARTIFACTS"

if [ $# -eq 0 ]; then
  echo "usage: $0 FUZZER..." >&2
  exit 2
fi

status=0
for bin in "$@"; do
  name=$(basename "$bin")
  name=${name#fuzz-}
  seeds=tests/fuzz/corpus/$name
  if [ ! -x "$bin" ]; then
    echo "FAIL $name: $bin is not built" >&2
    status=1; continue
  fi
  if [ ! -d "$seeds" ]; then
    echo "FAIL $name: no seed corpus $seeds" >&2
    status=1; continue
  fi
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name.XXXXXX")
  log=$ARTIFACTS/$name.log
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  # detect_leaks: a leak in the code under test fails the run like a crash.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$name-" "${dict[@]}" \
      "$scratch" "$seeds" >"$log" 2>&1
  rc=$?
  rm -rf "$scratch"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    echo "FAIL $name: exit status $rc after ${runs:-?} executions; log $log" >&2
    grep -E 'ERROR|SUMMARY|fuzz-protocol:|Test unit written' "$log" | head -10 >&2
    status=1
  else
    echo "ok $name: ${runs:-?} executions in ${FUZZ_SECONDS}s, no crash or leak"
  fi
done
exit $status
