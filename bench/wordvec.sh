#!/usr/bin/env bash
# Skip-gram in edl, gensim and fastText with the same settings and threads on the same corpus, in
# one run: wall time, words/s/thread (corpus tokens x epochs / wall / threads, the same formula
# for all) and a quality figure computed the same way for each (bench/score_pairs.py).
#
#   bench/wordvec.sh [lines] [threads] [runs]      (a synthetic corpus from bench/make_corpus.py)
#
# Rows: edl (its default, -update window: HogBatch), edl's -update pair (fastText's exact
# algorithm), OLD=path/to/edl adds that build (e.g. one from before the window update) with its own
# default, then gensim and fastText. The tools take turns within each of the runs (medians over
# the runs); "others" is the share of the machine's cores other processes used meanwhile (from
# /proc/stat, less the tool's own CPU time): a noisy run shows there.
set -euo pipefail
lines=${1:-100000}
threads=${2:-2}
runs=${3:-3}
build=${BUILD:-build}
old=${OLD:-}
command -v fasttext >/dev/null || { echo "fasttext is not installed (apt-get install fasttext)"; exit 1; }
/usr/bin/python3 -c 'import gensim' 2>/dev/null || { echo "gensim is not installed (apt-get install python3-gensim)"; exit 1; }
make -s BUILD="$build" "$build/edl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/make_corpus.py "$tmp" "$lines"
tokens=$(wc -w < "$tmp/corpus.txt")
tokens=$((tokens + lines)) # with the end-of-line token fastText counts
dim=100 ws=5 epoch=5 mc=5 neg=5 t=1e-4 lr=0.025
median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; } # jiffies: user nice system irq softirq steal
ft="-input $tmp/corpus.txt -dim $dim -ws $ws -epoch $epoch -minCount $mc -neg $neg -t $t -lr $lr -thread $threads -minn 0 -maxn 0 -verbose 0"
tools="edl edl-pair"
[ -n "$old" ] && tools="$tools edl-old"
tools="$tools gensim fasttext"
declare -A ts qs os
for r in $(seq "$runs"); do
    for tool in $tools; do
        b0=$(busy)
        case $tool in
        edl) /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$build/edl" skipgram $ft -output "$tmp/v" ;;
        edl-pair) /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$build/edl" skipgram $ft -update pair -output "$tmp/v" ;;
        edl-old) /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$old" skipgram $ft -output "$tmp/v" ;;
        gensim) /usr/bin/time -f "%e %U %S" -o "$tmp/time" /usr/bin/python3 bench/gensim_sg.py "$tmp/corpus.txt" "$tmp/v.vec" \
            $dim $ws $epoch $mc $neg "$threads" $t $lr 2>/dev/null ;;
        fasttext) /usr/bin/time -f "%e %U %S" -o "$tmp/time" fasttext skipgram $ft -output "$tmp/v" ;;
        esac
        b1=$(busy)
        read -r w u s <"$tmp/time"
        ts[$tool]+="$w "
        os[$tool]+="$(awk -v b0="$b0" -v b1="$b1" -v w="$w" -v u="$u" -v s="$s" -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" \
            'BEGIN { o = ((b1 - b0) / hz - u - s) / (w * n) * 100; printf "%.0f", o < 0 ? 0 : o }') "
        qs[$tool]+="$(/usr/bin/python3 bench/score_pairs.py "$tmp/v.vec" "$tmp/pairs.txt" | cut -d' ' -f1) "
    done
done
printf '%-9s %9s %14s %9s %8s %8s  %s\n' tool "wall s" "words/s/thread" quality "vs edl" "others" "(each run's wall s)"
for tool in $tools; do
    w=$(tr ' ' '\n' <<<"${ts[$tool]}" | grep . | median)
    q=$(tr ' ' '\n' <<<"${qs[$tool]}" | grep . | median)
    o=$(tr ' ' '\n' <<<"${os[$tool]}" | grep . | median)
    [ $tool = edl ] && we=$w
    wps=$(awk -v n="$tokens" -v e=$epoch -v w="$w" -v t="$threads" 'BEGIN{printf "%.0f", n*e/w/t}')
    printf '%-9s %9s %14s %9s %8s %7s%%  %s\n' "$tool" "$w" "$wps" "$q" "$(awk -v a="$we" -v b="$w" 'BEGIN{printf "%.2fx", b/a}')" "$o" "${ts[$tool]}"
done
echo "($lines lines, $tokens tokens, $threads threads, median of $runs, the tools taking turns; -dim $dim -ws $ws -epoch $epoch"
echo " -minCount $mc -neg $neg -t $t -lr $lr; quality: mean cos(related) - mean cos(unrelated) over 4000 pairs; 'vs edl': the"
echo " tool's wall time / edl's; others: median share of the cores other processes used during the tool's runs)"
