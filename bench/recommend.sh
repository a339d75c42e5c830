#!/usr/bin/env bash
# Recommenders (mf, bpr, mlp with edl's defaults): edl's epoch time against the bytes-moved floor
# of the same epoch, measured in the same process (build/bench_recommend), and edl's examples/s
# against the same model in PyTorch (bench/torch_recommend.py), same data, settings and threads;
# runs interleaved (edl, torch, next model, ...), then the median of each ratio over the runs.
# Usage: bench/recommend.sh [data] [runs] [threads]
#   data: a u.data file; default: generated once with `edl recommend synth` (6000 users x 4000
#         items x 150 a user, 901k records: MovieLens-1M's size)
#   env:  MODELS="mf bpr mlp", EDL_EPOCHS="5 5 3" (per model; the median is over epochs 2..),
#         TORCH_EPOCHS="0.5 0.5 0.15" (fractions of an epoch; torch's rate is per example),
#         TORCH_SECONDS=10 (torch's timed part stops after this), DIM=32, BUILD=build,
#         PYTHON=/usr/bin/python3 (Debian's, with python3-torch)
# Each measurement also prints "others N%": the share of the machine's cores that other processes
# used meanwhile (from /proc/stat, less the measured program's own CPU time). On a shared machine
# a busy neighbour changes the 2-thread figures most (a team of 2 threads on a core that is not free).
set -euo pipefail
data=${1:-}
runs=${2:-3}
threads=${3:-$(nproc)}
build=${BUILD:-build}
python=${PYTHON:-/usr/bin/python3}
read -r -a models <<<"${MODELS:-mf bpr mlp}"
read -r -a eepochs <<<"${EDL_EPOCHS:-5 5 3}"
read -r -a tepochs <<<"${TORCH_EPOCHS:-0.5 0.5 0.15}"
tsec=${TORCH_SECONDS:-10}
dim=${DIM:-32}
make -s BUILD="$build" "$build/bench_recommend" "$build/edl"
if [ -z "$data" ]; then
    data=$build/rec_synth_6000x4000x150.data
    [ -f "$data" ] || "$build/edl" recommend synth -output "$data" -users 6000 -items 4000 -per-user 150 -seed 1
fi
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.time" "$tmp.out"' EXIT
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; } # jiffies: user nice system irq softirq steal
# run CMD...: its stdout into $out, and into $others the % of the machine other processes used meanwhile
run() {
    local b0 b1 w u s
    b0=$(busy)
    /usr/bin/time -f "%e %U %S" -o "$tmp.time" "$@" >"$tmp.out" || { cat "$tmp.out" "$tmp.time"; return 1; }
    b1=$(busy)
    read -r w u s <"$tmp.time"
    out=$(cat "$tmp.out")
    others=$(awk -v b0="$b0" -v b1="$b1" -v w="$w" -v u="$u" -v s="$s" -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" \
        'BEGIN { o = ((b1 - b0) / hz - u - s) / (w * n) * 100; printf "%.0f", o < 0 ? 0 : o }')
}
have_torch=1
if ! "$python" -c 'import torch' 2>/dev/null; then
    have_torch=0
    echo "note: $python cannot import torch (apt-get install python3-torch): edl against the floor only"
fi
echo "data $data, $runs runs, $threads threads, $(uname -m), $(nproc) cores"
for r in $(seq "$runs"); do
    for k in "${!models[@]}"; do
        m=${models[$k]}
        echo "== run $r, $m"
        run env OMP_NUM_THREADS="$threads" "$build/bench_recommend" "$data" "$m" "${eepochs[$k]:-5}" "$threads" "$dim" 1
        e=$out eo=$others
        echo "$e"
        echo "  (others ${eo}% of the machine meanwhile)"
        t="torch: not run: 0 examples/s" to=0
        if [ "$have_torch" = 1 ]; then
            run env OMP_NUM_THREADS="$threads" "$python" bench/torch_recommend.py "$data" "$m" "${tepochs[$k]:-0.5}" "$threads" "$dim" 1 "$tsec"
            t=$out to=$others
            echo "$t (others ${to}%)"
        fi
        res=$(grep '^result ' <<<"$e")
        ee=$(field edl_examples_per_s "$res")
        te=$(sed -n 's/.*: \([0-9]*\) examples\/s.*/\1/p' <<<"$t")
        echo "$m $ee $te $(field edl_epoch_s "$res") $(field floorT_s "$res") $(field floor_over_edl "$res") \
$(field floor_best_over_edl "$res") $(field floor_malloc_s "$res") $eo $to" >>"$tmp"
    done
done
echo "== medians of $runs runs, $threads threads ($data)"
printf '%-5s %12s %12s %10s %9s %11s %10s %12s %13s %9s\n' model "edl ex/s" "torch ex/s" "edl/torch" "edl s/ep" "floor s/ep" "floor/edl" "best fl/edl" "malloc/align" "others %"
for m in "${models[@]}"; do
    awk -v m="$m" '
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        $1 == m { n++; ee[n] = $2; te[n] = $3; q[n] = $3 > 0 ? $2 / $3 : 0; es[n] = $4; fs[n] = $5; fe[n] = $6; fb[n] = $7; ma[n] = $8 / $5; oe[n] = $9; ot[n] = $10
                  runs = runs sprintf(" %.2f", q[n]); fruns = fruns sprintf(" %.4f", $6); oruns = oruns sprintf(" %d/%d", $9, $10) }
        END {
            if (!n) exit
            printf "%-5s %12.0f %12.0f %10.2f %9.4f %11.5f %10.4f %12.4f %13.2f %4.0f/%-4.0f\n", m, med(ee, n), med(te, n), med(q, n),
                   med(es, n), med(fs, n), med(fe, n), med(fb, n), med(ma, n), med(oe, n), med(ot, n)
            printf "      runs edl/torch:%s; floor/edl:%s; others %% (edl/torch):%s\n", runs, fruns, oruns
        }' "$tmp"
done
