#!/usr/bin/env bash
# edl vs fastText (Debian's `fasttext`) on the same files with the same flags, in one run:
# training wall time, words/sec/thread, P@1 on the test file, peak memory, and prediction
# throughput (predict over the test file repeated to ~100k lines).
#
#   bench/fasttext.sh [train] [test] [runs]        (default: the bundled spam data, 3 runs)
# Extra flag sets can be given in FLAGS_LIST, one set a line.
set -euo pipefail
train=${1:-data/spam.train}
test=${2:-data/spam.test}
runs=${3:-3}
build=${BUILD:-build}
command -v fasttext >/dev/null || { echo "fasttext is not installed (apt-get install fasttext)"; exit 1; }
make -s BUILD="$build" "$build/edl"
edl="$build/edl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
FLAGS_LIST=${FLAGS_LIST:-"-dim 100 -epoch 25 -lr 0.5 -thread 2
-dim 50 -epoch 5 -lr 0.5 -wordNgrams 2 -thread 2"}
# prediction input: the test file's text, repeated to about 100k lines
lines=$(wc -l < "$test")
reps=$(( (100000 + lines - 1) / lines ))
for _ in $(seq "$reps"); do cat "$test"; done > "$tmp/predict.txt"
npred=$(wc -l < "$tmp/predict.txt")

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
# seconds and peak KiB of a command, from GNU time
timed() { /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err"; cat "$tmp/time"; }

printf '%-44s %-8s %9s %12s %7s %9s %12s\n' "flags" "tool" "train s" "words/s/thr" "P@1" "peak MiB" "predict/s"
while IFS= read -r flags; do
    [ -n "$flags" ] || continue
    threads=$(sed -n 's/.*-thread \([0-9]*\).*/\1/p' <<<"$flags")
    words=$(awk '{n += NF + 1} END {print n}' "$train") # tokens as fastText counts them (with </s>)
    epochs=$(sed -n 's/.*-epoch \([0-9]*\).*/\1/p' <<<"$flags")
    for tool in fasttext edl; do
        ts=() mem=() ps=()
        for r in $(seq "$runs"); do
            if [ $tool = fasttext ]; then
                read -r t m < <(timed fasttext supervised -input "$train" -output "$tmp/ft" $flags -verbose 0)
                p=$(fasttext test "$tmp/ft.bin" "$test" | sed -n 's/^P@1\t//p')
                read -r pt _ < <(timed fasttext predict "$tmp/ft.bin" "$tmp/predict.txt")
            else
                read -r t m < <(timed "$edl" supervised -input "$train" -output "$tmp/edl" $flags -verbose 0)
                p=$("$edl" test "$tmp/edl.safetensors" "$test" | sed -n 's/^P@1\t//p')
                read -r pt _ < <(timed "$edl" predict "$tmp/edl.safetensors" "$tmp/predict.txt")
            fi
            ts+=("$t") mem+=("$m") ps+=("$pt")
        done
        t=$(printf '%s\n' "${ts[@]}" | median)
        m=$(printf '%s\n' "${mem[@]}" | median)
        pt=$(printf '%s\n' "${ps[@]}" | median)
        wps=$(awk -v w="$words" -v e="$epochs" -v t="$t" -v n="$threads" 'BEGIN{printf "%.0f", w*e/t/n}')
        pps=$(awk -v n="$npred" -v t="$pt" 'BEGIN{printf "%.0f", (t > 0 ? n / t : 0)}')
        printf '%-44s %-8s %9s %12s %7s %9.0f %12s\n' "$flags" "$tool" "$t" "$wps" "$p" "$(awk -v m="$m" 'BEGIN{print m/1024}')" "$pps"
    done
done <<<"$FLAGS_LIST"
echo "(train s: wall time including reading the file and saving the model, median of $runs;"
echo " words/s/thr: tokens x epochs / train s / threads; predict/s: lines of $npred predicted per second)"
