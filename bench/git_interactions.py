#!/usr/bin/env python3
"""A real implicit-feedback data set from a repository's history: who touched which file.

Each (author, file) pair of the non-merge commits reachable from REV is one record; the record's
time is the pair's first commit (author date), its rating the number of commits of that author
touching that file (the implicit models ignore it). Authors are git's mailmapped e-mails
(%aE), files the paths git log --name-only names (renames: the new path). Then a k-core filter,
repeated until nothing changes: files touched by at least --min-item authors, authors with at
least --min-user such files. Output: CSV lines `user,item,rating,time` with dense integer ids
(edl recommend train -input OUT reads it), and OUT.users / OUT.items naming each id (id<TAB>name).
`edl recommend train ... -split last` then holds out each author's newest file: "which file will
this author touch for the first time next".

Only the Python standard library and git. Usage:
  bench/git_interactions.py GITDIR OUT [--rev HEAD] [--min-user 20] [--min-item 3]
"""
import argparse
import collections
import subprocess
import sys


def read_log(git_dir, rev):
    """(author, path) -> [first time, commits], from git log oldest to newest."""
    cmd = ["git", "--git-dir=" + git_dir, "log", "--no-merges", "--reverse", "--format=@%at %aE", "--name-only", rev, "--"]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout.decode("utf-8", "replace")
    pairs, commits = {}, 0
    when = author = None
    for line in out.split("\n"):
        if line.startswith("@"):
            stamp, _, author = line[1:].partition(" ")
            when, author = int(stamp), author.strip().lower()
            commits += 1
        elif line and author:
            rec = pairs.get((author, line))
            if rec is None:
                pairs[(author, line)] = [when, 1]
            else:
                rec[1] += 1
    return pairs, commits


def kcore(pairs, min_user, min_item):
    """The pairs left once every item has >= min_item users and every user >= min_user items."""
    keep = set(pairs)
    while True:
        users, items = collections.Counter(), collections.Counter()
        for u, i in keep:
            users[u] += 1
            items[i] += 1
        drop = {(u, i) for u, i in keep if users[u] < min_user or items[i] < min_item}
        if not drop:
            return keep
        keep -= drop


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("git_dir")
    p.add_argument("out")
    p.add_argument("--rev", default="HEAD")
    p.add_argument("--min-user", type=int, default=20, help="files an author must have (after the item filter)")
    p.add_argument("--min-item", type=int, default=3, help="authors a file must have")
    a = p.parse_args()
    shallow = subprocess.run(["git", "--git-dir=" + a.git_dir, "rev-parse", "--is-shallow-repository"],
                             check=True, stdout=subprocess.PIPE).stdout.decode().strip()
    if shallow != "false":
        sys.exit("git_interactions: %s is a shallow clone: its history is cut (git fetch --unshallow)" % a.git_dir)
    commit = subprocess.run(["git", "--git-dir=" + a.git_dir, "rev-parse", a.rev + "^{commit}"], check=True,
                            stdout=subprocess.PIPE).stdout.decode().strip()
    pairs, commits = read_log(a.git_dir, commit)
    keep = kcore(pairs, a.min_user, a.min_item)
    # dense ids in order of first appearance in time, ties by name: the same file for the same history
    rows = sorted(keep, key=lambda k: (pairs[k][0], k[0], k[1]))
    uid, iid = {}, {}
    for u, i in rows:
        uid.setdefault(u, len(uid))
        iid.setdefault(i, len(iid))
    with open(a.out, "w") as f:
        for u, i in rows:
            when, n = pairs[(u, i)]
            f.write("%d,%d,%d,%d\n" % (uid[u], iid[i], n, when))
    for suffix, ids in ((".users", uid), (".items", iid)):
        with open(a.out + suffix, "w") as f:
            for name, k in ids.items():
                f.write("%d\t%s\n" % (k, name))
    print("%s %s: %d commits, %d (author, file) pairs -> %d authors x %d files, %d pairs (%.1f a user); "
          "min-user %d, min-item %d" % (a.git_dir, commit, commits, len(pairs), len(uid), len(iid), len(rows),
                                         len(rows) / max(1, len(uid)), a.min_user, a.min_item), file=sys.stderr)


if __name__ == "__main__":
    main()
