/* Learning-rate schedules, the one place every trainer takes its rate from: the mini-batch
 * engine (train.c), the Hogwild engine (hogwild.c, fastText's linear decay over tokens) and the
 * recommenders' blocked trainer (linear over batches). */
#include "common/internal.h"

#include <math.h>

float edl_schedule_lr(edl_schedule s, float base_lr, uint64_t step, uint64_t total, uint64_t warmup) {
    if (warmup > 0 && step < warmup) return base_lr * (float)((double)(step + 1) / (double)warmup);
    if (s == EDL_SCHED_CONSTANT || total <= warmup) return base_lr;
    double progress = (double)(step - warmup) / (double)(total - warmup);
    if (progress > 1.0) progress = 1.0;
    if (s == EDL_SCHED_LINEAR) return (float)(base_lr * (1.0 - progress));
    return (float)(base_lr * 0.5 * (1.0 + cos(3.14159265358979323846 * progress)));
}
