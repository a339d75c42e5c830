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
# from the log: "TRIALS BEST" (fastText's last progress line; edl's "Best score S after N trials")
search() { tr '\r' '\n' | awk '/Trials:/ { t = $4; b = $7 } /^Best score [0-9.]+ after/ { b = $3; t = $5 } END { print t, b }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
fv=() ft=() ev=() et=() fb=() eb=()
for r in $(seq "$runs"); do
    read -r ftn ftb < <(fasttext supervised -input "$train" -output "$work/ft" -autotune-validation "$valid" -autotune-duration "$secs" -thread 2 2>&1 | search)
    fb+=("$ftb")
    fv+=("$(fasttext test "$work/ft.bin" "$valid" | p1)") ft+=("$(fasttext test "$work/ft.bin" "$test" | p1)")
    read -r edn edb < <("$build/edl" supervised -input "$train" -output "$work/edl" -autotune-validation "$valid" -autotune-duration "$secs" -thread 2 -seed "$r" 2>&1 | search)
    eb+=("$edb")
    ev+=("$("$build/edl" test "$work/edl.safetensors" "$valid" | p1)") et+=("$("$build/edl" test "$work/edl.safetensors" "$test" | p1)")
    echo "run $r ($secs s): fastText $ftn trials, best $ftb, valid P@1 ${fv[-1]}, test ${ft[-1]}; edl $edn trials, best $edb, valid ${ev[-1]}, test ${et[-1]}"
done
echo "median over $runs runs of $secs s: best score (f1 on valid) fastText $(printf '%s\n' "${fb[@]}" | median), edl $(printf '%s\n' "${eb[@]}" | median); valid P@1 fastText $(printf '%s\n' "${fv[@]}" | median), edl $(printf '%s\n' "${ev[@]}" | median); test P@1 fastText $(printf '%s\n' "${ft[@]}" | median), edl $(printf '%s\n' "${et[@]}" | median)"
