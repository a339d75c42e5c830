#!/usr/bin/python3
"""Reference character n-grams from fastText itself (Debian's python3-fasttext 0.9.2), for
tests/test_textclf.c: for each word and (minn, maxn, bucket), the n-grams fastText lists and the
bucket each hashes into (its input row minus the number of words). Run once; the output,
tests/data/fasttext_subwords.txt, is committed with this script.

usage: tests/make_fasttext_subwords.py > tests/data/fasttext_subwords.txt
"""
import os
import tempfile

import fasttext

WORDS = ["Haus", "der", "a", "<", "naïve", "Größe", "日本語", "über-", "</s>", "x" * 9, "café!"]
CONFIGS = [(2, 4, 1000), (3, 6, 2000000), (1, 3, 97), (0, 2, 5)]

# a tiny corpus: fastText needs a vocabulary and a label; the words asked for need not be in it
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "t.txt")
    with open(path, "w") as f:
        for i in range(20):
            f.write("__label__%d alpha beta gamma\n" % (i % 2))
    print("# word\tminn\tmaxn\tbucket\tngram\trow-in-bucket (fastText 0.9.2: get_subwords)")
    for minn, maxn, bucket in CONFIGS:
        m = fasttext.train_supervised(path, minn=minn, maxn=maxn, bucket=bucket, epoch=1, dim=2, verbose=0)
        nwords = len(m.words)
        for w in WORDS:
            subs, ids = m.get_subwords(w)
            for s, i in zip(subs, ids):
                if s == w and i < nwords:
                    continue  # the word's own row (in the vocabulary)
                print("%s\t%d\t%d\t%d\t%s\t%d" % (w, minn, maxn, bucket, s, i - nwords))
