#!/usr/bin/env python3
"""The recommenders of edl (src/rec/recommend.c) in PyTorch (Debian's python3-torch, CPU) with
edl's default settings, the peer of bench/recommend.c:

  mf   pred = mean + b_u + b_i + <p_u, q_i>; 0.5 (pred - r)^2 summed over the batch, plus
       0.5 reg ||.||^2 of every looked-up row and bias (reg 0.03); SparseAdam lr 0.03
  bpr  x = b_i - b_j + <p_u, q_i - q_j>, one negative j per record; softplus(-x) summed, plus
       0.5 reg ||.||^2 of the three rows (reg 0.01, item biases unregularised); SGD lr 0.1
  mlp  [p_u, q_i] -> Linear(64) ReLU -> Linear(32) ReLU -> Linear(1); one positive and 4
       negatives per record; BCE with logits summed; SparseAdam (rows) + Adam (layers), lr 0.008

The rate falls linearly to 0 over the run's batches, as edl's default (-decay linear).

One table nn.Embedding(users + items, dim, sparse=True) (users first, N(0, 0.1) rows) and the
biases as nn.Embedding(users + items, 1, sparse=True), so only looked-up rows get gradient and
updates, as in edl. Batches as edl's: 256 records (mf, mlp: 256 x 5 = 1280 rows) or 256 triples
(bpr); records in a fresh random order each epoch; negatives uniform over the items the user has
not rated (up to 16 draws, as edl). Examples are counted as edl counts them: mf one per record,
bpr one per triple, mlp one per positive or negative.

    /usr/bin/python3 bench/torch_recommend.py DATA mf|bpr|mlp [epochs=1] [threads] [dim=32] [seed=1] [max_seconds=0]

DATA is a u.data file (user item rating timestamp, whitespace-separated). epochs may be a
fraction (0.25: a quarter of the shuffled records); the rate is normalised per example, and "s
an epoch" is the time a whole epoch takes at that rate. A few batches run untimed first.
"""
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

path, model = sys.argv[1], sys.argv[2]
epochs = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
threads = int(sys.argv[4]) if len(sys.argv) > 4 else torch.get_num_threads()
dim = int(sys.argv[5]) if len(sys.argv) > 5 else 32
seed = int(sys.argv[6]) if len(sys.argv) > 6 else 1
max_seconds = float(sys.argv[7]) if len(sys.argv) > 7 else 0.0
if model not in ("mf", "bpr", "mlp"):
    sys.exit("torch_recommend.py: model is mf, bpr or mlp")
torch.set_num_threads(threads)
torch.manual_seed(seed)

with open(path, "rb") as f:
    cols = np.array(f.read().split()).reshape(-1, 4)
user_ids, uidx = np.unique(cols[:, 0].astype(np.int64), return_inverse=True)
item_ids, iidx = np.unique(cols[:, 1].astype(np.int64), return_inverse=True)
U, I, n = len(user_ids), len(item_ids), len(cols)
users = torch.from_numpy(uidx.astype(np.int64))
items = torch.from_numpy(iidx.astype(np.int64))
ratings = torch.from_numpy(cols[:, 2].astype(np.float32))
seen = torch.unique(users * I + items)  # sorted (user, item) keys, for rejecting negatives

BATCH = 256
lr = {"mf": 0.03, "bpr": 0.1, "mlp": 0.008}[model]
reg = {"mf": 0.03, "bpr": 0.01, "mlp": 0.0}[model]
neg = {"mf": 0, "bpr": 1, "mlp": 4}[model]

emb = torch.nn.Embedding(U + I, dim, sparse=True)
bias = torch.nn.Embedding(U + I, 1, sparse=True)
with torch.no_grad():
    emb.weight.normal_(0.0, 0.1)
    bias.weight.zero_()
mean = float(ratings.mean())
if model == "mf":
    opts = [torch.optim.SparseAdam(list(emb.parameters()) + list(bias.parameters()), lr=lr)]
elif model == "bpr":
    opts = [torch.optim.SGD(list(emb.parameters()) + list(bias.parameters()), lr=lr)]
else:
    mlp = torch.nn.Sequential(
        torch.nn.Linear(2 * dim, 64), torch.nn.ReLU(), torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1)
    )
    opts = [torch.optim.SparseAdam(list(emb.parameters()), lr=lr), torch.optim.Adam(mlp.parameters(), lr=lr)]


def negatives(u):
    """Items uniform over those u has not rated: up to 16 draws, as edl's negative()."""
    j = torch.randint(0, I, (len(u),))
    for _ in range(15):
        key = u * I + j
        pos = torch.searchsorted(seen, key).clamp_(max=len(seen) - 1)
        hit = seen[pos] == key
        k = int(hit.sum())
        if k == 0:
            break
        j[hit] = torch.randint(0, I, (k,))
    return j


batches_done, batches_total = 0, 1  # the linear decay's progress (batches_total set below)


def step(rec):
    """One batch of records (indices into the data); returns (data loss summed, examples): the
    loss without the reg terms and, for mf, without the 0.5, as edl reports its epoch loss."""
    u, i = users[rec], items[rec] + U
    if model == "mf":
        idx = torch.stack((u, i), 1).view(-1)
        rows = emb(idx).view(-1, 2, dim)
        b = bias(idx).view(-1, 2)
        pred = mean + b.sum(1) + (rows[:, 0] * rows[:, 1]).sum(1)
        data = 0.5 * ((pred - ratings[rec]) ** 2).sum()
        loss = data + 0.5 * reg * ((rows**2).sum() + (b**2).sum())
        data = 2.0 * data
        ex = len(rec)
    elif model == "bpr":
        u, i = u.repeat_interleave(neg), i.repeat_interleave(neg)
        j = negatives(u) + U
        rows = emb(torch.stack((u, i, j), 1).view(-1)).view(-1, 3, dim)
        b = bias(torch.stack((i, j), 1).view(-1)).view(-1, 2)
        x = b[:, 0] - b[:, 1] + (rows[:, 0] * (rows[:, 1] - rows[:, 2])).sum(1)
        data = F.softplus(-x).sum()
        loss = data + 0.5 * reg * (rows**2).sum()
        ex = len(u)
    else:
        uu = u.repeat_interleave(1 + neg)
        ii = i.repeat_interleave(1 + neg).view(-1, 1 + neg)
        ii[:, 1:] = negatives(u.repeat_interleave(neg)).view(-1, neg) + U
        target = torch.zeros(len(rec), 1 + neg)
        target[:, 0] = 1.0
        x = emb(torch.stack((uu, ii.view(-1)), 1).view(-1)).view(-1, 2 * dim)
        loss = data = F.binary_cross_entropy_with_logits(mlp(x).view(-1), target.view(-1), reduction="sum")
        ex = len(uu)
    global batches_done
    for o in opts:
        o.zero_grad()
    loss.backward()
    rate = lr * max(0.0, 1.0 - batches_done / batches_total)
    batches_done += 1
    for o in opts:
        for g in o.param_groups:
            g["lr"] = rate
        o.step()
    return float(data), ex


step_records = (BATCH + neg - 1) // neg if model == "bpr" else BATCH
per_epoch = n * neg if model == "bpr" else n * (1 + neg) if model == "mlp" else n

warm = torch.randperm(n)
for b in range(10):
    step(warm[b * step_records : (b + 1) * step_records])

total = int(epochs * n)
batches_done, batches_total = 0, max(1, -(-total // step_records))
done, examples, loss = 0, 0, 0.0  # loss: the data loss summed over the timed examples
t0 = time.perf_counter()
stopped = False
while done < total and not stopped:
    perm = torch.randperm(n)
    end = min(n, total - done)
    for b in range(0, end, step_records):
        lsum, ex = step(perm[b : min(b + step_records, end)])
        loss += lsum
        examples += ex
        if max_seconds > 0 and time.perf_counter() - t0 > max_seconds:
            stopped = True
            break
    done += end
dt = time.perf_counter() - t0
rate = examples / dt
print(
    f"torch {torch.__version__} {model}: {threads} threads, {U} users, {I} items, {n} records, dim {dim}, "
    f"{examples / per_epoch:.3g} epochs ({examples} examples; {per_epoch} an epoch{'; time cap' if stopped else ''}), batch {BATCH}: {rate:.0f} examples/s, "
    f"{per_epoch / rate:.3f} s an epoch (mean loss {loss / examples:.5f}, as edl's epoch loss)"
)
