#!/usr/bin/env bash
# Tables larger than memory, what they cost when the table fits: examples/s of edl_train with the
# parameter block, gradients and Adam state in a scratch file (edl train -tableDir) against the same
# model in memory, on Zipf(1.05) ids spread over the table, runs alternating in one process
# (build/bench_bigtable); medians of the per-run ratios. The first epoch (every row, gradient and
# optimizer state touched for the first time) and the next two are reported apart.
# Usage: bench/bigtable.sh [rows_log2=21] [dim=64] [examples=200000] [runs=3] [threads=1] [dir=/tmp]
#   rows_log2 21 and dim 64: a 512 MiB table (2^21 rows); the scratch file goes to dir's disk.
# The larger-than-memory case itself (8 GiB in a 2 GiB cgroup) is tests/test_bigtable.c.
set -euo pipefail
rows_log2=${1:-21}
dim=${2:-64}
examples=${3:-200000}
runs=${4:-3}
threads=${5:-1}
dir=${6:-${TMPDIR:-/tmp}}
build=${BUILD:-build}
make -s BUILD="$build" "$build/bench_bigtable"
OMP_NUM_THREADS=$threads "$build/bench_bigtable" "$rows_log2" "$dim" "$examples" "$runs" "$dir"
