#!/bin/sh
# Runs the soak (build/soak, tests/soak.c) for SECONDS (default:
# SOAK_SECONDS, else 600) on every online CPU, at least two threads.
# Progress once a minute, then one summary line; exits 0 only when
# nothing was lost.
#
#   tests/soak.sh [SECONDS]     (make soak builds build/soak first)
#   BUILD=dir tests/soak.sh     another build folder
set -u
build=${BUILD:-build}
seconds=${1:-${SOAK_SECONDS:-600}}
soak=$build/soak

if [ ! -x "$soak" ]; then
    echo "soak: $soak is missing: run 'make $soak' first" >&2
    exit 2
fi
case $seconds in
    ''|*[!0-9]*|0) echo "soak: SECONDS must be a positive number, not '$seconds'" >&2
                  exit 2 ;;
esac
exec "$soak" --seconds "$seconds"
