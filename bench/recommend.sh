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
#         BUILD=build, PYTHON=/usr/bin/python3 (Debian's, with python3-torch)
set -euo pipefail
data=${1:-}
runs=${2:-3}
threads=${3:-$(nproc)}
build=${BUILD:-build}
python=${PYTHON:-/usr/bin/python3}
read -r -a models <<<"${MODELS:-mf bpr mlp}"
read -r -a eepochs <<<"${EDL_EPOCHS:-5 5 3}"
read -r -a tepochs <<<"${TORCH_EPOCHS:-0.5 0.5 0.15}"
make -s BUILD="$build" "$build/bench_recommend" "$build/edl"
if [ -z "$data" ]; then
    data=$build/rec_synth_6000x4000x150.data
    [ -f "$data" ] || "$build/edl" recommend synth -output "$data" -users 6000 -items 4000 -per-user 150 -seed 1
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
echo "data $data, $runs runs, $threads threads, $(uname -m), $(nproc) cores"
for r in $(seq "$runs"); do
    for k in "${!models[@]}"; do
        m=${models[$k]}
        echo "== run $r, $m"
        e=$(OMP_NUM_THREADS=$threads "$build/bench_recommend" "$data" "$m" "${eepochs[$k]:-5}" "$threads")
        echo "$e"
        t=$(OMP_NUM_THREADS=$threads "$python" bench/torch_recommend.py "$data" "$m" "${tepochs[$k]:-0.5}" "$threads")
        echo "$t"
        res=$(grep '^result ' <<<"$e")
        ee=$(field edl_examples_per_s "$res")
        te=$(sed -n 's/.*: \([0-9]*\) examples\/s.*/\1/p' <<<"$t")
        echo "$m $ee $te $(field edl_epoch_s "$res") $(field floorT_s "$res") $(field floor_over_edl "$res") \
$(field floor_best_over_edl "$res") $(field floor_malloc_s "$res") $(field floorT_gbs "$res")" >>"$tmp"
    done
done
echo "== medians of $runs runs, $threads threads ($data)"
printf '%-5s %14s %14s %10s %10s %12s %12s %13s %14s\n' model "edl ex/s" "torch ex/s" "edl/torch" "edl s/ep" "floor s/ep" "floor/edl" "best fl/edl" "malloc/align"
for m in "${models[@]}"; do
    awk -v m="$m" '
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        $1 == m { n++; ee[n] = $2; te[n] = $3; q[n] = $2 / $3; es[n] = $4; fs[n] = $5; fe[n] = $6; fb[n] = $7; ma[n] = $8 / $5
                  runs = runs sprintf(" %.2f", $2 / $3); fruns = fruns sprintf(" %.4f", $6) }
        END {
            if (!n) exit
            printf "%-5s %14.0f %14.0f %10.2f %10.4f %12.5f %12.4f %13.4f %14.2f\n", m, med(ee, n), med(te, n), med(q, n), med(es, n),
                   med(fs, n), med(fe, n), med(fb, n), med(ma, n)
            printf "      runs edl/torch:%s; floor/edl:%s\n", runs, fruns
        }' "$tmp"
done
