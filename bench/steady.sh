#!/usr/bin/env bash
# Steady threads: N back-to-back runs of `edl skipgram` and `edl supervised` at -thread 2, for one
# binary or two (runs alternating: old, new, old, new, ...), and the spread of their wall times
# (the maximum over the median). Each run prints its wall time, the training time edl reports,
# edl's CPU time (user + system) and the share of the machine's cores other processes used
# meanwhile (from /proc/stat, less edl's own CPU time, as bench/recommend.sh does): a run slowed
# because another process took a core shows "others" well above 0 and edl's CPU time unchanged;
# a run slowed inside edl (threads stalling on shared cache lines) shows its CPU time grown too.
#
#   bench/steady.sh [runs] [lines]
#     runs:  back-to-back runs of each command and binary (default 10)
#     lines: the skip-gram corpus (bench/make_corpus.py, default 30000 lines, about 0.6M tokens)
#     env:   NEW=build/edl (made if missing), OLD=/work/base17/build/edl (OLD= to time NEW alone),
#            THREADS=2
set -euo pipefail
runs=${1:-10}
lines=${2:-30000}
threads=${THREADS:-2}
new=${NEW:-build/edl}
old=${OLD-/work/base17/build/edl}
[ "$new" = build/edl ] && make -s build/edl
bins=("$new")
names=(new)
if [ -n "$old" ]; then
    [ -x "$old" ] || { echo "no $old (OLD= to time $new alone)"; exit 1; }
    bins=("$old" "$new")
    names=(old new)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/make_corpus.py "$tmp" "$lines" >/dev/null
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; } # user nice system irq softirq steal
hz=$(getconf CLK_TCK)
ncpu=$(nproc)
# the two commands: skip-gram as bench/wordvec.sh trains it, the classifier on the spam set with
# bigrams (-bucket 200000: training, not writing an 800 MB table, is what is timed)
sg=(skipgram -input "$tmp/corpus.txt" -output "$tmp/e" -dim 100 -ws 5 -epoch 5 -minCount 5 -neg 5 -t 1e-4
    -lr 0.025 -minn 0 -maxn 0)
sup=(supervised -input data/spam.train -output "$tmp/s" -wordNgrams 2 -bucket 200000 -epoch 25)
echo "$runs back-to-back runs each at -thread $threads, $(nproc) cores, $(uname -r); skip-gram on $lines lines"
printf '%-10s %-4s %3s %7s %8s %7s %8s\n' command bin run "wall s" "train s" "cpu s" "others %"
for cmd in skipgram supervised; do
    for r in $(seq "$runs"); do
        for k in "${!bins[@]}"; do
            if [ $cmd = skipgram ]; then args=("${sg[@]}"); else args=("${sup[@]}"); fi
            b0=$(busy)
            /usr/bin/time -f "%e %U %S" -o "$tmp/time" "${bins[$k]}" "${args[@]}" -thread "$threads" -verbose 1 \
                2>"$tmp/err" >/dev/null || { cat "$tmp/err"; exit 1; }
            b1=$(busy)
            read -r w u s <"$tmp/time"
            train=$(sed -n 's/^trained in \([0-9.]*\) s.*/\1/p' "$tmp/err")
            line=$(awk -v b0="$b0" -v b1="$b1" -v w="$w" -v u="$u" -v s="$s" -v hz="$hz" -v n="$ncpu" 'BEGIN {
                o = ((b1 - b0) / hz - u - s) / (w * n) * 100; printf "%.2f %.2f %.0f", w, u + s, o < 0 ? 0 : o }')
            read -r w cpu others <<<"$line"
            printf '%-10s %-4s %3d %7s %8s %7s %8s\n' $cmd "${names[$k]}" "$r" "$w" "$train" "$cpu" "$others"
            echo "$cmd ${names[$k]} $w $train $cpu $others" >>"$tmp/all"
        done
    done
done
echo
echo "spread: the maximum over the median of $runs runs (wall, and edl's training time)"
printf '%-10s %-4s %9s %9s %10s %11s %9s %12s\n' command bin "med wall" "max/med" "med train" "max/med tr" "med cpu" "max others%"
for cmd in skipgram supervised; do
    for name in "${names[@]}"; do
        awk -v c=$cmd -v b="$name" '
            function med(a, n,   i, j, t) {
                for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
            $1 == c && $2 == b { n++; w[n] = $3; t[n] = $4; u[n] = $5; o = $6 > o ? $6 : o
                mw = $3 > mw ? $3 : mw; mt = $4 > mt ? $4 : mt }
            END { a = med(w, n); x = med(t, n); printf "%-10s %-4s %9.2f %9.2f %10.2f %11.2f %9.2f %12d\n",
                c, b, a, mw / a, x, mt / x, med(u, n), o }' "$tmp/all"
    done
done
