#!/usr/bin/env bash
# Word-analogy accuracy (`edl eval-analogies`) and graded-similarity Spearman (`edl eval-similarity`)
# of skip-gram and CBOW vectors, edl's -update window (HogBatch, the default) against -update pair
# (fastText's exact algorithm, edl's before), with and without subwords, over several seeds, on
# bench/make_corpus.py's --eval corpus (analogies and graded similarity built in: see there).
# gensim's skip-gram and CBOW (word2vec's algorithm, no subwords) for reference; OLD=path/to/edl
# adds an older build (its default update).
#
#   bench/wordvec_eval.sh [lines] [seeds] [threads]      (50000 3 1)
#
# Each cell: the mean over the seeds (min..max). One thread by default, so each seed's model is
# one exact result.
set -euo pipefail
lines=${1:-50000}
seeds=${2:-3}
threads=${3:-1}
build=${BUILD:-build}
old=${OLD:-}
/usr/bin/python3 -c 'import gensim' 2>/dev/null || { echo "gensim is not installed (apt-get install python3-gensim)"; exit 1; }
make -s BUILD="$build" "$build/edl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/make_corpus.py "$tmp" "$lines" --eval
dim=100 ws=5 epoch=5 mc=5 neg=5 t=1e-4
stats() { awk '{s += $1; if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1} END {printf "%.4f (%.4f..%.4f)", s / NR, lo, hi}'; }
printf '%-8s %-9s %-15s %-28s %-28s %-28s\n' mode subwords tool "analogies: gender" "number" "similarity: spearman"
for mode in skipgram cbow; do
    lr=0.025 cb=0
    [ $mode = cbow ] && lr=0.05 cb=1
    for sub in 0 1; do
        mn="-minn 0 -maxn 0"
        [ $sub = 1 ] && mn="-minn 3 -maxn 6"
        tools="window pair"
        [ -n "$old" ] && tools="$tools old"
        [ $sub = 0 ] && tools="$tools gensim"
        for tool in $tools; do
            g="" n="" s=""
            for seed in $(seq "$seeds"); do
                ft="-input $tmp/eval_corpus.txt -dim $dim -ws $ws -epoch $epoch -minCount $mc -neg $neg -t $t -lr $lr -thread $threads -seed $seed $mn -verbose 0 -output $tmp/v"
                case $tool in
                window) "$build/edl" $mode $ft -update window ;;
                pair) "$build/edl" $mode $ft -update pair ;;
                old) "$old" $mode $ft ;;
                gensim) /usr/bin/python3 bench/gensim_sg.py "$tmp/eval_corpus.txt" "$tmp/v.vec" $dim $ws $epoch $mc $neg "$threads" $t $lr $cb "$seed" 2>/dev/null ;;
                esac
                a=$("$build/edl" eval-analogies "$tmp/v.vec" "$tmp/questions.txt" -restrict 0)
                g+="$(awk '$1 == "gender" {print $2}' <<<"$a")"$'\n'
                n+="$(awk '$1 == "number" {print $2}' <<<"$a")"$'\n'
                s+="$("$build/edl" eval-similarity "$tmp/v.vec" "$tmp/similarity.txt" | awk '$1 == "spearman" {print $2}')"$'\n'
            done
            printf '%-8s %-9s %-15s %-28s %-28s %-28s\n' $mode $sub "$tool" "$(grep . <<<"$g" | stats)" \
                "$(grep . <<<"$n" | stats)" "$(grep . <<<"$s" | stats)"
        done
    done
done
echo "($lines lines, seeds 1..$seeds, $threads thread(s); -dim $dim -ws $ws -epoch $epoch -minCount $mc -neg $neg -t $t,"
echo " -lr 0.025 skip-gram, 0.05 CBOW; subwords 1: -minn 3 -maxn 6; eval-analogies -restrict 0 (every word))"
