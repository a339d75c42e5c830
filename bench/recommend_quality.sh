#!/usr/bin/env bash
# What the recommenders learn on synthetic data with a known answer, over several data seeds:
#   mf:  test RMSE of the biases-only model (-dim 0), of mf at dim 8 (the planted rank) and 32,
#        and the share of the gap between biases-only and the noise floor that mf closes;
#   implicit: HR@10 and NDCG@10 of pop, bpr and mlp when choices follow the planted taste
#        (-affinity 5) and at the generator's default affinity (2).
# Each data set: `edl recommend synth` (1000 users x 2000 items, ~100 records a user, Zipf 1),
# a random 10% held out. Defaults otherwise; 2 threads. Prints one line per seed and the medians.
# EDL=path/to/edl runs that binary (an older build, for a before/after) instead of building one.
# Usage: bench/recommend_quality.sh [seeds=3] [threads=2]
set -euo pipefail
seeds=${1:-3}
threads=${2:-2}
build=${BUILD:-build}
[ -n "${EDL:-}" ] || make -s BUILD="$build" "$build/edl"
edl=${EDL:-$build/edl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
metric() { "$edl" recommend test "$1" "$2" | awk -v n="$3" '$1 == n { print $2 }'; }
train() { # data model name flags...
    local d=$1 m=$2 name=$3
    shift 3
    "$edl" recommend train -input "$d.train" -output "$tmp/$name" -model "$m" -thread "$threads" -verbose 0 "$@" >/dev/null
}
printf '%-5s %-9s %9s %9s %9s %9s %8s %8s | %-25s %-25s %-25s | %-25s %-25s\n' seed floor "rmse bias" "rmse d8" "rmse d32" \
    "closed d8" "d32" "" "aff5 pop HR/NDCG" "aff5 bpr HR/NDCG" "aff5 mlp HR/NDCG" "aff2 pop HR/NDCG" "aff2 bpr HR/NDCG"
for s in $(seq "$seeds"); do
    floor=$("$edl" recommend synth -output "$tmp/a2.data" -seed "$s" 2>&1 | sed -n 's/.*noise RMSE (the floor) \([0-9.]*\).*/\1/p')
    "$edl" recommend split "$tmp/a2.data" -output "$tmp/a2" -split random:0.1 -seed "$s" >/dev/null
    "$edl" recommend synth -output "$tmp/a5.data" -seed "$s" -affinity 5 2>/dev/null
    "$edl" recommend split "$tmp/a5.data" -output "$tmp/a5" -split random:0.1 -seed "$s" >/dev/null
    train "$tmp/a2" mf b -dim 0
    train "$tmp/a2" mf m8 -dim 8
    train "$tmp/a2" mf m32 -dim 32
    rb=$(metric "$tmp/b.safetensors" "$tmp/a2.test" RMSE)
    r8=$(metric "$tmp/m8.safetensors" "$tmp/a2.test" RMSE)
    r32=$(metric "$tmp/m32.safetensors" "$tmp/a2.test" RMSE)
    line=$(awk -v s="$s" -v f="$floor" -v b="$rb" -v r8="$r8" -v r32="$r32" \
        'BEGIN { printf "%-5s %-9.4f %9.4f %9.4f %9.4f %9.3f %8.3f %8s", s, f, b, r8, r32, (b - r8) / (b - f), (b - r32) / (b - f), "" }')
    for a in a5 a2; do
        for m in pop bpr mlp; do
            [ "$a" = a2 ] && [ "$m" = mlp ] && continue
            train "$tmp/$a" "$m" "$a$m"
            line="$line | $(printf '%-25s' "$(metric "$tmp/$a$m.safetensors" "$tmp/$a.test" HR@10) / $(metric "$tmp/$a$m.safetensors" "$tmp/$a.test" NDCG@10)")"
        done
    done
    echo "$line" | tee -a "$tmp/rows"
done
echo "medians over $seeds seeds:"
awk -F'|' '
    function med(a, n,   i, j, t) {
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { n++; split($1, f, " "); c8[n] = f[6]; c32[n] = f[7]
      for (k = 2; k <= NF; k++) { split($k, g, " / "); hr[k, n] = g[1] + 0; nd[k, n] = g[2] + 0 } }
    END {
        printf "mf closes %.3f of the gap at dim 8, %.3f at dim 32\n", med(c8, n), med(c32, n)
        split("aff5-pop aff5-bpr aff5-mlp aff2-pop aff2-bpr", name, " ")
        for (k = 2; k <= 6; k++) {
            for (i = 1; i <= n; i++) { h[i] = hr[k, i]; d[i] = nd[k, i] }
            printf "%-9s HR@10 %.4f  NDCG@10 %.4f\n", name[k - 1], med(h, n), med(d, n)
        }
    }' "$tmp/rows"
