#!/usr/bin/env bash
# Runs the core benchmarks several times and prints each ratio line, so the medians across runs
# can be quoted (the machines are noisy). Usage: bench/run.sh [runs] [build dir]
set -euo pipefail
runs=${1:-3}
build=${2:-build}
make -s BUILD="$build" bench
"$build/edl" version
for i in $(seq "$runs"); do
    echo "== run $i"
    "$build/bench_embedding" 9 | grep -E '^[a-z]|ratio'
    "$build/bench_dense" 9 | grep -E '^shape|ratio|edl dense'
done
