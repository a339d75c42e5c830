#!/usr/bin/python3
"""Small fastText models made by fastText itself (Debian's python3-fasttext 0.9.2) and its answers,
for tests/test_fasttext_files.c: edl reads the .bin files and must give the same predictions
(labels, probabilities) and word vectors. Run once from the repository root; the models and
tests/data/ft_answers.txt are committed with this script.

usage: tests/make_fasttext_models.py
"""
import os

import fasttext

D = "tests/data/"
train = D + "ft_train.txt"
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
with open(train, "w") as f:
    for i in range(400):
        label = i % 3
        ws = [words[(i * 7 + k * (label + 2)) % len(words)] + ("ung" if label == 0 else "ity" if label == 1 else "") for k in range(6)]
        f.write("__label__%s %s\n" % ("abc"[label], " ".join(ws)))
lines = ["alphaung betaung gammaung", "kappaity mu thetaity", "zeta eta iota", "unseenung neverity", ""]
probe = ["alphaung", "mu", "unseenword", "ß"]
with open(D + "ft_answers.txt", "w") as out:
    out.write("# model\tkind\tinput\tanswer (fastText 0.9.2 through python3-fasttext)\n")
    for name, kw in [("ft_softmax", dict(loss="softmax", minn=2, maxn=3, wordNgrams=2)),
                     ("ft_hs", dict(loss="hs")), ("ft_ova", dict(loss="ova", minn=3, maxn=3))]:
        m = fasttext.train_supervised(train, dim=8, epoch=5, lr=0.5, bucket=500, thread=1, verbose=0, **kw)
        m.save_model(D + name + ".bin")
        for line in lines:
            labels, probs = m.predict(line, k=2)
            out.write("%s\tpredict\t%s\t%s\n" % (name, line, " ".join("%s %.6g" % (l, p) for l, p in zip(labels, probs))))
        for w in probe:
            out.write("%s\tvector\t%s\t%s\n" % (name, w, " ".join("%.6g" % x for x in m.get_word_vector(w))))
        if name == "ft_softmax":  # fastText's quantize: product-quantized rows, norms apart, buckets cut off
            m.quantize(input=train, qnorm=True, cutoff=300, retrain=False, dsub=2)
            m.save_model(D + name + ".ftz")
            for line in lines:
                labels, probs = m.predict(line, k=2)
                out.write("%s\tpredict\t%s\t%s\n" % (name + ".ftz", line, " ".join("%s %.6g" % (l, p) for l, p in zip(labels, probs))))
    # 300 labels, so that the output matrix can be quantized too (-qout needs 256 rows)
    many = D + "ft_many.txt"
    with open(many, "w") as f:
        for i in range(1800):
            lab = i % 300
            f.write("__label__l%d w%d w%d x%d\n" % (lab, lab, (lab * 7) % 300, i % 11))
    m = fasttext.train_supervised(many, dim=8, epoch=5, lr=0.5, bucket=400, minn=2, maxn=3, thread=1, verbose=0)
    m.quantize(input=many, qnorm=True, qout=True, retrain=False, dsub=4)
    m.save_model(D + "ft_many.ftz")
    for line in ["w5 w35", "w299 x3", "w17", "unseen"]:
        labels, probs = m.predict(line, k=2)
        out.write("%s\tpredict\t%s\t%s\n" % ("ft_many.ftz", line, " ".join("%s %.6g" % (l, p) for l, p in zip(labels, probs))))
    os.remove(many)
    corpus = D + "ft_corpus.txt"
    with open(train) as f, open(corpus, "w") as g:
        for line in f:
            g.write(line.split(" ", 1)[1])
    m = fasttext.train_unsupervised(corpus, model="skipgram", dim=8, epoch=2, minn=2, maxn=4, bucket=300, minCount=1,
                                    thread=1, verbose=0)
    m.save_model(D + "ft_skipgram.bin")
    for w in probe:
        out.write("ft_skipgram\tvector\t%s\t%s\n" % (w, " ".join("%.6g" % x for x in m.get_word_vector(w))))
    for a, b, c in [("alphaung", "betaung", "gammaung"), ("kappaity", "mu", "zeta")]:
        res = m.get_analogies(a, b, c, k=2)
        out.write("ft_skipgram\tanalogy\t%s %s %s\t%s\n" % (a, b, c, " ".join("%s %.6g" % (w, p) for p, w in res)))
    os.remove(corpus)
os.remove(train)
