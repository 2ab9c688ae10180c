#!/bin/sh
# Runs every test program: the unit tests under BUILD/tests, the sanitizer
# builds under BUILD/tests/san (a shorter model-checker run), then the
# reliability checks that are scripts (a short fuzz run, a short soak, the
# ThreadSanitizer replay, valgrind on every backend). Ends with one
# "N passed, N failed" line counting test programs.
set -u
build=${1:-build}
passed=0
failed=0

run() {
    echo "== $*"
    if "$@"; then
        passed=$((passed + 1))
    else
        echo "FAILED: $*"
        failed=$((failed + 1))
    fi
}

run tests/check_layers.sh
for t in "$build"/tests/test_*; do
    [ -x "$t" ] && run "$t"
done
for t in "$build"/tests/san/test_*; do
    [ -x "$t" ] && run env XHEAP_CHECK_OPS="${XHEAP_SAN_CHECK_OPS:-100000}" "$t"
done
[ -x tests/fuzz/run.sh ] && run env BUILD="$build" tests/fuzz/run.sh "${XHEAP_FUZZ_SECONDS:-7}"
[ -x tests/soak.sh ] && run tests/soak.sh "${XHEAP_SOAK_SECONDS:-15}"
[ -x tests/tsan/run.sh ] && run tests/tsan/run.sh
[ -x tests/valgrind.sh ] && run tests/valgrind.sh
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
