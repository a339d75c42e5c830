#!/usr/bin/env bash
# Autotune, edl against fastText on the same data, budget and threads: the spam corpus's training
# file split into train and validation (a fixed shuffle), each tool's -autotune-duration search,
# then the best model's P@1 (f1 of one label a line) on the validation file and on data/spam.test.
# Prints each run, then the medians. A corpus of your own: bench/autotune.sh runs secs TRAIN VALID TEST
# Usage: bench/autotune.sh [runs=3] [seconds=60] [train valid test]   (needs fasttext)
set -euo pipefail
runs=${1:-3}
secs=${2:-60}
build=${BUILD:-build}
work=${AUTOTUNE_DIR:-$build/autotune}
mkdir -p "$work"
make -s BUILD="$build" "$build/edl"
command -v fasttext >/dev/null || { echo "fasttext is not installed (apt-get install fasttext)"; exit 1; }
if [ $# -ge 5 ]; then
    train=$3 valid=$4 test=$5
else
    awk 'BEGIN { srand(7) } { print rand() "\t" $0 }' data/spam.train | sort -k1,1 | cut -f2- > "$work/shuffled.txt"
    head -3300 "$work/shuffled.txt" > "$work/train.txt"
    tail -n +3301 "$work/shuffled.txt" > "$work/valid.txt"
    train=$work/train.txt valid=$work/valid.txt test=data/spam.test
fi
p1() { awk '$1 == "P@1" { print $2 }'; }
trials() { tr '\r' '\n' | awk '/Trials:/ { t = $4 } /after [0-9]+ trials/ { for (i = 1; i <= NF; i++) if ($i == "after") t = $(i + 1) } END { print t }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
fv=() ft=() ev=() et=()
for r in $(seq "$runs"); do
    ftn=$(fasttext supervised -input "$train" -output "$work/ft" -autotune-validation "$valid" -autotune-duration "$secs" -thread 2 2>&1 | trials)
    fv+=("$(fasttext test "$work/ft.bin" "$valid" | p1)") ft+=("$(fasttext test "$work/ft.bin" "$test" | p1)")
    edn=$("$build/edl" supervised -input "$train" -output "$work/edl" -autotune-validation "$valid" -autotune-duration "$secs" -thread 2 -seed "$r" 2>&1 | trials)
    ev+=("$("$build/edl" test "$work/edl.safetensors" "$valid" | p1)") et+=("$("$build/edl" test "$work/edl.safetensors" "$test" | p1)")
    echo "run $r ($secs s): fastText $ftn trials, valid P@1 ${fv[-1]}, test ${ft[-1]}; edl $edn trials, valid ${ev[-1]}, test ${et[-1]}"
done
echo "median over $runs runs of $secs s: valid P@1 fastText $(printf '%s\n' "${fv[@]}" | median), edl $(printf '%s\n' "${ev[@]}" | median); test P@1 fastText $(printf '%s\n' "${ft[@]}" | median), edl $(printf '%s\n' "${et[@]}" | median)"
