#!/bin/sh
# Runs the libFuzzer targets of tests/fuzz/ for SECONDS each and prints one
# line per target: its name, the executions it ran and its result. Exits 0
# only when no target crashed, leaked, timed out or ran out of memory.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     (SECONDS: 7; TARGET: all)
#
# Each target starts from its seeds (tests/fuzz/corpus/TARGET/) and runs its
# reproducers (tests/fuzz/regressions/TARGET/) too. By default the corpus is
# a scratch copy of the seeds, so that a short run (make test) takes the time
# asked; FUZZ_CORPUS=work (make fuzz) keeps growing BUILD/fuzz/corpus/TARGET/
# across runs instead. Crashes go to BUILD/fuzz/artifacts/TARGET/, the full
# output to BUILD/fuzz/logs/TARGET.log. The targets are built first unless
# FUZZ_NO_BUILD is set; BUILD is the build folder (build).
set -u
cd "$(dirname "$0")/../.." || exit 2

secs=${1:-7}
[ $# -gt 0 ] && shift
targets=${*:-trace mtrace config replay}
build=${BUILD:-build}
dir=$build/fuzz
case $secs in
    ''|*[!0-9]*) echo "fuzz: SECONDS must be a whole number, not '$secs'" >&2
                 exit 2 ;;
esac

# The largest input each target is given: traces with lines up to the
# reader's 4096-byte limit and beyond; logs and bench.toml files of a few
# KiB; replays cut at 2000 events anyway.
max_len() {
    case $1 in
        trace) echo 65536 ;;
        replay) echo 32768 ;;
        *) echo 16384 ;;
    esac
}

# Seconds one input may take before it counts as a hang.
TIMEOUT=20

if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    names=""
    for t in $targets; do
        names="$names $dir/fuzz_$t"
    done
    # shellcheck disable=SC2086
    make -s BUILD="$build" $names || { echo "fuzz: build failed"; exit 1; }
fi

# What went wrong, from libFuzzer's log.
verdict() {
    if grep -q "ERROR: libFuzzer: timeout" "$1"; then
        echo timeout
    elif grep -q "ERROR: libFuzzer: out-of-memory" "$1"; then
        echo out-of-memory
    elif grep -q "ERROR: LeakSanitizer" "$1"; then
        echo leak
    else
        echo crash
    fi
}

failed=0
for t in $targets; do
    bin=$dir/fuzz_$t
    log=$dir/logs/$t.log
    art=$dir/artifacts/$t
    if [ "${FUZZ_CORPUS:-scratch}" = work ]; then
        corpus=$dir/corpus/$t
    else
        corpus=$dir/scratch/$t
        rm -rf "$corpus"
    fi
    mkdir -p "$corpus" "$art" "$dir/logs"
    if [ ! -x "$bin" ]; then
        printf 'fuzz %-7s %12s  FAILED: %s is not built\n' "$t" - "$bin"
        failed=$((failed + 1))
        continue
    fi
    # Seeds join the corpus; a seed already there is left as it is.
    for f in tests/fuzz/corpus/"$t"/*; do
        [ -f "$f" ] && [ ! -e "$corpus/${f##*/}" ] && cp "$f" "$corpus/"
    done
    set -- "$corpus"
    regress=tests/fuzz/regressions/$t
    [ -d "$regress" ] && set -- "$@" "$regress"

    "$bin" -max_total_time="$secs" -max_len="$(max_len "$t")" \
        -timeout=$TIMEOUT -rss_limit_mb=2048 -print_final_stats=1 \
        -print_funcs=0 -error_exitcode=77 -timeout_exitcode=70 \
        -artifact_prefix="$art/" "$@" >"$log" 2>&1
    rc=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
        tail -n 1)
    [ -n "$execs" ] ||
        execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        printf 'fuzz %-7s %12s executions in %ss: ok\n' "$t" "${execs:-0}" \
            "$secs"
        continue
    fi
    failed=$((failed + 1))
    unit=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
    printf 'fuzz %-7s %12s executions: FAILED (%s, exit %s): %s\n' "$t" \
        "${execs:-0}" "$(verdict "$log")" "$rc" "${unit:-no input saved}"
    # The fault in a line or two, and how to see it all again.
    grep -m 2 -E "^fuzz_$t: |^SUMMARY: [A-Z][a-z]*Sanitizer|runtime error: |\
ERROR: libFuzzer: (timeout|out-of-memory)" "$log" | sed 's/^/    /'
    grep -m 1 "^INFO: Seed: " "$log" | sed 's/^/    /'
    echo "    log: $log${unit:+; replay: $bin $unit}"
done
[ "$failed" -eq 0 ]
