#!/usr/bin/env python3
"""Quality of a .vec file on bench/make_corpus.py's pairs: mean cosine of related pairs minus
mean cosine of unrelated pairs (pairs with a missing word are skipped and counted).

    python3 bench/score_pairs.py VECTORS.vec PAIRS.txt"""
import math
import sys

vecs = {}
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    header = f.readline().split()
    if len(header) != 2:  # GloVe-like: no header
        f.seek(0)
    for line in f:
        p = line.rstrip().split(" ")
        if len(p) > 2:
            vecs[p[0]] = [float(x) for x in p[1:]]


def cos(a, b):
    d = sum(x * y for x, y in zip(a, b))
    return d / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)) + 1e-12)


sums, counts, missing = {"related": 0.0, "unrelated": 0.0}, {"related": 0, "unrelated": 0}, 0
for line in open(sys.argv[2]):
    a, b, kind = line.split()
    if a in vecs and b in vecs:
        sums[kind] += cos(vecs[a], vecs[b])
        counts[kind] += 1
    else:
        missing += 1
q = sums["related"] / max(counts["related"], 1) - sums["unrelated"] / max(counts["unrelated"], 1)
print(f"{q:.4f} {missing}")
