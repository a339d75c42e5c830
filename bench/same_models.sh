#!/usr/bin/env bash
# Whether two builds of edl train the same models: every kind of model (fastText's classifier with
# softmax, hs, ova, hidden layers, Adam and validation; skip-gram and CBOW with and without
# subwords; mf, bpr and mlp recommenders at 1 and 2 threads; edl train with Adam, SGD+momentum and
# row-wise Adagrad), vectors converted, and query outputs, all at -seed, compared byte for byte.
# Usage: bench/same_models.sh OLD_EDL NEW_EDL      (e.g. a build of main's last commit, and build/edl)
# (skip-gram and CBOW run with -update pair on a build that has the flag: fastText's algorithm, which
# builds before it had as their only one.)
# Exit 0 when every file is identical; else lists the ones that differ. -log curves are compared
# without their clock columns.
set -uo pipefail
old=$(readlink -f "$1") new=$(readlink -f "$2")
data=$(readlink -f "$(dirname "$0")/../data")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

models() { # EDL DIR
    local E=$1
    mkdir -p "$2" && cd "$2" || return 1
    # skip-gram and CBOW by fastText's exact algorithm where the build has another default (-update
    # window since issue 17), so like is compared with like
    local U=""
    "$E" skipgram -h 2>&1 | grep -q -- '-update ' && U="-update pair"
    awk 'NR % 7 == 0' "$data/spam.train" > tr.txt
    sed 's/__label__[a-z]* //' tr.txt > corpus.txt
    local S="-input tr.txt -thread 1 -seed 7 -epoch 3 -dim 16 -verbose 0"
    $E supervised $S -output sup_softmax -wordNgrams 2 -bucket 50000
    $E supervised $S -output sup_hs -loss hs -bucket 1000
    $E supervised $S -output sup_ova -loss ova -bucket 1000
    $E supervised $S -output sup_hidden -hidden 8 -bucket 1000
    $E supervised $S -output sup_adam -optimizer adam -batch 16 -bucket 1000
    $E supervised $S -output sup_valid -valid "$data/spam.test" -patience 2 -bucket 1000 -log sup_valid.csv
    $E skipgram $U -input corpus.txt -output sg -thread 1 -seed 7 -epoch 2 -dim 16 -minn 3 -maxn 5 -bucket 20000 -verbose 0
    $E cbow $U -input corpus.txt -output cbow -thread 1 -seed 7 -epoch 2 -dim 16 -minn 0 -maxn 0 -bucket 20000 -verbose 0
    $E skipgram $U -input corpus.txt -output sgb -thread 1 -seed 7 -epoch 1 -dim 16 -binary -verbose 0
    # streamed input's edges: stdin, no newline at the end, CRLF, blank lines, a literal "</s>",
    # lines without a label, minCount, character n-grams, -retrain
    { head -300 tr.txt; printf '\n\n__label__ham hello </s> world\r\nno label here\r\n\t\n'; sed -n '301,400p' tr.txt; printf '__label__spam last line no newline'; } > edge.txt
    sed 's/__label__[a-z]* //' edge.txt > edge_corpus.txt
    $E supervised -input - -output sup_stdin -thread 1 -seed 7 -epoch 2 -dim 16 -verbose 0 -bucket 1000 -wordNgrams 2 < tr.txt
    $E supervised -input edge.txt -output sup_edge -thread 1 -seed 7 -epoch 2 -dim 16 -verbose 0 -minn 2 -maxn 4 -bucket 3000 -minCount 2 -minCountLabel 2 -wordNgrams 3
    $E supervised -input edge.txt -output sup_edge_valid -thread 1 -seed 7 -epoch 2 -dim 16 -verbose 0 -bucket 1000 -valid edge.txt
    $E quantize -input edge.txt -output sup_edge -retrain -cutoff 500 -epoch 1 -thread 1 -verbose 0
    $E skipgram $U -input edge_corpus.txt -output sg_edge -thread 1 -seed 7 -epoch 1 -dim 8 -minCount 1 -minn 2 -maxn 3 -bucket 2000 -verbose 0
    $E cbow $U -input - -output cbow_edge -thread 1 -seed 7 -epoch 1 -dim 8 -minCount 3 -loss hs -maxn 0 -verbose 0 < edge_corpus.txt
    $E recommend synth -output u.data -users 200 -items 300 -seed 3 > /dev/null
    for m in mf bpr mlp; do
        $E recommend train -input u.data -output rec_$m -model $m -thread 1 -seed 5 -epoch 3 -split random:0.1 -log rec_$m.csv -verbose 0
    done
    $E recommend train -input u.data -output rec_mf2 -model mf -thread 2 -seed 5 -epoch 3 -optimizer adagrad -verbose 0
    $E recommend train -input u.data -output rec_bpr2 -model bpr -thread 2 -seed 5 -epoch 2 -optimizer sgd -decay constant -verbose 0
    awk 'BEGIN { for (n = 1; n <= 3000; n++) { printf "%d", n % 5; for (i = 0; i < 6; i++) printf " %d", (n * 7 + i * 13 * (n % 5 + 1)) % 200; print "" } }' > ds.txt
    local T="-input ds.txt -thread 1 -seed 3 -verbose 0"
    $E train -spec 'embedding_bag(rows=200,dim=8,pool=mean) dense(16,act=relu) dropout(0.1) dense(5)' $T -output tr_adam -epoch 3 -batch 32 -optimizer adam -validSplit 0.1 -log tr_adam.csv
    $E train -spec 'embedding_bag(rows=200,dim=8,pool=sum) dense(5)' $T -output tr_sgd -epoch 2 -batch 16 -optimizer sgd -momentum 0.9
    $E train -spec 'embedding_bag(rows=200,dim=8,pool=sum) dense(5)' $T -output tr_rw -epoch 2 -batch 16 -optimizer rowwise-adagrad
    $E convert sg.vec sg.bin > /dev/null
    $E convert sg.vec sg_conv.safetensors > /dev/null
    $E test sup_softmax.safetensors "$data/spam.test" > test.out
    $E predict-prob sup_hs.safetensors "$data/spam.test" 2 | head -50 > predict.out
    $E nn sg.safetensors -k 5 money free > nn.out
    $E recommend test rec_mf.safetensors rec_mf.test > rec_test.out
    $E recommend topk rec_bpr.safetensors -user 3 -k 5 > topk.out
    $E project sg.vec -method pca -output pca.csv > /dev/null
}

(models "$old" "$work/old") > "$work/old.log" 2>&1 || { echo "the old build failed:"; tail -5 "$work/old.log"; exit 2; }
(models "$new" "$work/new") > "$work/new.log" 2>&1 || { echo "the new build failed:"; tail -5 "$work/new.log"; exit 2; }
differ=0 n=0
for f in "$work"/old/*; do
    b=$(basename "$f") n=$((n + 1))
    case $b in
    *.csv) same() { cmp -s <(cut -d, -f1-3 "$1") <(cut -d, -f1-3 "$2"); } ;; # the clocks differ
    *.safetensors) # the same bytes, or (a layout change) the same metadata and tensors
        same() { cmp -s "$1" "$2" || cmp -s <(python3 "$data/../tests/read_safetensors.py" "$1" --digest) \
            <(python3 "$data/../tests/read_safetensors.py" "$2" --digest); } ;;
    *) same() { cmp -s "$1" "$2"; } ;;
    esac
    if [ ! -f "$work/new/$b" ] || ! same "$f" "$work/new/$b"; then echo "differs: $b"; differ=$((differ + 1)); fi
done
echo "$((n - differ)) of $n files identical"
[ "$differ" = 0 ]
