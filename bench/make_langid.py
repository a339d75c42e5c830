#!/usr/bin/env python3
"""A language-identification corpus from real translations: the gettext catalogues Debian packages
install (/usr/share/locale/LANG/LC_MESSAGES/*.mo, read with msgunfmt from gettext). One translated
message a line, its language as the label (__label__de ...), in fastText's format; messages that
are left untranslated (msgstr == msgid) or empty are dropped, whitespace is folded, duplicates
within a language kept once. The split is fixed: a line goes to the test file when the first byte
of its MD5 is below 26 (~10%); both files are in MD5 order, which mixes the languages. Only catalogue domains present for every language are used, so
each language says the same things. The data is made on the machine, never committed.

usage: bench/make_langid.py OUT_PREFIX [LANG,LANG,...]   (writes OUT_PREFIX.train and OUT_PREFIX.test)
"""
import hashlib
import os
import re
import subprocess
import sys

LANGS = "de,fr,es,it,pt,nl,pl,ru,cs,sv,fi,tr,hu".split(",")
ROOT = "/usr/share/locale"


def unquote(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            out.append({"n": " ", "t": " ", "r": " ", '"': '"', "\\": "\\"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def messages(mo):
    po = subprocess.run(["msgunfmt", mo], capture_output=True, text=True, errors="replace").stdout
    for entry in po.split("\n\n"):
        msgid, strs, cur = [], [], None
        for line in entry.splitlines():
            if line.startswith("msgid "):
                cur = msgid
                cur.append(line[6:].strip())
            elif line.startswith("msgid_plural"):
                cur = None
            elif line.startswith("msgstr"):
                cur = []
                strs.append(cur)
                cur.append(line.split(" ", 1)[1].strip())
            elif line.startswith('"') and cur is not None:
                cur.append(line.strip())
        src = unquote("".join(x[1:-1] for x in msgid))
        if not src:
            continue  # the header
        for st in strs:
            t = unquote("".join(x[1:-1] for x in st))
            t = re.sub(r"\s+", " ", t).strip()
            if t and t != re.sub(r"\s+", " ", src).strip():
                yield t


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    langs = sys.argv[2].split(",") if len(sys.argv) > 2 else LANGS
    domains = None
    for lang in langs:
        d = os.path.join(ROOT, lang, "LC_MESSAGES")
        have = {f for f in os.listdir(d) if f.endswith(".mo") and not f.startswith("iso_")} if os.path.isdir(d) else set()
        domains = have if domains is None else domains & have
    if not domains:
        sys.exit("no catalogue domain is installed for every language: " + ",".join(langs))
    counts, lines = {}, []
    for lang in langs:
        seen = set()
        for dom in sorted(domains):
            for m in messages(os.path.join(ROOT, lang, "LC_MESSAGES", dom)):
                if m not in seen:
                    seen.add(m)
                    line = "__label__%s %s\n" % (lang, m)
                    lines.append((hashlib.md5(line.encode()).digest(), line))
        counts[lang] = len(seen)
    lines.sort()  # a fixed order that mixes the languages (fastText trains in file order)
    with open(out + ".train", "w") as tr, open(out + ".test", "w") as te:
        for h, line in lines:
            (te if h[0] < 26 else tr).write(line)
    print("%d catalogue domains x %d languages: %s" % (len(domains), len(langs), " ".join("%s:%d" % kv for kv in counts.items())))


if __name__ == "__main__":
    main()
