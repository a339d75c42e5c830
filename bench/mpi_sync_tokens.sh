#!/usr/bin/env bash
# The Hogwild trainers on 2 ranks (one thread each) against one process, for several -syncTokens
# K: quality, the bytes rank 0 sent in the synchronisations, wall time, the median of runs. How
# the default K was chosen (docs/BENCHMARKS.md).
#
#   bench/mpi_sync_tokens.sh [runs] [K...]
#
# supervised: data/spam.train, P@1 on data/spam.test (-epoch 5, fastText's defaults otherwise);
# skipgram: bench/make_corpus.py's 20000 lines (400k tokens), -epoch 2 -dim 50 -minn 0 -maxn 0,
# quality by bench/score_pairs.py (mean cos related - unrelated).
set -euo pipefail
runs=${1:-3}
shift || true
ks=${*:-5000 20000 50000 200000 1000000}
build=${BUILD:-build}
make -s BUILD="$build" "$build/edl"
edl=$build/edl
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/make_corpus.py "$tmp" 20000
median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
# one run: "wall-seconds train-seconds quality syncs bytes"
run() { # app np K
    local app=$1 np=$2 k=$3 start end q bytes log=$tmp/log
    start=$(now)
    if [ "$app" = supervised ]; then
        cmd=("$edl" supervised -input data/spam.train -output "$tmp/m" -epoch 5 -thread 1 -verbose 1 -syncTokens "$k")
    else
        cmd=("$edl" skipgram -input "$tmp/corpus.txt" -output "$tmp/m" -epoch 2 -dim 50 -minn 0 -maxn 0 -thread 1
            -verbose 1 -syncTokens "$k")
    fi
    if [ "$np" = 1 ]; then "${cmd[@]}" 2>"$log"; else mpirun --oversubscribe --bind-to none -np "$np" "${cmd[@]}" 2>"$log"; fi
    end=$(now)
    if [ "$app" = supervised ]; then
        q=$("$edl" test "$tmp/m.safetensors" data/spam.test | awk '/^P@1/{print $2}')
    else
        q=$(/usr/bin/python3 bench/score_pairs.py "$tmp/m.vec" "$tmp/pairs.txt" | cut -d' ' -f1)
    fi
    bytes=$(awk '/synchronisations, rank 0 sent/{print $8}' "$log")
    syncs=$(awk '/synchronisations, rank 0 sent/{print $3}' "$log")
    train=$(awk '/^trained in/{print $3}' "$log")
    echo "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}') $train $q ${syncs:-0} ${bytes:-0}"
}
printf '%-10s %3s %8s %7s %8s %8s %6s %12s %10s\n' app np K "wall s" "train s" quality syncs "bytes r0" "bytes/sync"
for app in supervised skipgram; do
    for spec in "1 -" $(for k in $ks; do echo "2:$k"; done); do
        np=${spec%%[: ]*} k=${spec#*[: ]}
        [ "$k" = - ] && k=50000
        ts=() trs=() qs=() ss=() bs=()
        for _ in $(seq "$runs"); do
            read -r t tr q sy b < <(run "$app" "$np" "$k")
            ts+=("$t") trs+=("$tr") qs+=("$q") ss+=("$sy") bs+=("$b")
        done
        b=$(printf '%s\n' "${bs[@]}" | median) sy=$(printf '%s\n' "${ss[@]}" | median)
        printf '%-10s %3s %8s %7s %8s %8s %6s %12s %10s\n' "$app" "$np" "$([ "$np" = 1 ] && echo - || echo "$k")" \
            "$(printf '%s\n' "${ts[@]}" | median)" "$(printf '%s\n' "${trs[@]}" | median)" \
            "$(printf '%s\n' "${qs[@]}" | median)" "$sy" "$b" "$(awk -v b="$b" -v s="$sy" 'BEGIN{printf "%.0f", s ? b / s : 0}')"
    done
done
echo "(median of $runs; one thread a rank; wall time includes mpirun's start, about 1 s here; train s: rank 0's"
echo " training, synchronisations included; bytes: what rank 0 sent in the synchronisations, edl_comm_bytes_sent)"
