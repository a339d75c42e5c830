#!/usr/bin/env bash
# Training on 1 and 2 MPI ranks of this machine (one thread a rank), in one run: wall time,
# throughput and its ratio to one rank, the quality each run reached, and the bytes each rank
# sent: as edl counts them (EDL_COMM_BYTES=1) and as measured on the wire (the loopback
# interface's transmitted bytes in one more run with Open MPI's TCP transport forced, both ranks
# together, TCP/IP headers and mpirun's own control traffic included; the timed runs use Open
# MPI's default, shared memory).
#
#   bench/mpi.sh [runs] [jobs]        jobs: any of "supervised skipgram train mlp mlp-shard"
#
# Two ranks on two cores measure the cost of synchronising, not a speed-up a cluster would see
# (the ranks share the memory bus and the cores); docs/SCALING.md turns these figures into a
# model of 8, 64 and 512 ranks on a 25 Gb/s network.
set -euo pipefail
runs=${1:-3}
read -r -a jobs <<<"${2:-supervised skipgram train mlp mlp-shard}"
build=${BUILD:-build}
edl=$build/edl
make -s BUILD="$build" "$edl"
if ! "$edl" version | grep -q 'mpi=yes'; then
    echo "bench/mpi.sh: $edl was built without MPI (install libopenmpi-dev openmpi-bin, make MPI=1)" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
lo_tx() { awk '/^ *lo:/{print $10}' /proc/net/dev; }

# the data: the bundled spam corpus, a synthetic word corpus, a dataset for `edl train` made from
# the spam corpus (label, then word ids), synthetic ratings
/usr/bin/python3 bench/make_corpus.py "$tmp" "${CORPUS_LINES:-50000}"
"$edl" recommend synth -output "$tmp/all.data" -users 3000 -items 2000 -per-user 60 -seed 1 >/dev/null
"$edl" recommend split "$tmp/all.data" -output "$tmp/ratings" >/dev/null # ratings.train, ratings.test (leave-last-out)
awk 'BEGIN{srand(3)} {split($0, w, " "); lab = ($1 == "__label__spam"); line = lab; n = 0;
     for (i = 2; i <= length(w) && n < 16; i++) { h = 0; for (j = 1; j <= length(w[i]); j++) h = (h * 31 + index("abcdefghijklmnopqrstuvwxyz0123456789", substr(w[i], j, 1))) % 5000; line = line " " h; n++ }
     while (n < 16) { line = line " 0"; n++ } print line}' data/spam.train >"$tmp/spam_ids.txt"
spam_tokens=$(wc -w <data/spam.train)
corpus_tokens=$(($(wc -w <"$tmp/corpus.txt") + $(wc -l <"$tmp/corpus.txt")))
spam_examples=$(wc -l <data/spam.train)
ratings=$(wc -l <"$tmp/ratings.train")

# job NAME -> cmd: the arguments after `edl`; the work it does (tokens or examples) and its epochs
args_of() {
    case $1 in
    supervised) cmd=(supervised -input data/spam.train -output "$tmp/m" -dim 50 -epoch 5 -lr 0.5 -wordNgrams 2 -bucket 200000 -thread 1 -seed 1) ;;
    skipgram) cmd=(skipgram -input "$tmp/corpus.txt" -output "$tmp/m" -dim 100 -epoch 3 -minCount 5 -minn 0 -maxn 0 -thread 1 -seed 1) ;;
    train) cmd=(train -spec "embedding_bag(rows=5000,dim=64) dense(64,act=relu) dense(2)" -input "$tmp/spam_ids.txt" -output "$tmp/m" -epoch 3 -batch 64 -thread 1 -seed 1) ;;
    mlp) cmd=(recommend train -input "$tmp/ratings.train" -output "$tmp/m" -model mlp -epoch 2 -thread 1 -seed 1) ;;
    mlp-shard) cmd=(recommend train -input "$tmp/ratings.train" -output "$tmp/m" -model mlp -epoch 2 -thread 1 -seed 1 -shard rows) ;;
    esac
}
work_of() {
    case $1 in
    supervised) echo $((spam_tokens * 5)) tokens ;;
    skipgram) echo $((corpus_tokens * 3)) tokens ;;
    train) echo $((spam_examples * 3)) examples ;;
    mlp | mlp-shard) echo $((ratings * 2)) examples ;;
    esac
}
epochs_of() { case $1 in supervised) echo 5 ;; skipgram) echo 3 ;; train) echo 3 ;; *) echo 2 ;; esac; }
quality_of() {
    case $1 in
    supervised) "$edl" test "$tmp/m.safetensors" data/spam.test | awk '/^P@1/{print "P@1", $2}' ;;
    skipgram) echo "pairs $(/usr/bin/python3 bench/score_pairs.py "$tmp/m.vec" "$tmp/pairs.txt" | cut -d' ' -f1)" ;;
    train) "$edl" eval "$tmp/m.safetensors" "$tmp/spam_ids.txt" | awk '{printf "%s %s ", $1, $2} END{print ""}' ;;
    *) "$edl" recommend test "$tmp/m.safetensors" "$tmp/ratings.test" | awk '/HR@10/{printf "HR@10 %s ", $2} /NDCG@10/{printf "NDCG@10 %s", $2} END{print ""}' ;;
    esac
}

printf '%-10s %5s %8s %12s %7s %14s %12s %12s  %s\n' job ranks "wall s" "work/s" "vs 1" "bytes/rank" "bytes/epoch" "wire bytes" quality
for job in "${jobs[@]}"; do
    read -r work unit <<<"$(work_of "$job")"
    ep=$(epochs_of "$job")
    w1=
    for np in 1 2; do
        ws=() bs=() wires=()
        q=
        # timed runs on Open MPI's default transport (shared memory between ranks of one machine),
        # then one run with TCP forced onto the loopback, whose interface counts the bytes
        args_of "$job"
        for r in $(seq "$runs") wire; do
            rm -f "$tmp"/m.*
            mca=()
            [ "$r" = wire ] && mca=(--mca btl tcp,self --mca btl_tcp_if_include lo)
            before=$(lo_tx)
            start=$(date +%s%N)
            EDL_COMM_BYTES=1 mpirun --oversubscribe --bind-to none "${mca[@]}" -x EDL_COMM_BYTES -np "$np" "$edl" \
                "${cmd[@]}" >"$tmp/out" 2>&1 || { echo "$job on $np ranks failed:"; tail -n 20 "$tmp/out"; exit 1; }
            end=$(date +%s%N)
            after=$(lo_tx)
            if [ "$r" = wire ]; then
                wires+=("$((after - before))")
                continue
            fi
            ws+=("$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", (b - a) / 1e9}')")
            bs+=("$(sed -n 's/^edl: rank 0 of .* sent \([0-9]*\) bytes/\1/p' "$tmp/out")")
            q=$(quality_of "$job")
        done
        w=$(printf '%s\n' "${ws[@]}" | median)
        b=$(printf '%s\n' "${bs[@]}" | median)
        wire=$(printf '%s\n' "${wires[@]}" | median)
        [ "$np" = 1 ] && w1=$w
        printf '%-10s %5s %8s %12s %7s %14s %12s %12s  %s\n' "$job" "$np" "$w" \
            "$(awk -v n="$work" -v w="$w" 'BEGIN{printf "%.0f", n / w}')" \
            "$(awk -v a="$w1" -v b="$w" 'BEGIN{printf "%.2fx", a / b}')" "${b:-0}" \
            "$(awk -v b="${b:-0}" -v e="$ep" 'BEGIN{printf "%.0f", b / e}')" "$wire" "$q"
    done
done
echo "(median of $runs runs; work/s: tokens a second for supervised and skipgram, examples a second"
echo " for the others; vs 1: one rank's wall time / this one's;"
echo " bytes/rank: rank 0's count, edl's accounting; wire bytes: loopback bytes sent by both ranks)"
