/* fastText's shared flags: their defaults in each mode. */
#include "fasttext.h"
#include "comm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ft_flags_supervised(ft_flags *f, const edl_textclf_args *a) {
    memset(f, 0, sizeof *f);
    f->supervised = 1, f->loss = edl_textclf_loss_name(a->loss), f->label = a->label;
    f->dim = a->dim, f->epoch = a->epoch, f->bucket = a->bucket, f->lr_update_rate = SIZE_MAX;
    f->ws = f->neg = SIZE_MAX, f->minn = a->minn, f->maxn = a->maxn, f->t = NAN;
    f->min_count = a->min_count, f->lr = a->lr, f->thread = a->thread, f->verbose = 2, f->seed = a->seed;
    f->word_ngrams = a->word_ngrams, f->min_count_label = a->min_count_label, f->sync_tokens = a->sync_tokens;
    args_names(f->loss_help, sizeof f->loss_help, &ARG_NAMES_TEXTCLF_LOSS, NULL, 0, "loss function {", ", ", ", ", "}");
}

void ft_flags_vectors(ft_flags *f, const edl_wordvec_args *a) {
    memset(f, 0, sizeof *f);
    f->loss = edl_textclf_loss_name(a->loss), f->label = a->label, f->word_ngrams = 1;
    f->dim = a->dim, f->epoch = a->epoch, f->bucket = a->bucket, f->lr_update_rate = a->lr_update_rate;
    f->ws = a->ws, f->neg = a->neg, f->minn = a->minn, f->maxn = a->maxn, f->t = a->t;
    f->min_count = a->min_count, f->lr = a->lr, f->thread = a->thread, f->verbose = 2, f->seed = a->seed;
    f->sync_tokens = a->sync_tokens;
    static const int losses[] = {EDL_TEXTCLF_NS, EDL_TEXTCLF_HS, EDL_TEXTCLF_SOFTMAX};
    args_names(f->loss_help, sizeof f->loss_help, &ARG_NAMES_TEXTCLF_LOSS, losses, 3, "loss function {", ", ", ", ",
               "}");
}

int ft_flags_ranks(const char *cmd, const ft_flags *f) {
    if (f->sync_tokens == 0) {
        fprintf(stderr, "edl %s: -syncTokens must be > 0 (tokens each rank trains between synchronisations)\n", cmd);
        return 1;
    }
    if (cli_ranks() > 1 && f->input && !strcmp(f->input, "-")) {
        if (cli_rank() == 0)
            fprintf(stderr,
                    "edl %s: -input -: %d ranks cannot share standard input; give a file (each rank reads its "
                    "share)\n",
                    cmd, cli_ranks());
        return 1;
    }
    return 0;
}
