#!/bin/sh
# Valgrind memcheck on `xheap replay` of a small trace (every op: churn,
# 3000 events, two threads with cross-thread frees), for every backend that
# `xheap backends` lists. One line per backend, then a summary; exits 0
# only when every replay is clean: no memcheck error, no definite leak, and
# the replay itself succeeded. Logs of failed backends are kept in
# BUILD/valgrind/.
#
#   tests/valgrind.sh               (make valgrind)
#   BUILD=dir tests/valgrind.sh     another build folder
#
# The model backends run with a small memory and vmap area: valgrind
# cannot reserve the default 64 GiB vmap area, and each replay stays
# around a second.
#
# The preloaded baselines (jemalloc, mimalloc, tcmalloc) cannot run as
# xheap runs them: xheap re-executes itself through /proc/self/exe with
# LD_PRELOAD, and under valgrind that names valgrind's own tool. They are
# preloaded here instead (xheap sees its library already serving malloc
# and stays in process), with --soname-synonyms=somalloc=LIB so that
# memcheck replaces that library's malloc and tracks every block, as it
# does glibc's. So what is checked for them is xheap's side: the replay
# engine, the backend and every use of their blocks; the libraries' own
# insides are not exercised (memcheck can track blocks or let the library
# make them, not both).
set -u
build=${BUILD:-build}
xheap=$build/xheap
logs=$build/valgrind

MODEL_OPTS="--memory 32M --vmap-size 256M"
REPLAY_OPTS="--threads 2 --warmup 0 --repetitions 1 --counters none"
MEMCHECK="--tool=memcheck --error-exitcode=1 --leak-check=full
          --errors-for-leak-kinds=definite --show-leak-kinds=definite
          --num-callers=30"

# The libraries drivers/measure/baseline.c preloads, by backend.
preload_of() {
    case $1 in
        jemalloc) echo libjemalloc.so.2 ;;
        mimalloc) echo libmimalloc.so.2 ;;
        tcmalloc) echo libtcmalloc_minimal.so.4 ;;
    esac
}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind: not installed: apt-get install valgrind" >&2
    exit 2
fi
if [ ! -x "$xheap" ]; then
    echo "valgrind: $xheap is missing: run 'make' first" >&2
    exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xheap-valgrind.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
rm -rf "$logs"
mkdir -p "$logs"

# tcmalloc registers its MallocExtension with new[] when it is loaded and
# never frees it: its own one-time leak, not xheap's.
cat >"$tmp/suppressions" <<'EOF'
{
   tcmalloc-registers-its-extension-at-load
   Memcheck:Leak
   match-leak-kinds: definite
   fun:_Znam
   fun:_ZN15MallocExtension8RegisterEPS_
}
EOF

if ! "$xheap" gen churn --events 3000 --threads 2 --cross-free 20 \
        -o "$tmp/churn.trace" >"$tmp/gen.log" 2>&1; then
    echo "valgrind: cannot generate the trace: $(tail -n 1 "$tmp/gen.log")" >&2
    exit 2
fi
backends=$("$xheap" backends | awk '{ print $1 }')
if [ -z "$backends" ]; then
    echo "valgrind: '$xheap backends' lists nothing" >&2
    exit 2
fi

runs=0
bad=0
start=$(date +%s)
for b in $backends; do
    runs=$((runs + 1))
    log=$logs/$b.log
    lib=$(preload_of "$b")
    t0=$(date +%s)
    # shellcheck disable=SC2086
    if [ -n "$lib" ]; then
        env LD_PRELOAD="$lib" valgrind $MEMCHECK \
            --soname-synonyms=somalloc="$lib" \
            --suppressions="$tmp/suppressions" \
            "$xheap" replay --backend "$b" --trace "$tmp/churn.trace" \
            $REPLAY_OPTS --json "$tmp/$b.json" >"$log" 2>&1
    else
        valgrind $MEMCHECK --suppressions="$tmp/suppressions" \
            "$xheap" replay --backend "$b" --trace "$tmp/churn.trace" \
            $REPLAY_OPTS $MODEL_OPTS --json "$tmp/$b.json" \
            --placements "$tmp/$b.csv" >"$log" 2>&1
    fi
    rc=$?
    secs=$(($(date +%s) - t0))
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
    definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -n 1)
    how=${lib:+", $lib preloaded, its malloc replaced by memcheck's"}
    if [ $rc -eq 0 ] && [ "${errors:-x}" = 0 ]; then
        echo "valgrind: $b: clean (0 errors, ${definite:-0} bytes definitely lost$how; ${secs}s)"
        rm -f "$log"
        continue
    fi
    bad=$((bad + 1))
    if [ "${errors:-0}" != 0 ] || [ "${definite:-0}" != 0 ]; then
        echo "valgrind: $b: FAILED: ${errors:-?} errors, ${definite:-0} bytes definitely lost (exit $rc); log: $log"
    else
        echo "valgrind: $b: FAILED: the replay exited $rc: $(grep -v '^==' "$log" | tail -n 1); log: $log"
    fi
done

secs=$(($(date +%s) - start))
if [ $bad -eq 0 ]; then
    rmdir "$logs" 2>/dev/null
    echo "valgrind: memcheck clean on all $runs backends (${secs}s)"
    exit 0
fi
echo "valgrind: $bad of $runs backends not clean under memcheck (${secs}s)"
exit 1
