#!/usr/bin/env python3
"""The model on paper of docs/SCALING.md: throughput of edl's distributed trainers at N ranks on a
network, from figures measured on one machine (bench/mpi.sh, docs/BENCHMARKS.md). It computes,
it does not measure: every input is printed with the output, and each can be changed.

    python3 bench/scaling_model.py [--gbps 25] [--latency-us 10] [--threads 32] ...

Two trainers are modelled, each with the collectives edl calls (src/model/row_sync.c,
src/model/grad_sync.c, src/model/shard.c) and the standard cost of each collective
(Thakur, Rabenseifner and Gropp 2005): a message of B bytes costs alpha + B / beta;
  allreduce (Rabenseifner: reduce-scatter + allgather)  2 log2(N) alpha + 2 (N-1)/N B / beta
  allgather of b bytes a rank (edl: N broadcasts)         N log2(N) alpha + (N-1) b / beta
  all-to-all (pairwise exchange), b bytes to each rank    (N-1) alpha + (N-1) b / beta
No overlap of computing and communicating is assumed (edl does not overlap them).

1. Hogwild skip-gram (fastText's trainer on every rank; the rows touched since the last
   synchronisation averaged every K tokens of a rank): a rank of c threads trains r = c r1 tokens
   a second; a synchronisation every T seconds (K = r T) learns the union of the rows touched on
   any rank (the row numbers gathered, 4 bytes each, or a bit a row or'ed by an allreduce:
   whichever moves fewer bytes, as edl chooses) and allreduces the union's rows (U(N K) rows of
   dim floats). Rows touched in M tokens follow Heaps' law, U(M) = U0 (M/M0)^b,
   fitted on the spam corpus's synchronisations (docs/BENCHMARKS.md), capped by the table's rows.
2. A recommender with row-sharded tables (-shard rows; TorchRec's row-wise sharding): a rank
   takes b examples a step (weak scaling: the global batch is N b), looks up L rows an example of
   dim floats from their owners (ids out, rows back, gradients back: three all-to-alls of
   (N-1)/N of the distinct ids) and allreduces the dense layers' P gradients.
"""
import argparse
import math


def allreduce(n, nbytes, a, bw):
    return 0.0 if n == 1 else 2 * math.log2(n) * a + 2 * (n - 1) / n * nbytes / bw


def allgather(n, each, a, bw):
    return 0.0 if n == 1 else n * math.log2(n) * a + (n - 1) * each / bw


def alltoall(n, to_each, a, bw):
    return 0.0 if n == 1 else (n - 1) * a + (n - 1) * to_each / bw


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gbps", type=float, default=25.0, help="network bandwidth a rank, Gb/s")
    p.add_argument("--latency-us", type=float, default=10.0, help="MPI message latency, microseconds")
    p.add_argument("--ranks", default="1,2,8,64,512")
    # skip-gram
    p.add_argument("--r1", type=float, default=750e3, help="tokens/s of one thread (measured: bench/mpi.sh)")
    p.add_argument("--threads", type=int, default=32, help="threads of a rank (a node)")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--rows", type=float, default=2e6, help="rows of the tables (words + buckets, both tables)")
    p.add_argument("--u0", type=float, default=6.2e3, help="rows touched in m0 tokens (measured)")
    p.add_argument("--m0", type=float, default=4e4)
    p.add_argument("--heaps", type=float, default=0.63, help="exponent b of U(M) = u0 (M/m0)^b (fitted)")
    p.add_argument("--periods", default="0.1,1", help="seconds between synchronisations")
    # recommender
    p.add_argument("--ex1", type=float, default=1.0e6, help="examples/s of one rank's thread (measured)")
    p.add_argument("--batch", type=int, default=4096, help="examples a rank a step")
    p.add_argument("--lookups", type=int, default=2, help="rows looked up an example")
    p.add_argument("--rdim", type=int, default=64)
    p.add_argument("--dense", type=float, default=2.0e5, help="dense parameters")
    a = p.parse_args()
    bw = a.gbps * 1e9 / 8
    alpha = a.latency_us * 1e-6
    ranks = [int(x) for x in a.ranks.split(",")]
    row = a.dim * 4

    def union(m):
        return min(a.rows, a.u0 * (m / a.m0) ** a.heaps)

    print(f"network {a.gbps:g} Gb/s ({bw / 1e9:.2f} GB/s), latency {a.latency_us:g} us; no overlap")
    r = a.r1 * a.threads
    print(f"\n1. Hogwild skip-gram: {a.threads} threads a rank x {a.r1:.3g} tokens/s = {r:.3g} tokens/s a rank;"
          f" dim {a.dim}; {a.rows:.3g} rows; U(M) = {a.u0:.3g} (M/{a.m0:.3g})^{a.heaps}")
    for t in [float(x) for x in a.periods.split(",")]:
        k = r * t
        print(f"   a synchronisation every {t:g} s (K = {k:.3g} tokens a rank)")
        print(f"   {'ranks':>6} {'union rows':>11} {'MB a sync':>10} {'comm s':>8} {'Mtokens/s':>10} {'speed-up':>9} {'efficiency':>10}")
        for n in ranks:
            u = union(k)
            big_u = union(n * k)
            gathered, bits = (n - 1) * 4 * u, a.rows / 8  # bytes a rank receives, or or's
            t_ids = allgather(n, 4 * u, alpha, bw) if gathered <= bits else allreduce(n, bits, alpha, bw)
            ids_bytes = gathered if gathered <= bits else 2 * (n - 1) / n * bits
            t_rows = allreduce(n, big_u * row, alpha, bw)
            mb = 0 if n == 1 else (ids_bytes + 2 * (n - 1) / n * big_u * row) / 1e6
            comm = t_ids + t_rows
            thr = n * k / (t + comm)
            print(f"   {n:>6} {big_u:>11.3g} {mb:>10.1f} {comm:>8.3f} {thr / 1e6:>10.1f} {thr / r:>9.1f} {thr / r / n:>10.0%}")

    print(f"\n2. Recommender, row-sharded tables: {a.batch} examples a rank a step at {a.ex1:.3g} examples/s,"
          f" {a.lookups} rows of dim {a.rdim} an example, {a.dense:.3g} dense parameters")
    t_c = a.batch / a.ex1
    print(f"   {'ranks':>6} {'MB a step':>10} {'compute s':>10} {'comm s':>8} {'Mex/s':>8} {'speed-up':>9} {'efficiency':>10}")
    for n in ranks:
        ids = a.batch * a.lookups  # distinct ids at most
        to_each = ids / n  # bytes each all-to-all sends each owner: ids, rows, gradients
        t_a2a = (alltoall(n, to_each * 8, alpha, bw) + 2 * alltoall(n, to_each * a.rdim * 4, alpha, bw))
        t_dense = allreduce(n, a.dense * 4, alpha, bw)
        mb = 0 if n == 1 else ((n - 1) * to_each * (8 + 8 * a.rdim) + 2 * (n - 1) / n * a.dense * 4) / 1e6
        comm = t_a2a + t_dense
        thr = n * a.batch / (t_c + comm)
        print(f"   {n:>6} {mb:>10.2f} {t_c:>10.4f} {comm:>8.4f} {thr / 1e6:>8.2f} {thr / a.ex1:>9.1f} {thr / a.ex1 / n:>10.0%}")


if __name__ == "__main__":
    main()
