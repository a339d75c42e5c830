#!/usr/bin/env bash
# edl vs PyTorch training throughput on the same model, batch, optimizer and threads, in one run.
# Usage: bench/train.sh [steps] [threads] [runs]     (prints each run and the median ratio)
set -euo pipefail
steps=${1:-300}
threads=${2:-$(nproc)}
runs=${3:-3}
build=${BUILD:-build}
make -s BUILD="$build" "$build/bench_train"
ratios=()
for r in $(seq "$runs"); do
    e=$(OMP_NUM_THREADS=$threads "$build/bench_train" "$steps" 0)
    l=$(OMP_NUM_THREADS=$threads "$build/bench_train" "$steps" 1)
    t=$(/usr/bin/python3 bench/torch_train.py "$steps" "$threads")
    echo "$e"; echo "$l"; echo "$t"
    ev=$(sed -n 's/.*: \([0-9]*\) examples.*/\1/p' <<<"$e")
    tv=$(sed -n 's/.*: \([0-9]*\) examples.*/\1/p' <<<"$t")
    ratios+=("$(awk -v a="$ev" -v b="$tv" 'BEGIN{printf "%.2f", a/b}')")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END{printf "edl (adam, same update as torch) / torch examples/s: median %.2f of %s\n", a[int((NR+1)/2)], NR}'
echo "runs: ${ratios[*]}"
