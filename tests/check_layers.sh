#!/bin/sh
# Imports run one way (architecture.md, Layout):
#   cli -> suite -> report -> measure -> backends and workloads
# A file may include headers of its own room and of rooms below it, never
# of a room above. gbench, a binary of its own, sits beside cli. And a heap
# is opaque outside backends/ (see below). Prints each include that runs
# the wrong way and fails if there is one.
set -u
cd "$(dirname "$0")/.."

rank() {
    case "$1" in
    backends/*|workloads/*) echo 0 ;;
    drivers/measure/*)      echo 1 ;;
    drivers/report/*)       echo 2 ;;
    drivers/suite/*)        echo 3 ;;
    drivers/cli/*|drivers/gbench/*) echo 4 ;;
    drivers/*)              echo 9 ;;   # outside every room: always wrong
    *)                      echo -1 ;;  # system headers, tests
    esac
}

# backends/ and workloads/ are rooms of their own; drivers/ has rooms inside.
room() {
    case "$1" in
    drivers/*) echo "$1" | cut -d/ -f1-2 ;;
    *)         echo "$1" | cut -d/ -f1 ;;
    esac
}

bad=0
files=$(find backends workloads drivers -name '*.[ch]' -o -name '*.cc' | sort)
for f in $files; do
    case "$f" in
    drivers/*/*) ;;
    drivers/*) echo "$f: a file directly in drivers/, outside every room"
               bad=$((bad + 1)); continue ;;
    esac
    from=$(rank "$f")
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        to=$(rank "$inc")
        [ "$to" -lt 0 ] && continue
        [ "$(room "$inc")" = "$(room "$f")" ] && continue
        if [ "$to" -ge "$from" ]; then
            echo "$f: includes $inc, which runs the wrong way (cli -> suite -> report -> measure -> backends, workloads)"
            bad=$((bad + 1))
        fi
    done
done
# Inside a heap is backends/ business: drivers/ and workloads/ include of
# backends/ only heap.h, the interface, and lock.h, the spinning and
# relaxed-counter primitives (no heap state in it) that the replay's
# barrier shares so that it spins as the model's locks do, and names.h,
# the one enum<->name helper (no heap state either). faults.h is the
# model's fault plans and VMA count, not an interface: the knobs that ask
# for faults are struct heap_config's, and their limit is in heap.h.
for f in $(find drivers workloads -name '*.[ch]' -o -name '*.cc' | sort); do
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\(backends\/[^"]*\)".*/\1/p' "$f"); do
        case "$inc" in
        backends/heap.h|backends/lock.h|backends/names.h) ;;
        *) echo "$f: includes $inc: outside backends/ a heap is seen through backends/heap.h alone"
           bad=$((bad + 1)) ;;
        esac
    done
done
if [ "$bad" -ne 0 ]; then
    echo "check_layers: $bad include(s) against the layering"
    exit 1
fi
echo "check_layers: every include runs one way"
