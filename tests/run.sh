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
    case "$t" in
    # Q1's intervals replicated in 7 of 8 runs here; the eighth (make test,
    # 2026-12-07) read 16 B pairs +2.3 [1.82..2.81] then +1.26 [0.93..1.59]
    # 22 s later: the spread between runs exceeds the spread between one
    # run's 5 processes, which the interval sees. Until the interval
    # accounts for it (issue 11), make check-replication runs it.
    */test_replication) echo "== $t: run by make check-replication"; continue ;;
    esac
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
