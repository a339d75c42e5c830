/* Training throughput of the model, edl side: examples/s of forward + backward + Adam.
 *
 *   build/bench_train [steps] [sparse]
 * Model: embedding_bag(rows=5000,dim=64,pool=mean) dense(128,act=relu) dense(10), batch 256,
 * bags of 50 uniform random ids, random labels, Adam (lr 1e-3). sparse=0 (default) updates the
 * whole table each step as torch.optim.Adam does on nn.EmbeddingBag's dense gradient; sparse=1
 * uses edl's lazy row updates (torch.optim.SparseAdam's rule). bench/train.sh runs this beside
 * bench/torch_train.py with the same settings and threads.
 */
#include "bench.h"
#include "edl.h"

#include <stdint.h>

enum { BATCH = 256, BAG = 50, ROWS = 5000, CLASSES = 10, NBATCH = 16 };

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 300;
    int sparse = argc > 2 ? atoi(argv[2]) : 0;
    if (steps < 10) steps = 10;
    const char *spec = sparse ? "embedding_bag(rows=5000,dim=64,pool=mean) dense(128,act=relu) dense(10)"
                              : "embedding_bag(rows=5000,dim=64,pool=mean,sparse=0) dense(128,act=relu) dense(10)";
    edl_model *m = NULL;
    edl_optim *o = NULL;
    edl_optim_config oc;
    edl_optim_defaults(&oc, EDL_OPT_ADAM);
    if (edl_model_from_spec(&m, spec, EDL_INIT_TORCH, 1) != EDL_OK || edl_optim_create(&o, m, &oc) != EDL_OK) {
        fprintf(stderr, "bench_train: %s\n", edl_last_error());
        return 1;
    }
    /* a few pre-made batches, cycled, as the PyTorch side does */
    edl_rng rng;
    edl_rng_seed(&rng, 2);
    static int64_t idx[NBATCH][BATCH * BAG], offsets[BATCH], labels[NBATCH][BATCH];
    for (int b = 0; b < NBATCH; b++) {
        for (int i = 0; i < BATCH * BAG; i++) idx[b][i] = (int64_t)edl_rng_below(&rng, ROWS);
        for (int i = 0; i < BATCH; i++) labels[b][i] = (int64_t)edl_rng_below(&rng, CLASSES);
    }
    for (int i = 0; i < BATCH; i++) offsets[i] = (int64_t)i * BAG;
    double t0 = 0;
    float loss = 0;
    const int warm = 10;
    for (int s = 0; s < steps + warm; s++) {
        if (s == warm) t0 = bench_now();
        edl_batch b = {
            .n = BATCH, .idx = idx[s % NBATCH], .nidx = BATCH * BAG, .offsets = offsets, .labels = labels[s % NBATCH]};
        if (edl_model_forward_backward(m, &b, NULL, &loss) != EDL_OK || edl_optim_step(o, oc.lr) != EDL_OK) {
            fprintf(stderr, "bench_train: %s\n", edl_last_error());
            return 1;
        }
    }
    double dt = bench_now() - t0;
    printf("edl %s: %d steps, batch %d, %d threads: %.0f examples/s (loss %.4f)\n", sparse ? "lazy-adam" : "adam",
           steps, BATCH, bench_threads(), steps * (double)BATCH / dt, loss);
    edl_optim_free(o);
    edl_model_free(m);
    return 0;
}
