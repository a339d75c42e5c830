#!/usr/bin/env bash
# The implicit recommenders on real interactions: authors x files from a repository's git history
# (bench/git_interactions.py: each author's first commit touching each file, files with >= 3
# authors, authors with >= 20 such files), each author's newest file held out (-split last), every
# other file the author has not touched ranked. Default flags, as a new user runs them (add flags
# with FLAGS="-thread 1"); one line per model and seed, then mean, standard deviation, min and max
# of HR@10 and NDCG@10. pop is the popularity baseline. mf is left out: it learns explicit ratings
# and every record here is a positive. mlp is the default NeuMF head (b_i + <p_u, q_i> + MLP, -reg
# 0.01, -dense_decay 5); mlp-plain is `-model mlp -dot 0 -reg 0 -dense_decay 0`, the mlp's default
# before 2026-12 (the MLP alone), for the after binary only (older binaries run it as their mlp).
# BEFORE=path/to/an/older/edl adds its rows (the same data, seeds and flags) for a before/after.
# Usage: bench/recommend_real.sh GITDIR [seeds=5]
#   e.g. git clone --bare https://github.com/git/git git.git && bench/recommend_real.sh git.git
set -euo pipefail
gitdir=${1:?usage: bench/recommend_real.sh GITDIR [seeds=5]}
seeds=${2:-5}
build=${BUILD:-build}
make -s BUILD="$build" "$build/edl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
python3 "$here/git_interactions.py" "$gitdir" "$tmp/git.csv"
bins="after=$build/edl"
[ -n "${BEFORE:-}" ] && bins="before=$BEFORE $bins"
for b in $bins; do
    name=${b%%=*} edl=${b#*=}
    for label in pop bpr mlp mlp-plain; do
        m=$label
        [ "$label" = mlp-plain ] && m="mlp -dot 0 -reg 0 -dense_decay 0"
        [ "$name" = before ] && [ "$label" = mlp-plain ] && continue # no -dense_decay before
        for s in $(seq "$seeds"); do
            # shellcheck disable=SC2086
            "$edl" recommend train -input "$tmp/git.csv" -output "$tmp/r" -model $m -split last -seed "$s" -verbose 0 \
                ${FLAGS:-} >/dev/null
            "$edl" recommend test "$tmp/r.safetensors" "$tmp/r.test" |
                awk -v n="$name" -v m="$label" -v s="$s" '$1 == "HR@10" { h = $2 } $1 == "NDCG@10" { d = $2 }
                    END { printf "%-7s %-11s seed %-3s HR@10 %.4f  NDCG@10 %.4f\n", n, m, s, h, d }'
        done
    done
done | tee "$tmp/rows"
echo "over $seeds seeds (mean, sd, min, max):"
awk '{ key = $1 " " $2; h = $(NF - 2); d = $NF
       if (!(key in n)) order[++keys] = key
       n[key]++; sh[key] += h; sh2[key] += h * h; sd[key] += d; sd2[key] += d * d
       if (!(key in hmin) || h < hmin[key]) hmin[key] = h; if (!(key in hmax) || h > hmax[key]) hmax[key] = h
       if (!(key in dmin) || d < dmin[key]) dmin[key] = d; if (!(key in dmax) || d > dmax[key]) dmax[key] = d }
     function sdev(s, s2, k, v) { v = k > 1 ? (s2 - s * s / k) / (k - 1) : 0; return v > 0 ? sqrt(v) : 0 }
     END { printf "%-20s %-30s %-30s\n", "", "HR@10 mean sd [min max]", "NDCG@10 mean sd [min max]"
           for (i = 1; i <= keys; i++) { k = order[i]
               printf "%-20s %.4f %.4f [%.4f %.4f]   %.4f %.4f [%.4f %.4f]\n", k, sh[k] / n[k], sdev(sh[k], sh2[k], n[k]),
                   hmin[k], hmax[k], sd[k] / n[k], sdev(sd[k], sd2[k], n[k]), dmin[k], dmax[k] } }' "$tmp/rows"
