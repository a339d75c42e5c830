#!/usr/bin/env python3
"""A synthetic corpus with known structure for bench/wordvec.sh, and the pairs to score it by.

    python3 bench/make_corpus.py OUT_DIR [lines]

50 topics of 200 words each (word t<topic>_<k>), Zipf-distributed within a topic; each line
draws 80% of its words from one topic and 20% from anywhere. Related pairs are two words of
the same topic, unrelated pairs two words of different topics; the quality figure of a set of
vectors is mean cos(related) - mean cos(unrelated), computed the same way for every tool."""
import os
import random
import sys

out = sys.argv[1]
lines = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
rng = random.Random(7)
topics, per = 50, 200
weights = [1.0 / (k + 1) for k in range(per)]
with open(os.path.join(out, "corpus.txt"), "w") as f:
    for _ in range(lines):
        t = rng.randrange(topics)
        words = []
        for _ in range(20):
            tt = t if rng.random() < 0.8 else rng.randrange(topics)
            words.append(f"t{tt}_{rng.choices(range(per), weights)[0]}")
        f.write(" ".join(words) + "\n")
with open(os.path.join(out, "pairs.txt"), "w") as f:
    for _ in range(2000):
        t = rng.randrange(topics)
        a, b = rng.sample(range(50), 2)  # frequent enough words to have vectors
        f.write(f"t{t}_{a} t{t}_{b} related\n")
        t2 = (t + 1 + rng.randrange(topics - 1)) % topics
        f.write(f"t{t}_{a} t{t2}_{b} unrelated\n")
