/* Word-vector commands: skipgram, cbow (fastText's flags), convert, nn, analogies,
 * eval-analogies, eval-similarity, print-word-vectors. */
#include "args.h"
#include "commands.h"
#include "edl.h"
#include "edl_rec.h"
#include "edl_text.h"
#include "fasttext.h"
#include "comm.h"
#include "files.h"
#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static int train_vectors(int argc, char **argv, int cbow) {
    const char *cmd = argv[1];
    edl_wordvec_args a;
    edl_wordvec_defaults(&a, cbow);
    ft_flags ft;
    ft_flags_vectors(&ft, &a);
    int binary = 0;
    const char *update = edl_wordvec_update_name(a.update), *update_default = update;
    const arg_spec specs[] = {
        FASTTEXT_FLAGS(ft),
        {"update", ARG_STR, &update,
         "edl: how -loss ns updates {window: a window at once, its words sharing one set of negatives (HogBatch); "
         "pair: fastText's exact algorithm, a (word, context) pair at once}; hs and softmax train by pair"},
        /* alone (fastText's -saveOutput style), or with 0 or 1 */
        {"binary", ARG_BOOL, &binary, "also write OUTPUT.bin (word2vec binary); -binary alone means 1"},
    };
    const arg_cmd ac = {cmd,
                        cbow ? "usage: edl cbow -input FILE -output PREFIX [flags]\n"
                             : "usage: edl skipgram -input FILE -output PREFIX [flags]\n",
                        specs, sizeof specs / sizeof specs[0]};
    const char *pos[1];
    int parsed = args_parse(&ac, argc, argv, 2, pos, 0);
    if (parsed < 0) return parsed == ARGS_HELP ? 0 : 2;
    const char *input = ft.input, *output = ft.output;
    int verbose_level = ft.verbose;
    a.dim = ft.dim, a.ws = ft.ws, a.epoch = ft.epoch, a.neg = ft.neg, a.lr = ft.lr, a.t = ft.t, a.thread = ft.thread;
    a.minn = ft.minn, a.maxn = ft.maxn, a.bucket = ft.bucket, a.lr_update_rate = ft.lr_update_rate, a.label = ft.label;
    if (!input || !output) {
        fprintf(stderr, "edl %s: -input and -output are required (edl %s -h lists the flags)\n", cmd, cmd);
        return 2;
    }
    if (ft_flags_ranks(cmd, &ft)) return 2;
    /* under mpirun every rank trains; rank 0 alone prints and writes the files */
    const int rank0 = cli_rank() == 0;
    if (!rank0) verbose_level = 0;
    a.comm = cli_comm(), a.sync_tokens = ft.sync_tokens;
    if (binary && ft.fasttext_bin) {
        fprintf(stderr, "edl %s: -binary (word2vec's .bin) and -fasttextBin (fastText's) would both write %s.bin\n",
                cmd, output);
        return 2;
    }
    static const int losses[] = {EDL_TEXTCLF_NS, EDL_TEXTCLF_HS, EDL_TEXTCLF_SOFTMAX};
    int loss;
    if (args_enum(cmd, "-loss", ft.loss, &ARG_NAMES_TEXTCLF_LOSS, losses, 3, &loss)) return 2;
    int upd;
    if (args_enum(cmd, "-update", update, &ARG_NAMES_WORDVEC_UPDATE, NULL, 0, &upd)) return 2;
    a.update = (edl_wordvec_update)upd;
    if (update != update_default && upd == EDL_WORDVEC_WINDOW && loss != EDL_TEXTCLF_NS) {
        fprintf(stderr, "edl %s: -update window is for -loss ns (-loss %s trains a pair at a time)\n", cmd, ft.loss);
        return 2;
    }
    a.loss = (edl_textclf_loss)loss, a.pretrained_vectors = ft.pretrained, a.min_count_label = ft.min_count_label;
    /* fastText takes -wordNgrams here and reads no word n-grams in its unsupervised modes: said,
       not silently dropped */
    if (ft.word_ngrams != 1 && verbose_level >= 1)
        fprintf(stderr,
                "edl %s: note: -wordNgrams %zu has no effect on %s (fastText's unsupervised modes use no word "
                "n-grams either)\n",
                cmd, ft.word_ngrams, cmd);
    char vec_path[4096], bin_path[4096], model_path[4096], out_path[4096];
    if (cli_output_path(cmd, "-output", output, ".vec", vec_path, sizeof vec_path) ||
        cli_output_path(cmd, "-output", output, ".bin", bin_path, sizeof bin_path) ||
        cli_output_path(cmd, "-output", output, ".output", out_path, sizeof out_path) ||
        cli_output_path(cmd, "-output", output, ".safetensors", model_path, sizeof model_path))
        return 1;
    const cli_file files[] = {{"-input", input, 0},
                              {"-pretrainedVectors", ft.pretrained, 0},
                              {"-output", vec_path, 1},
                              {"-output", binary || ft.fasttext_bin ? bin_path : NULL, 1},
                              {"-saveOutput", ft.save_output ? out_path : NULL, 1},
                              {"-output", model_path, 1}};
    if (cli_files_distinct(cmd, files, sizeof files / sizeof files[0])) return 1;
    progress_state ps;
    progress_init(&ps, verbose_level);
    a.min_count = ft.min_count, a.seed = ft.seed, a.progress = progress_fasttext, a.user = &ps;
    a.dictionary = progress_dictionary;
    edl_wordvec *w = NULL;
    edl_wordvec_report r;
    edl_status s = edl_wordvec_train(&w, input, &a, &r);
    if (verbose_level >= 2) fputc('\n', stderr);
    if (s != EDL_OK) return rank0 ? cli_fail(cmd) : 1; /* every rank has the one agreed message */
    if (verbose_level >= 1)
        fprintf(stderr, "trained in %.2f s: %.0f words/sec/thread, avg.loss %.6f\n", r.seconds, r.words_per_sec_thread,
                r.loss);
    if (verbose_level >= 1 && cli_ranks() > 1)
        fprintf(stderr,
                "%d ranks: %llu synchronisations, rank 0 sent %llu bytes in them, %.2f s in them (%.2f s waiting for "
                "the others)\n",
                cli_ranks(), (unsigned long long)r.syncs, (unsigned long long)r.bytes_sent, r.sync_seconds,
                r.wait_seconds);
    edl_vectors *v = NULL, *o = NULL;
    if (!rank0) { /* every rank holds the one model: rank 0 writes it */
        edl_wordvec_free(w);
        return 0;
    }
    s = edl_wordvec_vectors(w, &v);
    if (s == EDL_OK) s = edl_vectors_write(v, vec_path, EDL_VEC_TEXT);
    if (s == EDL_OK && binary) s = edl_vectors_write(v, bin_path, EDL_VEC_BINARY);
    if (s == EDL_OK && ft.fasttext_bin) s = edl_wordvec_save_fasttext(w, bin_path);
    if (s == EDL_OK && ft.save_output && (s = edl_wordvec_output_vectors(w, &o)) == EDL_OK)
        s = edl_vectors_write(o, out_path, EDL_VEC_TEXT);
    if (s == EDL_OK) s = edl_wordvec_save(w, model_path);
    edl_vectors_free(v), edl_vectors_free(o);
    edl_wordvec_free(w);
    if (s != EDL_OK) return cli_fail(cmd);
    if (verbose_level >= 1)
        fprintf(stderr, "saved %s.vec%s%s and %s.safetensors\n", output, binary || ft.fasttext_bin ? ", .bin" : "",
                ft.save_output ? ", .output" : "", output);
    return 0;
}

int cmd_skipgram(int argc, char **argv) { return train_vectors(argc, argv, 0); }
int cmd_cbow(int argc, char **argv) { return train_vectors(argc, argv, 1); }

/* -quantize int8 | pq | pq:M into a scheme and M (0: the default); 2 after a message. */
static int parse_quantize(const char *q, edl_quant_kind *kind, size_t *m) {
    *m = 0;
    if (!strcmp(q, "int8")) {
        *kind = EDL_QUANT_INT8;
        return 0;
    }
    if (!strncmp(q, "pq", 2) && (!q[2] || (q[2] == ':' && q[3] && strspn(q + 3, "0123456789") == strlen(q + 3)))) {
        *kind = EDL_QUANT_PQ;
        if (q[2]) *m = (size_t)strtoull(q + 3, NULL, 10);
        if (!q[2] || (*m >= 1 && *m <= 100000)) return 0;
    }
    fprintf(stderr, "edl convert: -quantize '%s' is not int8, pq or pq:M (M sub-vectors of the rows, 1 to 100000)\n",
            q);
    return 2;
}

/* IN compressed into OUT (safetensors): a recommender (mf, bpr) as a recommender, anything else
   edl reads as word vectors. */
static int convert_quantized(const char *in, const char *out, const char *q, uint64_t seed, int fo) {
    edl_quant_kind kind;
    size_t m;
    if (parse_quantize(q, &kind, &m)) return 2;
    if (fo != EDL_VEC_AUTO && fo != EDL_VEC_SAFETENSORS) {
        fprintf(stderr, "edl convert: -quantize writes edl's safetensors, not --to %s\n",
                edl_vec_format_name((edl_vec_format)fo));
        return 2;
    }
    if (!cli_ends_with(out, ".safetensors")) {
        fprintf(stderr, "edl convert: -quantize writes edl's safetensors: name OUT '%s' with .safetensors\n", out);
        return 2;
    }
    edl_recommender *r = NULL, *rq = NULL;
    if (cli_ends_with(in, ".safetensors") && edl_rec_load(&r, in) == EDL_OK) {
        edl_status s = edl_rec_quantize(&rq, r, kind, m, seed);
        if (s == EDL_OK) s = edl_rec_save(rq, out);
        if (s == EDL_OK)
            fprintf(stderr, "a %s recommender of %zu users and %zu items, its table as %s\n",
                    edl_rec_kind_name(edl_rec_kind_of(r)), edl_rec_num_users(r), edl_rec_num_items(r), q);
        edl_rec_free(r), edl_rec_free(rq);
        return s == EDL_OK ? 0 : cli_fail("convert");
    }
    edl_vectors *v = NULL, *vq = NULL;
    if (edl_vectors_read(&v, in, EDL_VEC_AUTO) != EDL_OK) return cli_fail("convert");
    edl_status s = edl_vectors_quantize(&vq, v, kind, m, seed);
    if (s == EDL_OK) s = edl_vectors_write(vq, out, EDL_VEC_SAFETENSORS);
    if (s == EDL_OK)
        fprintf(stderr, "%zu words x %zu as %s: %zu bytes (floats: %zu, %.2fx smaller)\n", edl_vectors_count(v),
                edl_vectors_dim(v), q, edl_vectors_table_bytes(vq), edl_vectors_table_bytes(v),
                (double)edl_vectors_table_bytes(v) / (double)edl_vectors_table_bytes(vq));
    edl_vectors_free(v), edl_vectors_free(vq);
    return s == EDL_OK ? 0 : cli_fail("convert");
}

int cmd_convert(int argc, char **argv) {
    const char *from = edl_vec_format_name(EDL_VEC_AUTO), *to = from, *pos[2], *quantize = NULL;
    uint64_t seed = 1;
    const arg_spec specs[] = {
        {"from", ARG_STR, &from, "input format"},
        {"to", ARG_STR, &to, "output format (auto: by extension)"},
        {"quantize", ARG_STR, &quantize,
         "compress word vectors or an mf/bpr recommender's table: int8 (a byte a value, a scale and offset a row) or "
         "pq[:M] (M bytes a row; M divides dim, default dim/2); OUT is .safetensors"},
        {"seed", ARG_U64, &seed, "pq: the k-means samples' seed"},
    };
    static const int formats[] = {EDL_VEC_TEXT, EDL_VEC_GLOVE, EDL_VEC_BINARY, EDL_VEC_SAFETENSORS};
    char usage[256];
    args_names(usage, sizeof usage, &ARG_NAMES_VEC_FORMAT, formats, 4,
               "usage: edl convert IN OUT [--from FMT] [--to FMT]   (FMT: ", ", ", ", ",
               ")\n       edl convert IN OUT.safetensors -quantize int8|pq[:M]\n");
    const arg_cmd ac = {"convert", usage, specs, 4};
    int parsed = args_parse(&ac, argc, argv, 2, pos, 2);
    if (parsed != 2) return args_usage_exit(&ac, parsed);
    int fi, fo;
    if (args_enum("convert", "format", from, &ARG_NAMES_VEC_FORMAT, NULL, 0, &fi) ||
        args_enum("convert", "format", to, &ARG_NAMES_VEC_FORMAT, NULL, 0, &fo))
        return 2;
    char out[4096];
    if (cli_output_path("convert", "OUT", pos[1], "", out, sizeof out)) return 1;
    const cli_file files[] = {{"IN", pos[0], 0}, {"OUT", pos[1], 1}};
    if (cli_files_distinct("convert", files, 2)) return 1;
    /* models, both formats automatic: a classifier (edl's or fastText's) into the other's file,
       a fastText word-vector model into edl's; anything else converts as word vectors */
    const char *in = pos[0], *to_path = pos[1];
    if (quantize) return convert_quantized(in, to_path, quantize, seed, fo);
    int in_model = cli_ends_with(in, ".bin") || cli_ends_with(in, ".safetensors");
    int out_model = cli_ends_with(to_path, ".bin") || cli_ends_with(to_path, ".safetensors");
    if (fi == EDL_VEC_AUTO && fo == EDL_VEC_AUTO && edl_rec_file_sharded(in)) { /* its shards merged into one file */
        if (!cli_ends_with(to_path, ".safetensors")) {
            fprintf(stderr, "edl convert: %s is a sharded recommender's index: OUT '%s' must be .safetensors\n", in,
                    to_path);
            return 2;
        }
        edl_recommender *r = NULL;
        edl_status s = edl_rec_load(&r, in);
        if (s == EDL_OK) s = edl_rec_save(r, to_path);
        if (s == EDL_OK)
            fprintf(stderr, "a %s recommender of %zu users and %zu items, its shards merged\n",
                    edl_rec_kind_name(edl_rec_kind_of(r)), edl_rec_num_users(r), edl_rec_num_items(r));
        edl_rec_free(r);
        return s == EDL_OK ? 0 : cli_fail("convert");
    }
    if (fi == EDL_VEC_AUTO && fo == EDL_VEC_AUTO && in_model && out_model) {
        edl_textclf *c = NULL;
        edl_wordvec *w = NULL;
        if (edl_textclf_load(&c, in) == EDL_OK) {
            edl_status s =
                cli_ends_with(to_path, ".bin") ? edl_textclf_save_fasttext(c, to_path) : edl_textclf_save(c, to_path);
            if (s == EDL_OK)
                fprintf(stderr, "a classifier of %zu labels, as %s\n", edl_textclf_num_labels(c),
                        cli_ends_with(to_path, ".bin") ? "fastText's .bin" : "edl's safetensors");
            edl_textclf_free(c);
            return s == EDL_OK ? 0 : cli_fail("convert");
        }
        if (cli_ends_with(in, ".bin") && cli_ends_with(to_path, ".safetensors") && edl_wordvec_load(&w, in) == EDL_OK) {
            edl_status s = edl_wordvec_save(w, to_path);
            if (s == EDL_OK) fprintf(stderr, "a word-vector model, as edl's safetensors\n");
            edl_wordvec_free(w);
            return s == EDL_OK ? 0 : cli_fail("convert");
        }
    }
    edl_vectors *v = NULL;
    if (edl_vectors_read(&v, pos[0], (edl_vec_format)fi) != EDL_OK) return cli_fail("convert");
    edl_status s = edl_vectors_write(v, pos[1], (edl_vec_format)fo);
    if (s == EDL_OK) fprintf(stderr, "%zu words x %zu\n", edl_vectors_count(v), edl_vectors_dim(v));
    edl_vectors_free(v);
    return s == EDL_OK ? 0 : cli_fail("convert");
}

/* Vectors from any file edl reads; a word-vector model, or a classifier with character n-grams,
   also gives vectors to unseen words (their subwords'). */
typedef struct {
    edl_vectors *v;
    edl_wordvec *w;
    edl_textclf *c; /* a classifier, for words' vectors as fastText makes them (print-word-vectors) */
} vec_source;

static int open_source(const char *cmd, const char *path, vec_source *src) {
    memset(src, 0, sizeof *src);
    /* models (edl's .safetensors, fastText's .bin) give their subwords; vectors files do not */
    int model = cli_ends_with(path, ".safetensors") || cli_ends_with(path, ".bin");
    if (model && edl_wordvec_load(&src->w, path) == EDL_OK) {
        if (edl_wordvec_vectors(src->w, &src->v) == EDL_OK) return 0;
        edl_wordvec_free(src->w);
        return cli_fail(cmd);
    }
    if (edl_vectors_read(&src->v, path, EDL_VEC_AUTO) != EDL_OK) return cli_fail(cmd);
    if (model && edl_textclf_load(&src->c, path) != EDL_OK) src->c = NULL;
    return 0;
}

static void close_source(vec_source *src) {
    edl_vectors_free(src->v);
    edl_wordvec_free(src->w);
    edl_textclf_free(src->c);
}

/* The vector of a word: its row, or (a model) its subwords'; 0 when it has none. */
static int word_vector(const vec_source *src, const char *word, float *vec, int64_t *id) {
    *id = edl_vectors_find(src->v, word, strlen(word));
    if (src->c) { /* fastText's: the word's row and its character n-grams', averaged */
        if (edl_textclf_word_vector(src->c, word, strlen(word), vec) != EDL_OK) return 0;
        for (size_t d = 0; d < edl_vectors_dim(src->v); d++)
            if (vec[d] != 0) return 1;
        return 0;
    }
    if (*id >= 0) return edl_vectors_get(src->v, (size_t)*id, vec) == EDL_OK; /* decoded when quantized */
    if (src->w && edl_wordvec_word_vector(src->w, word, strlen(word), vec) == EDL_OK) {
        for (size_t d = 0; d < edl_vectors_dim(src->v); d++)
            if (vec[d] != 0) return 1;
    }
    return 0;
}

static void print_neighbours(const vec_source *src, const int64_t *ids, const float *sims, size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *w = edl_vectors_word(src->v, (size_t)ids[i], &len);
        printf("%.*s %.6g\n", (int)len, w, sims[i]);
    }
}

/* Words from the arguments, else whitespace-separated from standard input (any length). */
typedef struct {
    char **argv;
    int argc, next;
    char *line; /* standard input, a line at a time */
    size_t at, len;
    edl_lines *in; /* opened for the first word it gives */
    edl_status err;
} word_source;

static const char *next_word(word_source *ws) {
    if (ws->argc > 0) return ws->next < ws->argc ? ws->argv[ws->next++] : NULL;
    for (;;) {
        while (ws->line && ws->at < ws->len && strchr(" \t\n\r\v\f", ws->line[ws->at])) ws->at++;
        if (ws->line && ws->at < ws->len) {
            char *w = ws->line + ws->at;
            while (ws->at < ws->len && !strchr(" \t\n\r\v\f", ws->line[ws->at])) ws->at++;
            if (ws->at < ws->len) ws->line[ws->at++] = '\0'; /* else the line's own NUL ends it */
            return w;
        }
        if (ws->err || (!ws->in && (ws->err = edl_lines_from_fd(&ws->in, fileno(stdin), "<stdin>")) != EDL_OK))
            return NULL;
        ws->at = 0;
        if ((ws->err = edl_lines_next(ws->in, &ws->line, &ws->len)) != EDL_OK || !ws->line) return NULL;
    }
}

/* 0, or 1 when standard input failed (said as "edl CMD: <stdin>: read error after line N: ..."). */
static int word_source_free(word_source *ws, const char *cmd) {
    edl_lines_close(ws->in);
    return ws->err != EDL_OK ? cli_fail(cmd) : 0;
}

/* -k: in [1, 100000], or a message naming the value. */
static int check_k(const char *cmd, size_t k) {
    if (k >= 1 && k <= 100000) return 0;
    fprintf(stderr, "edl %s: -k %zu must be in [1, 100000]\n", cmd, k);
    return 2;
}

/* fastText's positional k (MODEL k): a second positional of digits only is k, not a word; the
   words, if any, follow. Returns the first word's index in pos, or -1 (k named wrong). */
static int positional_k(const char *cmd, const char **pos, int np, size_t *k) {
    if (np < 2 || !pos[1][0] || strspn(pos[1], "0123456789") != strlen(pos[1])) return 1;
    char *end;
    unsigned long long v = strtoull(pos[1], &end, 10);
    if (v < 1 || v > 100000) {
        fprintf(stderr, "edl %s: k %s must be in [1, 100000]\n", cmd, pos[1]);
        return -1;
    }
    *k = (size_t)v;
    return 2;
}

int cmd_nn(int argc, char **argv) {
    size_t k = 10;
    const char *pos[64];
    const arg_spec specs[] = {{"k", ARG_SIZE, &k, "neighbours to print"}};
    const arg_cmd ac = {"nn",
                        "usage: edl nn MODEL [k]          (fastText's: words read from stdin, a prompt each)\n"
                        "       edl nn MODEL [-k 10] WORD...\n",
                        specs, 1};
    int np = args_parse(&ac, argc, argv, 2, pos, 64);
    if (np < 1) return args_usage_exit(&ac, np);
    int first = positional_k("nn", pos, np, &k);
    if (first < 0 || check_k("nn", k)) return 2;
    const int prompt = first >= np; /* fastText's interactive form: "Query word? " before each word */
    vec_source src;
    if (open_source("nn", pos[0], &src)) return 1;
    size_t dim = edl_vectors_dim(src.v);
    float *q = malloc(dim * sizeof *q), *sims = malloc(k * sizeof *sims);
    int64_t *ids = malloc(k * sizeof *ids);
    word_source ws = {(char **)pos + first, np - first, 0, NULL, 0, 0, NULL, EDL_OK};
    const char *word;
    int rc = q && sims && ids ? 0 : 1;
    if (prompt && !rc) fputs("Query word? ", stdout), fflush(stdout);
    while (!rc && (word = next_word(&ws))) {
        int64_t id;
        if (!prompt) printf("Query word? %s\n", word);
        size_t n;
        if (!word_vector(&src, word, q, &id))
            printf("(no vector for %s)\n", word);
        else if (edl_vectors_nearest(src.v, q, k, 0, &id, id >= 0, ids, sims, &n) != EDL_OK)
            rc = cli_fail("nn");
        else
            print_neighbours(&src, ids, sims, n);
        if (prompt && !rc) fputs("Query word? ", stdout), fflush(stdout);
    }
    free(q), free(sims), free(ids);
    if (word_source_free(&ws, "nn")) rc = 1;
    close_source(&src);
    return rc;
}

int cmd_analogies(int argc, char **argv) {
    size_t k = 10;
    const char *pos[64];
    const arg_spec specs[] = {{"k", ARG_SIZE, &k, "answers to print"}};
    const arg_cmd ac = {"analogies",
                        "usage: edl analogies MODEL [k]   (fastText's: triples read from stdin, a prompt each)\n"
                        "       edl analogies MODEL [-k 10] A B C ...\n"
                        "A - B + C, as fastText: berlin germany france -> paris\n",
                        specs, 1};
    int np = args_parse(&ac, argc, argv, 2, pos, 64);
    if (np < 1) return args_usage_exit(&ac, np);
    int first = positional_k("analogies", pos, np, &k);
    if (first < 0 || check_k("analogies", k)) return 2;
    if (np > first && (np - first) % 3) {
        fprintf(stderr, "edl analogies: %d words given: the words come in triples A B C\n", np - first);
        return 2;
    }
    const int prompt = first >= np; /* fastText's interactive form */
    if (prompt) printf("Loading model %s\n", pos[0]);
    vec_source src;
    if (open_source("analogies", pos[0], &src)) return 1;
    float *sims = malloc(k * sizeof *sims);
    int64_t *ids = malloc(k * sizeof *ids);
    size_t dim = edl_vectors_dim(src.v);
    float *vec = malloc(dim * sizeof *vec), *query = malloc(dim * sizeof *query);
    word_source ws = {(char **)pos + first, np - first, 0, NULL, 0, 0, NULL, EDL_OK};
    int rc = sims && ids && vec && query ? 0 : 1;
    char *w[3] = {NULL, NULL, NULL};
    for (;;) {
        if (prompt && !rc) fputs("Query triplet (A - B + C)? ", stdout), fflush(stdout);
        int got = 0;
        for (; got < 3; got++) {
            const char *x = next_word(&ws);
            if (!x) break;
            free(w[got]);
            if (!(w[got] = strdup(x))) break;
        }
        if (got < 3 || rc) break;
        /* fastText's: each word's vector (a model gives unseen words theirs from their subwords),
           each of unit length, A - B + C; the nearest words but the three */
        int64_t id[3], exclude[3];
        size_t nex = 0;
        int missing = -1;
        memset(query, 0, dim * sizeof *query);
        for (int i = 0; i < 3 && missing < 0; i++) {
            if (!word_vector(&src, w[i], vec, &id[i])) {
                missing = i;
                break;
            }
            double norm = 0;
            for (size_t d = 0; d < dim; d++) norm += (double)vec[d] * vec[d];
            float scale = (float)((i == 1 ? -1.0 : 1.0) / (sqrt(norm) + 1e-8));
            for (size_t d = 0; d < dim; d++) query[d] += scale * vec[d];
            if (id[i] >= 0) exclude[nex++] = id[i];
        }
        if (!prompt) printf("Query triplet (A - B + C)? %s %s %s\n", w[0], w[1], w[2]);
        if (missing >= 0) {
            printf("(no vector for %s)\n", w[missing]);
            continue;
        }
        size_t n;
        if (edl_vectors_nearest(src.v, query, k, 0, exclude, nex, ids, sims, &n) != EDL_OK)
            rc = cli_fail("analogies");
        else
            print_neighbours(&src, ids, sims, n);
    }
    free(sims), free(ids), free(vec), free(query);
    free(w[0]), free(w[1]), free(w[2]);
    if (word_source_free(&ws, "analogies")) rc = 1;
    close_source(&src);
    return rc;
}

int cmd_eval_analogies(int argc, char **argv) {
    size_t restrict_to = 30000;
    const char *pos[2];
    const arg_spec specs[] = {
        {"restrict", ARG_SIZE, &restrict_to, "only the first N words (word2vec's 30000; 0: all)"}};
    const arg_cmd ac = {"eval-analogies", "usage: edl eval-analogies VECTORS questions-words.txt [-restrict 30000]\n",
                        specs, 1};
    int parsed = args_parse(&ac, argc, argv, 2, pos, 2);
    if (parsed != 2) return args_usage_exit(&ac, parsed);
    vec_source src;
    if (open_source("eval-analogies", pos[0], &src)) return 1;
    edl_analogy_result r;
    edl_status s = edl_vectors_eval_analogies(src.v, pos[1], restrict_to, &r);
    if (s == EDL_OK) {
        for (size_t i = 0; i < r.nsections; i++)
            printf("%s\t%.4f\t(%zu / %zu)\n", r.sections[i].name[0] ? r.sections[i].name : "(no section)",
                   r.sections[i].total ? (double)r.sections[i].correct / (double)r.sections[i].total : 0.0,
                   r.sections[i].correct, r.sections[i].total);
        printf("total\t%.4f\t(%zu / %zu)\nskipped\t%zu\n", r.total ? (double)r.correct / (double)r.total : 0.0,
               r.correct, r.total, r.skipped);
        edl_analogy_result_free(&r);
    }
    close_source(&src);
    return s == EDL_OK ? 0 : cli_fail("eval-analogies");
}

int cmd_eval_similarity(int argc, char **argv) {
    const char *pos[2];
    static const arg_cmd ac = {
        "eval-similarity", "usage: edl eval-similarity VECTORS PAIRS   (PAIRS: 'word1 word2 score' a line)\n", NULL, 0};
    int parsed = args_parse(&ac, argc, argv, 2, pos, 2);
    if (parsed != 2) return args_usage_exit(&ac, parsed);
    vec_source src;
    if (open_source("eval-similarity", pos[0], &src)) return 1;
    double rho;
    size_t found, total;
    edl_status s = edl_vectors_eval_similarity(src.v, pos[1], &rho, &found, &total);
    if (s == EDL_OK)
        printf("spearman\t%.4f\ncoverage\t%.4f\t(%zu / %zu)\n", rho, total ? (double)found / (double)total : 0.0, found,
               total);
    close_source(&src);
    return s == EDL_OK ? 0 : cli_fail("eval-similarity");
}

int cmd_print_word_vectors(int argc, char **argv) {
    const char *pos[1];
    static const arg_cmd ac = {"print-word-vectors", "usage: edl print-word-vectors MODEL|VECTORS < words\n", NULL, 0};
    int parsed = args_parse(&ac, argc, argv, 2, pos, 1);
    if (parsed != 1) return args_usage_exit(&ac, parsed);
    vec_source src;
    if (open_source(argv[1], pos[0], &src)) return 1;
    size_t dim = edl_vectors_dim(src.v), missing = 0, words = 0;
    float *vec = malloc(dim * sizeof *vec);
    word_source ws = {NULL, 0, 0, NULL, 0, 0, NULL, EDL_OK};
    const char *word, *first_missing = NULL;
    char *first = NULL;
    while (vec && (word = next_word(&ws))) {
        int64_t id;
        words++;
        /* fastText prints zeros for a word it has no vector for; edl does too, and says so */
        if (!word_vector(&src, word, vec, &id)) {
            memset(vec, 0, dim * sizeof *vec);
            if (!missing++) first = strdup(word), first_missing = first ? first : "?";
        }
        printf("%s", word);
        for (size_t d = 0; d < dim; d++) printf(" %.5g", vec[d]);
        putchar('\n');
    }
    int rc = vec ? 0 : (fprintf(stderr, "edl %s: no memory\n", argv[1]), 1);
    if (missing) {
        fprintf(stderr, "edl %s: %zu of %zu words have no vector in %s (printed as zeros), the first '%.100s'%s\n",
                argv[1], missing, words, pos[0], first_missing,
                src.w ? "" : ": the file has no subwords to build one from");
        rc = 1;
    }
    free(first);
    free(vec);
    if (word_source_free(&ws, argv[1])) rc = 1;
    close_source(&src);
    return rc;
}

static void print_subword(const char *s, size_t n, const float *row, size_t dim, void *user) {
    (void)user;
    printf("%.*s", (int)n, s);
    for (size_t d = 0; d < dim; d++) printf(" %.5g", row[d]);
    putchar('\n');
}

/* fastText's print-ngrams: the word's subwords (its own row when it has one, then its character
   n-grams) with their vectors, from a classifier or a word-vector model. */
int cmd_print_ngrams(int argc, char **argv) {
    const char *pos[2];
    static const arg_cmd ac = {"print-ngrams", "usage: edl print-ngrams MODEL WORD\n", NULL, 0};
    int parsed = args_parse(&ac, argc, argv, 2, pos, 2);
    if (parsed != 2) return args_usage_exit(&ac, parsed);
    edl_wordvec *w = NULL;
    edl_textclf *c = NULL;
    edl_status s = edl_wordvec_load(&w, pos[0]);
    if (s != EDL_OK && (s = edl_textclf_load(&c, pos[0])) != EDL_OK) {
        if (!strstr(edl_last_error(), "not an edl text classifier")) return cli_fail("print-ngrams");
        fprintf(stderr, "edl print-ngrams: %s: neither a text classifier nor a word-vector model of edl\n", pos[0]);
        return 1;
    }
    if (s == EDL_OK)
        s = w ? edl_wordvec_subwords(w, pos[1], strlen(pos[1]), print_subword, NULL)
              : edl_textclf_subwords(c, pos[1], strlen(pos[1]), print_subword, NULL);
    edl_wordvec_free(w);
    edl_textclf_free(c);
    return s == EDL_OK ? 0 : cli_fail("print-ngrams");
}
