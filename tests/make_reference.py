#!/usr/bin/env python3
"""Makes tests/data/reference.txt: inputs and outputs of PyTorch's own kernels, so edl's tests can
compare against PyTorch without needing it. Run once with Debian's python3-torch:

    /usr/bin/python3 tests/make_reference.py > tests/data/reference.txt

Format: one array a line, `name dtype count v0 v1 ...`, floats printed with 9 significant digits
(exact float32 round trip). Names are `case.array`.
"""
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(20261123)
out = sys.stdout


def put(name, t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.int64:
        vals = " ".join(str(int(v)) for v in t.tolist())
        out.write(f"{name} i64 {t.numel()} {vals}\n")
    else:
        vals = " ".join(f"{v:.9g}" for v in t.float().tolist())
        out.write(f"{name} f32 {t.numel()} {vals}\n")


out.write(f"# made by tests/make_reference.py with torch {torch.__version__}\n")

# Embedding: forward and the gradient of the table (repeated indices accumulate).
rows, dim = 7, 5
table = torch.randn(rows, dim, requires_grad=True)
idx = torch.tensor([3, 0, 6, 3, 1, 3])
y = F.embedding(idx, table)
dout = torch.randn_like(y)
y.backward(dout)
for k, v in dict(table=table, idx=idx, out=y, dout=dout, dtable=table.grad).items():
    put(f"embedding.{k}", v)

# max_norm: F.embedding renormalises the looked-up rows of the table in place.
table = torch.randn(rows, dim) * 2
put("renorm.table", table)
idx = torch.tensor([1, 4, 1, 0])
put("renorm.idx", idx)
F.embedding(idx, table, max_norm=1.5)
put("renorm.after", table)
table = torch.randn(rows, dim) * 2
put("renorm1.table", table)
F.embedding(idx, table, max_norm=1.5, norm_type=1.0)
put("renorm1.after", table)

# Embedding bag: every pool, an empty bag, padding, per-index weights.
rows, dim = 9, 4
idx = torch.tensor([2, 5, 2, 8, 0, 7, 7, 3, 2, 1])
offsets = torch.tensor([0, 3, 3, 6, 9])  # bag 1 is empty; bag 4 has one index
weights = torch.randn(idx.numel())
for mode in ("sum", "mean", "max"):
    for pad in (-1, 2):
        for weighted in ((False, True) if mode == "sum" else (False,)):
            table = torch.randn(rows, dim, requires_grad=True)
            kw = dict(offsets=offsets, mode=mode, padding_idx=(None if pad < 0 else pad))
            if weighted:
                kw["per_sample_weights"] = weights
            y = F.embedding_bag(idx, table, **kw)
            dout = torch.randn_like(y)
            y.backward(dout)
            name = f"bag_{mode}_pad{pad}" + ("_w" if weighted else "")
            put(f"{name}.table", table)
            put(f"{name}.out", y)
            put(f"{name}.dout", dout)
            put(f"{name}.dtable", table.grad)
put("bag.idx", idx)
put("bag.offsets", offsets)
put("bag.weights", weights)

# Dense: y = act(x W^T + b) for each activation, and the three gradients.
batch, din, dout_dim = 4, 6, 3
x0 = torch.randn(batch, din)
for act in ("none", "relu", "sigmoid", "tanh"):
    x = x0.clone().requires_grad_(True)
    w = torch.randn(dout_dim, din, requires_grad=True)
    b = torch.randn(dout_dim, requires_grad=True)
    z = F.linear(x, w, b)
    y = {"none": z, "relu": torch.relu(z), "sigmoid": torch.sigmoid(z), "tanh": torch.tanh(z)}[act]
    g = torch.randn_like(y)
    y.backward(g)
    for k, v in dict(x=x, w=w, b=b, out=y, dout=g, dx=x.grad, dw=w.grad, db=b.grad).items():
        put(f"dense_{act}.{k}", v)

# Softmax cross-entropy, including large logits (stability) and one class per row.
for name, scale in (("ce", 1.0), ("ce_big", 60.0)):
    logits = (torch.randn(5, 4) * scale).requires_grad_(True)
    targets = torch.tensor([0, 3, 1, 1, 2])
    loss = F.cross_entropy(logits, targets)
    loss.backward()
    put(f"{name}.logits", logits)
    put(f"{name}.targets", targets)
    put(f"{name}.loss", loss.reshape(1))
    put(f"{name}.dlogits", logits.grad)
    put(f"{name}.softmax", torch.softmax(logits, dim=1))
    put(f"{name}.log_softmax", torch.log_softmax(logits, dim=1))

# Binary cross-entropy with logits and mean squared error.
x = (torch.randn(8) * 4).requires_grad_(True)
t = torch.rand(8)
t[0], t[1] = 0.0, 1.0
loss = F.binary_cross_entropy_with_logits(x, t)
loss.backward()
for k, v in dict(x=x, t=t, loss=loss.reshape(1), dx=x.grad).items():
    put(f"bce.{k}", v)
p = torch.randn(7, requires_grad=True)
t = torch.randn(7)
loss = F.mse_loss(p, t)
loss.backward()
for k, v in dict(p=p, t=t, loss=loss.reshape(1), dp=p.grad).items():
    put(f"mse.{k}", v)

# max_norm with other norms: p = 3 and p = inf (the largest magnitude).
for name, p in (("renorm3", 3.0), ("renorm_inf", float("inf"))):
    table = torch.randn(7, 5) * 2
    put(f"{name}.table", table)
    F.embedding(torch.tensor([1, 4, 1, 0]), table, max_norm=1.5, norm_type=p)
    put(f"{name}.after", table)

# ---- a whole model: embedding_bag(10, 4, mean) dense(5, relu) dense(3), softmax cross-entropy.
emb = torch.nn.EmbeddingBag(10, 4, mode="mean")
l1, l2 = torch.nn.Linear(4, 5), torch.nn.Linear(5, 3)
with torch.no_grad():
    emb.weight.copy_(torch.randn(10, 4))
idx = torch.tensor([1, 3, 3, 7, 9, 0, 2, 5, 8])
offsets = torch.tensor([0, 2, 5, 6])
labels = torch.tensor([2, 0, 1, 1])
logits = l2(torch.relu(l1(emb(idx, offsets))))
loss = F.cross_entropy(logits, labels)
loss.backward()
for k, v in dict(table=emb.weight, w1=l1.weight, b1=l1.bias, w2=l2.weight, b2=l2.bias, idx=idx,
                 offsets=offsets, labels=labels, loss=loss.reshape(1), dtable=emb.weight.grad,
                 dw1=l1.weight.grad, db1=l1.bias.grad, dw2=l2.weight.grad, db2=l2.bias.grad,
                 probs=torch.softmax(logits, 1)).items():
    put(f"model.{k}", v)

# ---- optimizers: three steps from the same start with given gradients.
p0 = torch.randn(2, 3)
grads = [torch.randn(2, 3) for _ in range(3)]
put("opt.p0", p0)
for i, g in enumerate(grads):
    put(f"opt.g{i}", g)
cases = {
    "sgd": lambda p: torch.optim.SGD([p], lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True),
    "adagrad": lambda p: torch.optim.Adagrad([p], lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1),
    "adam": lambda p: torch.optim.Adam([p], lr=0.01, weight_decay=0.01),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1),
}
for name, make in cases.items():
    p = p0.clone().requires_grad_(True)
    opt = make(p)
    for i, g in enumerate(grads):
        p.grad = g.clone()
        opt.step()
        put(f"opt_{name}.step{i}", p)

# Lazy (sparse) updates of an embedding table: SparseAdam and Adagrad on sparse gradients.
t0 = torch.randn(6, 3)
rows = [torch.tensor([1, 4]), torch.tensor([4, 5]), torch.tensor([0, 1])]
vals = [torch.randn(2, 3) for _ in range(3)]
put("sparse.t0", t0)
for i in range(3):
    put(f"sparse.rows{i}", rows[i])
    put(f"sparse.vals{i}", vals[i])
for name, make in (("sparse_adam", lambda p: torch.optim.SparseAdam([p], lr=0.01)),
                   ("sparse_adagrad", lambda p: torch.optim.Adagrad([p], lr=0.1))):
    p = t0.clone().requires_grad_(True)
    opt = make(p)
    for i in range(3):
        p.grad = torch.sparse_coo_tensor(rows[i].unsqueeze(0), vals[i], (6, 3))
        opt.step()
        put(f"{name}.step{i}", p)

# Gradient clipping by global norm over two tensors.
ga, gb = torch.randn(2, 3) * 3, torch.randn(3) * 3
pa, pb = torch.zeros(2, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
pa.grad, pb.grad = ga.clone(), gb.clone()
torch.nn.utils.clip_grad_norm_([pa, pb], max_norm=1.0)
for k, v in dict(ga=ga, gb=gb, ca=pa.grad, cb=pb.grad).items():
    put(f"clip.{k}", v)
