#!/bin/sh
# Runs every test binary under BUILD/tests, then the sanitizer builds under
# BUILD/tests/san with a shorter model-checker run, and ends with one
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

for t in "$build"/tests/test_*; do
    [ -x "$t" ] && run "$t"
done
for t in "$build"/tests/san/test_*; do
    [ -x "$t" ] && run env XHEAP_CHECK_OPS="${XHEAP_SAN_CHECK_OPS:-100000}" "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
