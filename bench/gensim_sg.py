#!/usr/bin/env python3
"""Skip-gram in gensim (Debian's python3-gensim) with word2vec's settings, for bench/wordvec.sh:

    python3 bench/gensim_sg.py CORPUS OUT.vec dim window epochs min_count negative threads sample lr [cbow [seed]]

(cbow: 1 for CBOW, 0 or absent for skip-gram; seed: 1 unless given)"""
import sys
import time

from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence

corpus, out = sys.argv[1], sys.argv[2]
dim, window, epochs, min_count, neg, threads = (int(x) for x in sys.argv[3:9])
sample, alpha = float(sys.argv[9]), float(sys.argv[10])
cbow = len(sys.argv) > 11 and sys.argv[11] == "1"
seed = int(sys.argv[12]) if len(sys.argv) > 12 else 1
t0 = time.perf_counter()
m = Word2Vec(LineSentence(corpus), vector_size=dim, window=window, epochs=epochs, min_count=min_count, negative=neg,
             workers=threads, sample=sample, alpha=alpha, sg=0 if cbow else 1, hs=0, seed=seed)
print(f"trained in {time.perf_counter() - t0:.3f} s", file=sys.stderr)
m.wv.save_word2vec_format(out)
