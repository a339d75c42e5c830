#!/usr/bin/env bash
# Peak memory of skip-gram on a large generated corpus, against what the streamed reader promises:
# the model + 4 bytes a token + 8 bytes a line + a constant (the vocabulary, one 64 KiB chunk).
# Usage: bench/stream_memory.sh [GB] [EDL] [OLD_EDL]     (defaults: 2, build/edl, none)
#   The corpus: bench/make_corpus.py's 200,000 lines (50 topics x 200 Zipf words, 4M tokens),
#   copied with each copy's words renamed (c<k>t...) until it holds GB x 10^9 bytes, so the
#   vocabulary grows with it (10,000 words a copy). It is made in a temporary directory under
#   /tmp and removed at the end. Each build runs
#     edl skipgram -input big.txt -output OUT -dim 50 -epoch 1 -thread 2 -minn 0 -maxn 0
#   under /usr/bin/time -f '%M KB %e s' (peak resident memory, wall time). OLD_EDL, a build that
#   reads the whole file (before streaming), shows what holding the raw text costs.
set -euo pipefail
gb=${1:-2}
edl=$(readlink -f "${2:-build/edl}")
old=${3:+$(readlink -f "$3")}
here=$(dirname "$(readlink -f "$0")")
tmp=$(mktemp -d /tmp/edl-stream-mem-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

python3 "$here/make_corpus.py" "$tmp" 200000
target=$(awk -v g="$gb" 'BEGIN { printf "%d", g * 1e9 }')
k=0
: > "$tmp/big.txt"
while [ "$(stat -c %s "$tmp/big.txt")" -lt "$target" ]; do
    sed "s/t/c${k}t/g" "$tmp/corpus.txt" >> "$tmp/big.txt"
    k=$((k + 1))
done
rm -f "$tmp/corpus.txt" "$tmp/pairs.txt"
bytes=$(stat -c %s "$tmp/big.txt")
read -r lines words < <(wc -lw < "$tmp/big.txt")
tokens=$((words + lines)) # the words and a "</s>" a line, as the trainer counts them
echo "corpus: $bytes bytes, $lines lines, $tokens tokens, $k copies"

run() { # NAME EDL
    local log="$tmp/$1.log"
    /usr/bin/time -f '%M KB %e s' "$2" skipgram -input "$tmp/big.txt" -output "$tmp/$1" -dim 50 -epoch 1 \
        -thread 2 -minn 0 -maxn 0 -verbose 1 > /dev/null 2> "$log" || { cat "$log"; return 1; }
    local kb secs nwords
    read -r kb _ secs _ < <(tail -1 "$log")
    nwords=$(awk '/^Number of words/ { print $4 }' "$log")
    # while training: input and output rows of nwords x dim padded to 64 floats, the negatives
    # table (10^7 int32), keep probabilities and subword lists (12 bytes a word)
    local model=$((nwords * 64 * 4 * 2 + 40000000 + nwords * 12))
    local ids=$((tokens * 4 + lines * 8))
    echo "$1: peak $((kb / 1024)) MiB in $secs s; $nwords words;" \
        "model while training $((model / 1048576)) MiB + 4 B x tokens + 8 B x lines $((ids / 1048576)) MiB" \
        "= $(((model + ids) / 1048576)) MiB; peak - that = $(((kb * 1024 - model - ids) / 1048576)) MiB"
    rm -f "$tmp/$1".*
}
run new "$edl"
if [ -n "$old" ]; then run old "$old"; fi
