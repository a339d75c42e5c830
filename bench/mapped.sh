#!/usr/bin/env bash
# Mapped vs read model files: start-up (load, no query) and one `nn` query and one
# `print-word-vectors` lookup on a ROWS x DIM vectors file (default 1,000,000 x 300: 1.2 GB),
# wall time and peak RSS, medians of RUNS runs. EDL_MMAP=0 makes edl read the file instead.
# Usage: bench/mapped.sh [RUNS] [ROWS] [DIM]     (needs `make bench`; the file goes to $TMPDIR)
set -euo pipefail
runs=${1:-5} rows=${2:-1000000} dim=${3:-300}
cd "$(dirname "$0")/.."
E=build/edl
f=$(mktemp --suffix=.safetensors)
trap 'rm -f "$f"' EXIT
build/bench_make_vectors "$f" "$rows" "$dim"
echo "$rows x $dim vectors: $(stat -c %s "$f") bytes; medians of $runs runs"
cat "$f" > /dev/null # in the page cache for both: the comparison is mapping vs copying
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
measure() { # MMAP NAME STDIN ARGS...
    local m=$1 name=$2 in=$3 t=() r=()
    shift 3
    for _ in $(seq "$runs"); do
        read -r s kb < <(echo "$in" | EDL_MMAP=$m /usr/bin/time -f "%e %M" "$E" "$@" 2>&1 >/dev/null | tail -1)
        t+=("$s") r+=("$kb")
    done
    printf "%-22s %-7s %8.3f s %10.1f MB\n" "$name" "$([ "$m" = 1 ] && echo mapped || echo read)" \
        "$(printf '%s\n' "${t[@]}" | median)" "$(printf '%s\n' "${r[@]}" | median | awk '{print $1/1024}')"
}
for m in 1 0; do
    measure $m "start-up (no query)" "" nn "$f" 10
    measure $m "nn, one word" "w123" nn "$f" 10
    measure $m "print-word-vectors" "w123" print-word-vectors "$f"
done
