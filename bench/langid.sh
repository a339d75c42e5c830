#!/usr/bin/env bash
# Language identification, edl against fastText on the same files and flags: a 13-language corpus
# made from the gettext catalogues Debian installs (bench/make_langid.py), trained with character
# n-grams (-minn 2 -maxn 4, the flags of fastText's language-id models) and without, both at the
# same -thread. Prints P@1 and wall seconds of each run, then medians and the time ratio.
# Then fastText's quantize against edl's on the same model: size, P@1, time.
# Usage: bench/langid.sh [runs=3] [threads=2] [extra flags...]   (needs fasttext, gettext, python3)
set -euo pipefail
runs=${1:-3}
threads=${2:-2}
shift $(($# < 2 ? $# : 2))
extra=("$@")
build=${BUILD:-build}
work=${LANGID_DIR:-$build/langid}
mkdir -p "$work"
make -s BUILD="$build" "$build/edl"
[ -f "$work/langid.train" ] || python3 bench/make_langid.py "$work/langid"
command -v fasttext >/dev/null || { echo "fasttext is not installed (apt-get install fasttext)"; exit 1; }
p1() { awk '$1 == "P@1" { print $2 }'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for sub in "-minn 2 -maxn 4" "-minn 0 -maxn 0"; do
    ft_t=() ft_p=() edl_t=() edl_p=()
    for r in $(seq "$runs"); do
        ft_t+=("$(secs fasttext supervised -input "$work/langid.train" -output "$work/ft" $sub -thread "$threads" "${extra[@]}")")
        ft_p+=("$(fasttext test "$work/ft.bin" "$work/langid.test" | p1)")
        edl_t+=("$(secs "$build/edl" supervised -input "$work/langid.train" -output "$work/edl" $sub -thread "$threads" -verbose 0 "${extra[@]}")")
        edl_p+=("$("$build/edl" test "$work/edl.safetensors" "$work/langid.test" | p1)")
        echo "$sub run $r: fastText P@1 ${ft_p[-1]} in ${ft_t[-1]} s, edl P@1 ${edl_p[-1]} in ${edl_t[-1]} s"
    done
    ftm=$(printf '%s\n' "${ft_t[@]}" | median) edm=$(printf '%s\n' "${edl_t[@]}" | median)
    echo "$sub: median P@1 fastText $(printf '%s\n' "${ft_p[@]}" | median), edl $(printf '%s\n' "${edl_p[@]}" | median); median seconds fastText $ftm, edl $edm: edl $(awk -v a="$ftm" -v b="$edm" 'BEGIN { printf "%.1f", a / b }')x faster"
done
# fastText's quantize and edl's on the same model (fastText's -minn 2 -maxn 4 .bin): file size,
# P@1 and time (-qnorm -cutoff 50000), then with -retrain (fastText's form: -output names the
# model, -input the text; the same -thread)
fasttext supervised -input "$work/langid.train" -output "$work/q" -minn 2 -maxn 4 -thread "$threads" >/dev/null 2>&1
cp "$work/q.bin" "$work/qr.bin" && cp "$work/q.bin" "$work/edlqr.bin"
ft_q=$(secs fasttext quantize -input "$work/langid.train" -output "$work/q" -qnorm -cutoff 50000)
edl_q=$(secs "$build/edl" quantize -input "$work/q.bin" -output "$work/edlq" -qnorm -cutoff 50000)
echo "quantize -qnorm -cutoff 50000: fastText $(stat -c %s "$work/q.ftz") bytes, P@1 $(fasttext test "$work/q.ftz" "$work/langid.test" | p1), $ft_q s; edl $(stat -c %s "$work/edlq.ftz") bytes, P@1 $("$build/edl" test "$work/edlq.ftz" "$work/langid.test" | p1), $edl_q s (the .bin: P@1 $(fasttext test "$work/q.bin" "$work/langid.test" | p1))"
ft_r=$(secs fasttext quantize -input "$work/langid.train" -output "$work/qr" -qnorm -cutoff 50000 -retrain -thread "$threads")
edl_r=$(secs "$build/edl" quantize -input "$work/langid.train" -output "$work/edlqr" -qnorm -cutoff 50000 -retrain -thread "$threads")
echo "quantize -qnorm -cutoff 50000 -retrain: fastText $(stat -c %s "$work/qr.ftz") bytes, P@1 $(fasttext test "$work/qr.ftz" "$work/langid.test" | p1), $ft_r s; edl $(stat -c %s "$work/edlqr.ftz") bytes, P@1 $("$build/edl" test "$work/edlqr.ftz" "$work/langid.test" | p1), $edl_r s"
