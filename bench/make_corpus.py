#!/usr/bin/env python3
"""A synthetic corpus with known structure for bench/wordvec.sh, and the pairs to score it by.

    python3 bench/make_corpus.py OUT_DIR [lines]
    python3 bench/make_corpus.py OUT_DIR [lines] --eval     (bench/wordvec_eval.sh's corpus)

50 topics of 200 words each (word t<topic>_<k>), Zipf-distributed within a topic; each line
draws 80% of its words from one topic and 20% from anywhere. Related pairs are two words of
the same topic, unrelated pairs two words of different topics; the quality figure of a set of
vectors is mean cos(related) - mean cos(unrelated), computed the same way for every tool.

--eval writes instead eval_corpus.txt, questions.txt (word2vec's questions-words format, for
`edl eval-analogies`) and similarity.txt ('word1 word2 score', for `edl eval-similarity`), from a
corpus with analogies and graded similarity built in:
- 40 topics on a ring, 60 Zipf-distributed words each (w<topic>_<k>). A line is about one topic:
  each of its topic words comes from that topic (60%), a neighbour on the ring (15% each side) or
  the next ones (5% each side), so words grow less alike with the ring distance of their topics.
  similarity.txt holds 2000 pairs of frequent topic words scored by 20 - that distance (0..20).
- 8 entities a topic, each in four forms (g in m/f and n in s/p, as king, queen, kings, queens),
  each form's word an opaque number (e0000..e1279, shuffled: its spelling says nothing). A line
  mentions two entities: the form, then, shuffled next to it, one of two private words of the
  entity (p<topic>_<j>_<0|1>), one of 20 marker words of its g (gm<i> or gf<i>, as he/she) and one
  of 20 of its n (ns<i> or np<i>). A form's vector is so its entity's plus the offsets of g and n.
  questions.txt: section "gender" (ms : fs :: ms : fs, or the plurals), section "number" (ms :
  mp :: ms : mp, or the feminines), 1000 questions each, entities of different topics."""
import os
import random
import sys

out = sys.argv[1]
lines = int(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else 100000
if "--eval" not in sys.argv:
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
    sys.exit(0)

rng = random.Random(11)
topics, per, ents, markers = 40, 60, 8, 20
# each form's word is an opaque number, so character n-grams cannot read the form off its spelling
ids = list(range(topics * ents * 4))
rng.shuffle(ids)
form = {}
for t in range(topics):
    for j in range(ents):
        for g in "mf":
            for n in "sp":
                form[t, j, g + n] = f"e{ids[len(form)]:04d}"
weights = [1.0 / (k + 1) for k in range(per)]
shifts, shift_w = [0, -1, 1, -2, 2], [0.6, 0.15, 0.15, 0.05, 0.05]
with open(os.path.join(out, "eval_corpus.txt"), "w") as f:
    for _ in range(lines):
        t = rng.randrange(topics)
        words = []
        for _ in range(14):
            tt = (t + rng.choices(shifts, shift_w)[0]) % topics
            words.append(f"w{tt}_{rng.choices(range(per), weights)[0]}")
        # two mentions of the topic's entities, each a group of four words, between topic words
        for at in sorted(rng.sample(range(len(words) + 1), 2), reverse=True):
            j, g, n = rng.randrange(ents), rng.choice("mf"), rng.choice("sp")
            group = [f"p{t}_{j}_{rng.randrange(2)}", f"g{g}{rng.randrange(markers)}", f"n{n}{rng.randrange(markers)}"]
            rng.shuffle(group)
            group.insert(rng.randrange(4), form[t, j, g + n])
            words[at:at] = group
        f.write(" ".join(words) + "\n")


def entity_pair():
    t1, t2 = rng.sample(range(topics), 2)
    return (t1, rng.randrange(ents)), (t2, rng.randrange(ents))


with open(os.path.join(out, "questions.txt"), "w") as f:
    f.write(": gender\n")
    for _ in range(1000):
        (t1, j1), (t2, j2) = entity_pair()
        n = rng.choice("sp")
        f.write(f"{form[t1, j1, 'm' + n]} {form[t1, j1, 'f' + n]} {form[t2, j2, 'm' + n]} {form[t2, j2, 'f' + n]}\n")
    f.write(": number\n")
    for _ in range(1000):
        (t1, j1), (t2, j2) = entity_pair()
        g = rng.choice("mf")
        f.write(f"{form[t1, j1, g + 's']} {form[t1, j1, g + 'p']} {form[t2, j2, g + 's']} {form[t2, j2, g + 'p']}\n")
with open(os.path.join(out, "similarity.txt"), "w") as f:
    for _ in range(2000):
        t, d = rng.randrange(topics), rng.randrange(topics // 2 + 1)
        a, b = rng.sample(range(30), 2)
        f.write(f"w{t}_{a} w{(t + d) % topics}_{b} {topics // 2 - d}\n")
