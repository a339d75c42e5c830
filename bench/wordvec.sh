#!/usr/bin/env bash
# Skip-gram in edl, gensim and fastText with the same settings and threads on the same corpus, in
# one run: wall time, words/s/thread (corpus tokens x epochs / wall / threads, the same formula
# for all) and a quality figure computed the same way for each (bench/score_pairs.py).
#
#   bench/wordvec.sh [lines] [threads] [runs]      (a synthetic corpus from bench/make_corpus.py)
set -euo pipefail
lines=${1:-100000}
threads=${2:-2}
runs=${3:-3}
build=${BUILD:-build}
make -s BUILD="$build" "$build/edl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/make_corpus.py "$tmp" "$lines"
tokens=$(wc -w < "$tmp/corpus.txt")
tokens=$((tokens + lines)) # with the end-of-line token fastText counts
dim=100 ws=5 epoch=5 mc=5 neg=5 t=1e-4 lr=0.025
median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
printf '%-9s %9s %14s %9s %8s\n' tool "wall s" "words/s/thread" quality "vs edl"
declare -A wall
for tool in edl gensim fasttext; do
    ts=() qs=()
    for r in $(seq "$runs"); do
        start=$(date +%s.%N)
        case $tool in
        edl) "$build/edl" skipgram -input "$tmp/corpus.txt" -output "$tmp/e" -dim $dim -ws $ws -epoch $epoch -minCount $mc \
                 -neg $neg -t $t -lr $lr -thread "$threads" -minn 0 -maxn 0 -verbose 0 ;;
        gensim) /usr/bin/python3 bench/gensim_sg.py "$tmp/corpus.txt" "$tmp/g.vec" $dim $ws $epoch $mc $neg "$threads" $t $lr 2>/dev/null ;;
        fasttext) fasttext skipgram -input "$tmp/corpus.txt" -output "$tmp/f" -dim $dim -ws $ws -epoch $epoch -minCount $mc \
                 -neg $neg -t $t -lr $lr -thread "$threads" -minn 0 -maxn 0 -verbose 0 ;;
        esac
        end=$(date +%s.%N)
        ts+=("$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')")
        vec=$tmp/e.vec
        [ $tool = gensim ] && vec=$tmp/g.vec
        [ $tool = fasttext ] && vec=$tmp/f.vec
        qs+=("$(/usr/bin/python3 bench/score_pairs.py "$vec" "$tmp/pairs.txt" | cut -d' ' -f1)")
    done
    w=$(printf '%s\n' "${ts[@]}" | median)
    q=$(printf '%s\n' "${qs[@]}" | median)
    wall[$tool]=$w
    wps=$(awk -v n="$tokens" -v e=$epoch -v w="$w" -v t="$threads" 'BEGIN{printf "%.0f", n*e/w/t}')
    printf '%-9s %9s %14s %9s %8s\n' "$tool" "$w" "$wps" "$q" "$(awk -v a="${wall[edl]}" -v b="$w" 'BEGIN{printf "%.2fx", b/a}')"
done
echo "($lines lines, $tokens tokens, $threads threads, median of $runs; -dim $dim -ws $ws -epoch $epoch -minCount $mc -neg $neg -t $t -lr $lr;"
echo " quality: mean cos(related) - mean cos(unrelated) over 4000 pairs; 'vs edl': the tool's wall time / edl's)"
