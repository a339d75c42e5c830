#!/usr/bin/env bash
# edl vs PyTorch training throughput on the same model, batch, optimizer and threads, in one run.
# Usage: bench/train.sh [steps] [threads] [runs]     (prints each run and the median ratio)
#   BEFORE=path/to/bench_train  also runs that (older) build in each run, right after this one,
#                               and prints after/PyTorch, before/PyTorch and after/before.
# Each program's line ends with "others N%": the share of the machine's cores other processes used
# meanwhile (/proc/stat, less the program's own CPU time), so loaded runs can be told apart.
set -euo pipefail
steps=${1:-300}
threads=${2:-$(nproc)}
runs=${3:-3}
build=${BUILD:-build}
before=${BEFORE:-}
make -s BUILD="$build" "$build/bench_train"
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.time"' EXIT
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; } # user nice system irq softirq steal
# run CMD...: its line, with " others N%" appended
run() {
    local b0 b1 w u s
    b0=$(busy)
    OMP_NUM_THREADS=$threads /usr/bin/time -f "%e %U %S" -o "$tmp.time" "$@" >"$tmp"
    b1=$(busy)
    read -r w u s <"$tmp.time"
    echo "$(cat "$tmp") others $(awk -v b0="$b0" -v b1="$b1" -v w="$w" -v u="$u" -v s="$s" \
        -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" \
        'BEGIN { o = ((b1 - b0) / hz - u - s) / (w * n) * 100; printf "%.0f%%", o < 0 ? 0 : o }')"
}
rate() { sed -n 's/.*: \([0-9]*\) examples.*/\1/p' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{printf "%.2f", a[int((NR+1)/2)]}'; }
ratios=() before_ratios=() speedups=()
for r in $(seq "$runs"); do
    e=$(run "$build/bench_train" "$steps" 0)
    [ -n "$before" ] && b=$(run "$before" "$steps" 0)
    l=$(run "$build/bench_train" "$steps" 1)
    t=$(run /usr/bin/python3 bench/torch_train.py "$steps" "$threads")
    echo "$e"
    [ -n "$before" ] && echo "before: $b"
    echo "$l"
    echo "$t"
    ratios+=("$(ratio "$(rate "$e")" "$(rate "$t")")")
    if [ -n "$before" ]; then
        before_ratios+=("$(ratio "$(rate "$b")" "$(rate "$t")")")
        speedups+=("$(ratio "$(rate "$e")" "$(rate "$b")")")
        echo "run $r: after/torch ${ratios[-1]} before/torch ${before_ratios[-1]} after/before ${speedups[-1]}"
    fi
done
echo "edl (adam, same update as torch) / torch examples/s: median $(median "${ratios[@]}") of $runs"
echo "runs: ${ratios[*]}"
if [ -n "$before" ]; then
    echo "before / torch: median $(median "${before_ratios[@]}"); runs: ${before_ratios[*]}"
    echo "after / before: median $(median "${speedups[@]}"); runs: ${speedups[*]}"
fi
