/* Progress printing for edl train: the library reports, the CLI draws. */
#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void progress_init(progress_state *s, int verbose) {
    s->verbose = verbose;
    s->tty = isatty(2);
    s->log = NULL;
    s->epochs = 1;
}

static void fmt_time(char *buf, size_t n, double sec) {
    if (!(sec >= 0) || sec > 359999) sec = 0;
    long t = (long)(sec + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void progress_report(const edl_progress *p, void *user) {
    progress_state *s = user;
    if (s && s->log && p->epoch_end)
        fprintf(s->log, "%zu,%.6g,%.6g,%.6g,%.6g,%.3f\n", p->epoch, p->loss, p->accuracy, p->valid_loss,
                p->valid_accuracy, p->seconds);
    if (!s || s->verbose <= 0) return;
    char eta[32], took[32], acc[32] = "", valid[64] = "";
    fmt_time(eta, sizeof eta, p->eta_seconds);
    fmt_time(took, sizeof took, p->seconds);
    if (!isnan(p->accuracy)) snprintf(acc, sizeof acc, " acc %.4f", p->accuracy);
    if (p->epoch_end && !isnan(p->valid_loss)) snprintf(valid, sizeof valid, " valid_loss %.4f%s", p->valid_loss, "");
    if (p->epoch_end && !isnan(p->valid_accuracy))
        snprintf(valid + strlen(valid), sizeof valid - strlen(valid), " valid_acc %.4f", p->valid_accuracy);
    double frac = p->total_steps ? (double)p->step / (double)p->total_steps : 1.0;
    if (s->tty) {
        enum { WIDTH = 30 };
        char bar[WIDTH + 1];
        int fill = (int)(frac * WIDTH + 0.5);
        for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
        bar[WIDTH] = '\0';
        fprintf(stderr, "\r[%s] %3.0f%% epoch %zu/%zu loss %.4f%s %.0f ex/s ETA %s\033[K", bar, 100 * frac, p->epoch,
                p->epochs, p->loss, acc, p->examples_per_second, eta);
        if (p->epoch_end)
            fprintf(stderr, "\r\033[Kepoch %zu/%zu: loss %.4f%s%s %.0f ex/s %s\n", p->epoch, p->epochs, p->loss, acc,
                    valid, p->examples_per_second, took);
    } else {
        fprintf(stderr, "%s %zu/%zu: step %llu/%llu loss %.4f%s%s lr %.3g %.0f ex/s %s%s%s\n", "epoch", p->epoch,
                p->epochs, (unsigned long long)p->step, (unsigned long long)p->total_steps, p->loss, acc, valid, p->lr,
                p->examples_per_second, p->epoch_end ? "took " : "eta ", p->epoch_end ? took : eta,
                p->epoch_end ? " (end)" : "");
    }
    fflush(stderr);
}

void progress_fasttext(const edl_progress *p, void *user) {
    const progress_state *s = user;
    if (s && s->log)
        fprintf(s->log, "%.4f,%.6g,%.6g,%.0f,%.3f\n", p->progress * s->epochs, p->loss, p->lr, p->words_per_sec_thread,
                p->seconds);
    if (s && s->verbose < 2) return;
    long eta = (long)(p->eta_seconds + 0.5);
    fprintf(stderr, "\rProgress: %5.1f%% words/sec/thread: %8.0f lr: %9.6f avg.loss: %9.6f ETA: %3ldh%2ldm%2lds",
            100 * p->progress, p->words_per_sec_thread, p->lr, p->loss, eta / 3600, eta / 60 % 60, eta % 60);
    fflush(stderr);
}

void progress_dictionary(int64_t ntokens, size_t nwords, size_t nlabels, void *user) {
    const progress_state *s = user;
    if (s && s->verbose < 1) return;
    fprintf(stderr, "Read %lldM words\nNumber of words:  %zu\nNumber of labels: %zu\n", (long long)(ntokens / 1000000),
            nwords, nlabels);
    fflush(stderr);
}

int cli_fail(const char *cmd) {
    fprintf(stderr, "edl %s: %s\n", cmd, edl_last_error());
    return 1;
}
