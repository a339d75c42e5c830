#!/usr/bin/env python3
"""Training throughput of the issue's model in PyTorch (Debian's python3-torch, CPU), the peer of
bench/train.c: EmbeddingBag(5000, 64, mode='mean') -> Linear(64, 128) -> ReLU -> Linear(128, 10),
cross-entropy, Adam (lr 1e-3), batch 256, bags of 50 uniform random ids, random labels.

    /usr/bin/python3 bench/torch_train.py [steps] [threads]
"""
import sys
import time

import torch

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 300
threads = int(sys.argv[2]) if len(sys.argv) > 2 else torch.get_num_threads()
torch.set_num_threads(threads)
torch.manual_seed(1)
BATCH, BAG, ROWS, CLASSES, NBATCH = 256, 50, 5000, 10, 16

model = torch.nn.ModuleDict(
    dict(emb=torch.nn.EmbeddingBag(ROWS, 64, mode="mean"), l1=torch.nn.Linear(64, 128), l2=torch.nn.Linear(128, CLASSES))
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
idx = [torch.randint(0, ROWS, (BATCH * BAG,)) for _ in range(NBATCH)]
labels = [torch.randint(0, CLASSES, (BATCH,)) for _ in range(NBATCH)]
offsets = torch.arange(0, BATCH * BAG, BAG)


def step(s):
    opt.zero_grad()
    h = torch.relu(model["l1"](model["emb"](idx[s % NBATCH], offsets)))
    loss = torch.nn.functional.cross_entropy(model["l2"](h), labels[s % NBATCH])
    loss.backward()
    opt.step()
    return loss.item()


for s in range(10):
    step(s)
t0 = time.perf_counter()
for s in range(steps):
    loss = step(s)
dt = time.perf_counter() - t0
print(f"torch {torch.__version__} adam: {steps} steps, batch {BATCH}, {threads} threads: {steps * BATCH / dt:.0f} examples/s (loss {loss:.4f})")
