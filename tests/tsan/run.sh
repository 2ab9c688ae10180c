#!/bin/sh
# Multi-threaded replays under ThreadSanitizer: traces whose blocks are
# freed by other threads than the ones that allocated them, replayed with
# 2 and 4 threads on the model backends and glibc, once with a flush peer
# and once with lazy unmapping; then a short soak (tests/soak.c), four
# threads freeing and reallocating each other's blocks at random. Any
# report fails the run; the log of each failed run is kept in
# BUILD/tsan/logs/. Ends with one summary line; exits 0 only when every
# run was clean.
#
#   tests/tsan/run.sh            (make tsan builds BUILD/tsan/{xheap,soak})
#   BUILD=dir tests/tsan/run.sh  another build folder
set -u
build=${BUILD:-build}
xheap=$build/xheap
tsan=$build/tsan/xheap
tsan_soak=$build/tsan/soak
logs=$build/tsan/logs

# A few thousand events per trace: TSan slows a replay 5-15 times, and
# races show within the first few hundred cross-thread frees.
EVENTS=20000
# A replay that takes longer has hung (a lost wake-up, a corrupted list).
LIMIT=${TSAN_LIMIT:-300}
# The soak's seconds under TSan (its rounds rotate over the backends).
SOAK_SECONDS=${TSAN_SOAK_SECONDS:-10}
# halt_on_error: the first report ends the run with status 66, so a race
# is never mistaken for a replay that merely failed. history_size: enough
# history to print both stacks of a race.
TSAN_OPTIONS="halt_on_error=1 exitcode=66 history_size=7 ${TSAN_EXTRA_OPTIONS:-}"
export TSAN_OPTIONS

for f in "$xheap" "$tsan" "$tsan_soak"; do
    if [ ! -x "$f" ]; then
        echo "tsan: $f is missing: run 'make $f' first" >&2
        exit 2
    fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xheap-tsan.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
rm -rf "$logs"
mkdir -p "$logs"

"$xheap" gen churn --threads 4 --cross-free 20 --events $EVENTS \
    -o "$tmp/churn4.trace" &&
"$xheap" gen small --threads 2 --cross-free 50 --events $EVENTS \
    -o "$tmp/small2.trace" || { echo "tsan: cannot generate traces" >&2; exit 2; }

runs=0
bad=0
# check NAME COMMAND...: runs it, counts it, names its first report.
check() {
    name=$1
    shift
    runs=$((runs + 1))
    log=$logs/$name.log
    timeout "$LIMIT" "$@" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && ! grep -q 'ThreadSanitizer' "$log"; then
        rm -f "$log"
        return
    fi
    bad=$((bad + 1))
    if [ $rc -eq 124 ]; then
        what="no end after ${LIMIT}s: hung"
    else
        what=$(grep -m1 '^SUMMARY: ThreadSanitizer' "$log" ||
               tail -n 1 "$log")
    fi
    echo "tsan: FAILED $name (exit $rc): $what; log: $log"
}

# replay NAME TRACE THREADS BACKEND [replay options...]
replay() {
    name=$1 trace=$2 threads=$3 backend=$4
    shift 4
    check "$name" "$tsan" replay --backend "$backend" \
        --trace "$tmp/$trace.trace" --threads "$threads" --memory 64M \
        --warmup 0 --repetitions 1 --counters none "$@"
}

for b in glibc xmalloc xvmalloc vmalloc xvmalloc-fallback; do
    replay "$b-churn-t4" churn4 4 "$b"
    replay "$b-small-t2" small2 2 "$b"
done
# Four trace threads on two replay threads, a peer spinning in the address
# space while vmap areas are unmapped, and the placements pass.
replay xvmalloc-churn-t2-peer churn4 2 xvmalloc --flush-peers 1 \
    --placements "$tmp/placements.csv"
# vfree deferred and purged in batches, by whichever thread crosses the mark.
replay vmalloc-churn-t4-lazy churn4 4 vmalloc --flush lazy --lazy-max-pages 32
replay kvmalloc-churn-t4-16K churn4 4 kvmalloc --page-size 16K
replay pages-small-t2 small2 2 pages
# The soak on four threads (TSAN_SOAK_THREADS: another count), more than
# most hosts here have CPUs, so that threads are descheduled inside the
# allocators' critical windows.
soak_threads=${TSAN_SOAK_THREADS:-4}
check "soak-t$soak_threads" "$tsan_soak" --seconds "$SOAK_SECONDS" \
    --threads "$soak_threads" --memory 64M

if [ $bad -eq 0 ]; then
    rmdir "$logs" 2>/dev/null
    echo "tsan: $runs multi-threaded runs (replays and a ${SOAK_SECONDS}s soak) under ThreadSanitizer, no report"
    exit 0
fi
echo "tsan: $bad of $runs multi-threaded runs under ThreadSanitizer failed"
exit 1
