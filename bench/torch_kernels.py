#!/usr/bin/env python3
"""The kernels of `edl bench kernels` in PyTorch (Debian's python3-torch, CPU), with the same
columns, so the two tables can be set side by side:

    /usr/bin/python3 bench/torch_kernels.py [--csv] [threads]

Limits are measured the same way in the same run: for lookups a gather by index_select into a
preallocated output (PyTorch's fastest plain gather), for dense layers torch.mm of the same shape.
"""
import sys
import time

import torch
import torch.nn.functional as F

csv = "--csv" in sys.argv
args = [a for a in sys.argv[1:] if a != "--csv"]
if args:
    torch.set_num_threads(int(args[0]))
torch.manual_seed(3)


def median_time(fn, reps=5, min_s=0.02):
    fn()
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    inner = 1 if once >= min_s else int(min_s / (once + 1e-9)) + 1
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    return sorted(ts)[len(ts) // 2]


def row(kernel, shape, s, rate, unit, limit):
    if csv:
        print(f"{kernel},{shape},{s:.6g},{rate:.4g},{unit},{limit:.4g},{rate / limit:.3f}")
    else:
        print(f"{kernel:<16} {shape:<22} {s:11.3g} {rate:9.2f} {unit:<7} {limit:9.2f} {rate / limit:8.3f}")


print("kernel,shape,seconds,rate,unit,limit_rate,fraction_of_limit" if csv else
      f"{'kernel':<16} {'shape':<22} {'seconds':>11} {'rate':>9} {'unit':<7} {'limit':>9} {'fraction':>8}")
rows, dim, n, bags = 100000, 64, 16384, 512
table = torch.rand(rows, dim) - 0.5
idx = torch.randint(0, rows, (n,))
offsets = torch.arange(0, n, n // bags)
out = torch.empty(n, dim)
dout = torch.rand(n, dim) - 0.5
bout = torch.rand(bags, dim) - 0.5
nbytes = n * dim * 4
limit = nbytes / median_time(lambda: torch.index_select(table, 0, idx, out=out)) / 1e9
shape = "100000x64, 16384 ids"
t = median_time(lambda: F.embedding(idx, table))
row("embedding_fwd", shape, t, nbytes / t / 1e9, "GB/s", limit)
w = table.clone().requires_grad_(True)


def emb_bwd():
    w.grad = None
    F.embedding(idx, w).backward(dout)


t = median_time(emb_bwd)
row("embedding_bwd", shape, t, nbytes / t / 1e9, "GB/s", limit)
bshape = "100000x64, 512 bags x 32"
for mode in ("sum", "mean"):
    t = median_time(lambda: F.embedding_bag(idx, table, offsets, mode=mode))
    row(f"bag_fwd_{mode}", bshape, t, nbytes / t / 1e9, "GB/s", limit)

    def bag_bwd():
        w.grad = None
        F.embedding_bag(idx, w, offsets, mode=mode).backward(bout)

    t = median_time(bag_bwd)
    row(f"bag_bwd_{mode}", bshape, t, nbytes / t / 1e9, "GB/s", limit)

for b, i, o in ((1024, 512, 512), (256, 64, 128), (64, 64, 10)):
    x = torch.rand(b, i) - 0.5
    lin = torch.nn.Linear(i, o)
    wt = lin.weight.detach().t().contiguous()
    flops = 2.0 * b * i * o
    gemm = flops / median_time(lambda: torch.mm(x, wt)) / 1e9
    sh = f"{b}x{i}->{o}"
    with torch.no_grad():
        t = median_time(lambda: torch.relu(lin(x)))
    row("dense_fwd", sh, t, flops / t / 1e9, "GFLOP/s", gemm)
    xg = x.clone().requires_grad_(True)
    y = torch.relu(lin(xg))
    dy = torch.rand(b, o) - 0.5

    def dense_bwd():
        xg.grad = None
        lin.zero_grad()
        torch.relu(lin(xg)).backward(dy)

    t = median_time(dense_bwd) - median_time(lambda: torch.relu(lin(x)))  # backward alone
    row("dense_bwd", sh, t, 2 * flops / t / 1e9, "GFLOP/s", gemm)
