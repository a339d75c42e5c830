#!/usr/bin/env bash
# Makes the fuzzers' seed corpora in tests/fuzz/corpus/ from small valid files written by edl
# itself (run once from the repository root after `make`; the results are committed).
# The vectors, text and ratings harnesses read their first byte as a selector, so those seeds
# start with one.
set -euo pipefail
edl=${EDL:-build/edl}
c=tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$c"
mkdir -p "$c"/{safetensors,spec,vectors,text,ratings,models,fasttext}

# specs
printf 'embedding_bag(rows=50,dim=8,pool=mean) dense(16,act=relu) dropout(0.2) dense(3)' > "$c/spec/bag"
printf 'input(4) dense(8,act=tanh,bias=0) dense(2) loss(bce)' > "$c/spec/dense"
printf 'embedding(rows=20,dim=4,len=3,pool=flatten,padding_idx=0) dense(1) loss(mse)' > "$c/spec/seq"

# model files: a plain model, a classifier, word vectors, a recommender
printf '__label__a good fine nice\n__label__b bad poor\n__label__a fine good\n__label__b poor awful bad\n' > "$tmp/t.txt"
"$edl" train -spec 'embedding_bag(rows=6,dim=2) dense(2)' -input <(printf '0 1 2\n1 3 4\n0 5\n') -output "$tmp/m" -epoch 1 -verbose 0
"$edl" supervised -input "$tmp/t.txt" -output "$tmp/clf" -dim 2 -epoch 1 -verbose 0
"$edl" skipgram -input "$tmp/t.txt" -output "$tmp/wv" -dim 2 -epoch 1 -minCount 1 -bucket 8 -verbose 0
printf '1\t10\t4\t1\n1\t11\t3\t2\n2\t10\t5\t3\n2\t12\t2\t4\n3\t11\t4\t5\n' > "$tmp/u.data"
"$edl" recommend train -input "$tmp/u.data" -output "$tmp/rec" -dim 2 -epoch 1 -verbose 0
for f in m clf wv rec; do cp "$tmp/$f.safetensors" "$c/safetensors/$f"; done

# vectors (selector: 0 auto, 1 text, 2 GloVe, 3 binary, 4 safetensors)
printf 'alpha 1 2 3\nbeta 4 5 6\n' > "$tmp/g.txt"
"$edl" convert "$tmp/g.txt" "$tmp/v.vec" >/dev/null
"$edl" convert "$tmp/g.txt" "$tmp/v.bin" >/dev/null
"$edl" convert "$tmp/g.txt" "$tmp/v.safetensors" >/dev/null
"$edl" convert "$tmp/g.txt" "$tmp/vq.safetensors" -quantize int8 2>/dev/null
cp "$tmp/v.safetensors" "$c/safetensors/vectors"
{ printf '\001'; cat "$tmp/v.vec"; } > "$c/vectors/text"
{ printf '\002'; cat "$tmp/g.txt"; } > "$c/vectors/glove"
{ printf '\003'; cat "$tmp/v.bin"; } > "$c/vectors/binary"
# safetensors: a vectors file (told, and found by content), a classifier's words, a word-vector
# model's words, a recommender's user and item rows, a plain model's rows by index
{ printf '\004'; cat "$tmp/v.safetensors"; } > "$c/vectors/safetensors"
{ printf '\000'; cat "$tmp/v.safetensors"; } > "$c/vectors/safetensors-auto"
{ printf '\004'; cat "$tmp/clf.safetensors"; } > "$c/vectors/safetensors-clf"
{ printf '\004'; cat "$tmp/wv.safetensors"; } > "$c/vectors/safetensors-wv"
{ printf '\004'; cat "$tmp/rec.safetensors"; } > "$c/vectors/safetensors-rec"
{ printf '\004'; cat "$tmp/m.safetensors"; } > "$c/vectors/safetensors-model"
{ printf '\004'; cat "$tmp/vq.safetensors"; } > "$c/vectors/safetensors-int8"

# text (selector: odd = classifier text, even = `TARGET INPUTS` datasets)
{ printf '\001'; cat "$tmp/t.txt"; } > "$c/text/fasttext"
{ printf '\000'; printf '0 1 2\n1 3 4 5\n# a comment\n\n2 0\n'; } > "$c/text/indices"
{ printf '\002'; printf '1 0.5 -1.25\n0 2e-3 4\n'; } > "$c/text/features"

# ratings (selector bits: format, skip bad rows, implicit, ';')
{ printf '\001'; cat "$tmp/u.data"; } > "$c/ratings/udata"
{ printf '\002'; printf '1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n'; } > "$c/ratings/dat"
{ printf '\003'; printf 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.0,964981247\n2,1,3.5,964982224\n'; } > "$c/ratings/csv"
{ printf '\023'; printf '1;7\n1;8\n2;7\n'; } > "$c/ratings/implicit"
# models (structure-aware: the harness makes the valid models itself; a seed's first byte picks one
# of 8, the groups of 4 bytes after it say which numbers to replace: none here)
for i in 0 1 2 3 4 5 6 7; do printf "\\$(printf %o "$i")" > "$c/models/base$i"; done
echo "wrote $(find "$c" -type f | wc -l) seeds in $c"

# fastText's own small models (made by tests/make_fasttext_models.py)
cp tests/data/ft_hs.bin tests/data/ft_skipgram.bin tests/data/ft_softmax.ftz tests/data/ft_many.ftz "$c/fasttext/"
