#!/bin/sh
# Runs every test binary under BUILD/tests, then the sanitizer build of the
# model checker, and ends with one "N passed, N failed" line.
set -u
build=${1:-build}
passed=0
failed=0
for t in "$build"/tests/test_* "$build"/tests/san/test_*; do
    [ -x "$t" ] || continue
    echo "== $t"
    if "$t"; then
        passed=$((passed + 1))
    else
        echo "FAILED: $t"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
