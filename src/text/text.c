/* Tokens, vocabulary and word n-grams, with fastText's rules so its users get what they expect:
 * whitespace tokens, "</s>" for each newline, labels by prefix, FNV-1a over signed bytes, and
 * n-gram hashes h = h * 116049371 + next over the words' 32-bit hashes sign-extended to 64 bits
 * (as fastText's int32 vector of hashes makes them), taken modulo the bucket count. */
#include "model/comm.h"
#include "text/text.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

uint32_t edl__text_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint32_t)(int32_t)(int8_t)s[i];
        h *= 16777619u;
    }
    return h;
}

static int is_sep(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0';
}

edl_status edl__text_tokens(const char *text, size_t len, edl__token_fn tok, void *ctx) {
    size_t i = 0;
    while (i < len) {
        if (text[i] == '\n') {
            EDL__TRY(tok(ctx, EDL__EOS, sizeof EDL__EOS - 1));
            i++;
            continue;
        }
        if (is_sep(text[i])) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < len && !is_sep(text[i])) i++;
        EDL__TRY(tok(ctx, text + s, i - s));
    }
    return EDL_OK;
}

/* ---- vocabulary ---------------------------------------------------------------------------- */

edl_status edl__vocab_init(edl__vocab *v, const char *label_prefix) {
    memset(v, 0, sizeof *v);
    size_t n = strlen(label_prefix);
    if (n == 0 || n >= sizeof v->label)
        return edl__fail(EDL_ERR_ARG, "label prefix \"%s\" must be 1 to 63 bytes", label_prefix);
    memcpy(v->label, label_prefix, n + 1);
    v->label_len = n;
    v->table_size = 1 << 16;
    v->table = malloc(v->table_size * sizeof *v->table);
    v->offsets = malloc(sizeof *v->offsets);
    if (!v->table || !v->offsets) return edl__fail(EDL_ERR_NOMEM, "no memory for a vocabulary");
    memset(v->table, 0xff, v->table_size * sizeof *v->table);
    v->offsets[0] = 0;
    return EDL_OK;
}

void edl__vocab_free(edl__vocab *v) {
    free(v->bytes), free(v->offsets), free(v->counts), free(v->hashes), free(v->table);
    memset(v, 0, sizeof *v);
}

static int entry_is(const edl__vocab *v, size_t e, const char *s, size_t n) {
    size_t len = (size_t)(v->offsets[e + 1] - v->offsets[e]);
    return len == n && memcmp(v->bytes + v->offsets[e], s, n) == 0;
}

int32_t edl__vocab_find(const edl__vocab *v, const char *s, size_t n, uint32_t h) {
    size_t mask = v->table_size - 1;
    for (size_t slot = h & mask;; slot = (slot + 1) & mask) {
        int32_t e = v->table[slot];
        if (e < 0) return -1;
        if (v->hashes[e] == h && entry_is(v, (size_t)e, s, n)) return e;
    }
}

static edl_status grow_table(edl__vocab *v) {
    size_t ns = v->table_size * 2;
    int32_t *t = malloc(ns * sizeof *t);
    if (!t) return edl__fail(EDL_ERR_NOMEM, "no memory for a vocabulary of %zu entries", v->size);
    memset(t, 0xff, ns * sizeof *t);
    for (size_t e = 0; e < v->size; e++) {
        size_t slot = v->hashes[e] & (ns - 1);
        while (t[slot] >= 0) slot = (slot + 1) & (ns - 1);
        t[slot] = (int32_t)e;
    }
    free(v->table);
    v->table = t, v->table_size = ns;
    return EDL_OK;
}

static edl_status append_entry(edl__vocab *v, const char *s, size_t n, uint32_t h, int64_t count) {
    if (v->size == v->cap) {
        size_t c = v->cap ? 2 * v->cap : 1024;
        int64_t *no = realloc(v->offsets, (c + 1) * sizeof *no);
        if (no) v->offsets = no;
        int64_t *nc = realloc(v->counts, c * sizeof *nc);
        if (nc) v->counts = nc;
        uint32_t *nh = realloc(v->hashes, c * sizeof *nh);
        if (nh) v->hashes = nh;
        if (!no || !nc || !nh) return edl__fail(EDL_ERR_NOMEM, "no memory for a vocabulary of %zu entries", c);
        v->cap = c;
    }
    if (v->nbytes + n > v->cap_bytes) {
        size_t c = v->cap_bytes ? v->cap_bytes : 1 << 16;
        while (c < v->nbytes + n) c *= 2;
        char *nb = realloc(v->bytes, c);
        if (!nb) return edl__fail(EDL_ERR_NOMEM, "no memory for vocabulary text of %zu bytes", c);
        v->bytes = nb, v->cap_bytes = c;
    }
    memcpy(v->bytes + v->nbytes, s, n);
    v->nbytes += n;
    v->offsets[v->size + 1] = (int64_t)v->nbytes;
    v->counts[v->size] = count;
    v->hashes[v->size] = h;
    v->size++;
    return EDL_OK;
}

edl_status edl__vocab_count(edl__vocab *v, const char *s, size_t n, int32_t *entry) {
    uint32_t h = edl__text_hash(s, n);
    v->ntokens++;
    int32_t e = edl__vocab_find(v, s, n, h);
    if (e >= 0) {
        v->counts[e]++;
        *entry = e;
        return EDL_OK;
    }
    if (v->size >= INT32_MAX - 1)
        return edl__fail(EDL_ERR_NOMEM, "the vocabulary holds %zu entries, the most it can", v->size);
    if (2 * (v->size + 1) > v->table_size) EDL__TRY(grow_table(v));
    EDL__TRY(append_entry(v, s, n, h, 1));
    size_t slot = h & (v->table_size - 1);
    while (v->table[slot] >= 0) slot = (slot + 1) & (v->table_size - 1);
    v->table[slot] = *entry = (int32_t)(v->size - 1);
    return EDL_OK;
}

edl_status edl__vocab_add(edl__vocab *v, const char *s, size_t n) {
    int32_t e;
    return edl__vocab_count(v, s, n, &e);
}

int edl__vocab_is_label(const edl__vocab *v, const char *s, size_t n) {
    return n >= v->label_len && memcmp(s, v->label, v->label_len) == 0;
}

edl_status edl__vocab_reindex(edl__vocab *v) {
    free(v->table);
    v->table_size = 1 << 16;
    while (v->table_size < 2 * v->size) v->table_size *= 2;
    v->table = malloc(v->table_size * sizeof *v->table);
    if (!v->table) return edl__fail(EDL_ERR_NOMEM, "no memory for a vocabulary table");
    memset(v->table, 0xff, v->table_size * sizeof *v->table);
    for (size_t e = 0; e < v->size; e++) {
        size_t slot = v->hashes[e] & (v->table_size - 1);
        while (v->table[slot] >= 0) slot = (slot + 1) & (v->table_size - 1);
        v->table[slot] = (int32_t)e;
    }
    return EDL_OK;
}

/* Merge sort of entry ids by (words first, count descending, first appearance): stable and
   free of global state. */
static int before(const edl__vocab *v, const uint8_t *is_label, size_t a, size_t b) {
    if (is_label[a] != is_label[b]) return is_label[a] < is_label[b];
    if (v->counts[a] != v->counts[b]) return v->counts[a] > v->counts[b];
    return a < b;
}

static void merge_sort(const edl__vocab *v, const uint8_t *is_label, size_t *ids, size_t *tmp, size_t n) {
    if (n < 2) return;
    size_t h = n / 2;
    merge_sort(v, is_label, ids, tmp, h);
    merge_sort(v, is_label, ids + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = before(v, is_label, ids[j], ids[i]) ? ids[j++] : ids[i++];
    while (i < h) tmp[k++] = ids[i++];
    while (j < n) tmp[k++] = ids[j++];
    memcpy(ids, tmp, n * sizeof *ids);
}

edl_status edl__vocab_finish(edl__vocab *v, int64_t min_count, int64_t min_count_label) {
    return edl__vocab_finish_map(v, min_count, min_count_label, NULL, NULL);
}

edl_status edl__vocab_finish_map(edl__vocab *v, int64_t min_count, int64_t min_count_label, int32_t *remap,
                                 edl__vocab *old) {
    size_t n = v->size;
    size_t *ids = malloc((n ? n : 1) * sizeof *ids), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    uint8_t *is_label = calloc(n ? n : 1, 1);
    if (!ids || !tmp || !is_label) {
        free(ids), free(tmp), free(is_label);
        return edl__fail(EDL_ERR_NOMEM, "no memory to sort %zu entries", n);
    }
    size_t kept = 0;
    for (size_t e = 0; e < n; e++) {
        const char *s = v->bytes + v->offsets[e];
        size_t len = (size_t)(v->offsets[e + 1] - v->offsets[e]);
        is_label[e] = (uint8_t)edl__vocab_is_label(v, s, len);
        if (v->counts[e] >= (is_label[e] ? min_count_label : min_count)) ids[kept++] = e;
    }
    merge_sort(v, is_label, ids, tmp, kept);
    /* rebuild the entries in the new order */
    edl__vocab nv;
    edl_status s = edl__vocab_init(&nv, v->label);
    for (size_t e = 0; remap && e < n; e++) remap[e] = -1;
    for (size_t k = 0; s == EDL_OK && k < kept; k++) {
        size_t e = ids[k];
        if (remap) remap[e] = (int32_t)k;
        s = append_entry(&nv, v->bytes + v->offsets[e], (size_t)(v->offsets[e + 1] - v->offsets[e]), v->hashes[e],
                         v->counts[e]);
        if (is_label[e])
            nv.nlabels++;
        else
            nv.nwords++;
    }
    free(ids), free(tmp), free(is_label);
    if (s == EDL_OK) s = edl__vocab_reindex(&nv);
    if (s != EDL_OK) {
        edl__vocab_free(&nv);
        return s;
    }
    nv.ntokens = v->ntokens;
    if (old)
        *old = *v;
    else
        edl__vocab_free(v);
    *v = nv;
    return EDL_OK;
}

/* ---- one vocabulary from every rank's ------------------------------------------------------ */

edl_status edl__vocab_pack(const edl__vocab *v, char **out, size_t *n) {
    size_t bytes = 0;
    for (size_t e = 0; e < v->size; e++) bytes += 12 + (size_t)(v->offsets[e + 1] - v->offsets[e]);
    char *b = malloc(bytes ? bytes : 1), *p = b;
    if (!b) return edl__fail(EDL_ERR_NOMEM, "no memory for a vocabulary of %zu bytes", bytes);
    for (size_t e = 0; e < v->size; e++) { /* u32 length, i64 count, the bytes */
        uint32_t len = (uint32_t)(v->offsets[e + 1] - v->offsets[e]);
        memcpy(p, &len, 4), memcpy(p + 4, &v->counts[e], 8), memcpy(p + 12, v->bytes + v->offsets[e], len);
        p += 12 + len;
    }
    *out = b, *n = bytes;
    return EDL_OK;
}

edl_status edl__vocab_unpack_merge(edl__vocab *v, const char *all, const size_t *bytes, size_t k, size_t mine,
                                   int32_t *map, size_t nmine) {
    const char *p = all;
    for (size_t r = 0; r < k; r++) {
        const char *end = p + bytes[r];
        size_t e = 0;
        while (p < end) {
            uint32_t len;
            int64_t count;
            if (end - p < 12) return edl__fail(EDL_ERR_FORMAT, "rank %zu's vocabulary is cut short", r);
            memcpy(&len, p, 4), memcpy(&count, p + 4, 8);
            if ((size_t)(end - p - 12) < len) return edl__fail(EDL_ERR_FORMAT, "rank %zu's vocabulary is cut short", r);
            const char *s = p + 12;
            uint32_t h = edl__text_hash(s, len);
            int32_t id = edl__vocab_find(v, s, len, h);
            if (id >= 0) {
                v->counts[id] += count;
            } else {
                if (v->size >= INT32_MAX - 1)
                    return edl__fail(EDL_ERR_NOMEM, "the vocabulary holds %zu entries, the most it can", v->size);
                if (2 * (v->size + 1) > v->table_size) EDL__TRY(grow_table(v));
                EDL__TRY(append_entry(v, s, len, h, count));
                size_t slot = h & (v->table_size - 1);
                while (v->table[slot] >= 0) slot = (slot + 1) & (v->table_size - 1);
                v->table[slot] = id = (int32_t)(v->size - 1);
            }
            if (r == mine && e < nmine) map[e] = id;
            e++;
            p += 12 + len;
        }
        if (r == mine && e != nmine)
            return edl__fail(EDL_ERR_FORMAT, "rank %zu sent %zu entries, not its %zu", r, e, nmine);
    }
    return EDL_OK;
}

edl_status edl__vocab_merge(edl_comm *comm, edl__vocab *v, int32_t *map) {
    size_t k = (size_t)edl_comm_size(comm), n = 0, total = 0;
    if (k == 1) { /* one rank's vocabulary is the merged one, entry for entry */
        for (size_t e = 0; e < v->size; e++) map[e] = (int32_t)e;
        return EDL_OK;
    }
    char *blob = NULL;
    void *all = NULL;
    size_t *bytes = malloc(k * sizeof *bytes);
    edl_status s = bytes ? edl__vocab_pack(v, &blob, &n) : edl__fail(EDL_ERR_NOMEM, "no memory for %zu ranks", k);
    s = edl_comm_agree(comm, s);
    if (s == EDL_OK) s = edl__comm_allgatherv(comm, blob, n, &all, &total, bytes);
    free(blob);
    edl__vocab merged;
    int made = 0;
    /* from here every rank holds the same bytes; only memory can fail one rank alone */
    if (s == EDL_OK) s = edl__vocab_init(&merged, v->label), made = 1; /* freed whole even when it failed */
    if (s == EDL_OK) s = edl__vocab_unpack_merge(&merged, all, bytes, k, (size_t)edl_comm_rank(comm), map, v->size);
    int64_t ntokens = v->ntokens;
    if (s == EDL_OK) s = edl__comm_allreduce(comm, &ntokens, 1, EDL__COMM_I64, EDL__COMM_SUM);
    free(all), free(bytes);
    s = edl_comm_agree(comm, s);
    if (s != EDL_OK) {
        if (made) edl__vocab_free(&merged);
        return s;
    }
    merged.ntokens = ntokens;
    edl__vocab_free(v);
    *v = merged;
    return EDL_OK;
}

/* ---- lines --------------------------------------------------------------------------------- */

void edl__line_free(edl__line *l) {
    free(l->words), free(l->labels), free(l->hashes);
    memset(l, 0, sizeof *l);
}

static edl_status push32(int32_t **a, size_t *n, size_t *cap, int32_t x) {
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        int32_t *na = realloc(*a, c * sizeof *na);
        if (!na) return edl__fail(EDL_ERR_NOMEM, "no memory for a line of %zu tokens", *n);
        *a = na, *cap = c;
    }
    (*a)[(*n)++] = x;
    return EDL_OK;
}

edl_status edl__char_ngrams(const char *word, size_t len, size_t minn, size_t maxn, size_t bucket, size_t nwords,
                            edl__ngram_fn fn, void *ctx) {
    if (maxn == 0 || bucket == 0) return EDL_OK;
    char small[256], *b = small;
    size_t bl = len + 2;
    if (bl < len) return edl__fail(EDL_ERR_NOMEM, "a word of %zu bytes", len);
    if (bl > sizeof small && !(b = malloc(bl)))
        return edl__fail(EDL_ERR_NOMEM, "no memory for the n-grams of a word of %zu bytes", len);
    b[0] = '<';
    memcpy(b + 1, word, len);
    b[len + 1] = '>';
    edl_status s = EDL_OK;
    for (size_t i = 0; i < bl && s == EDL_OK; i++) {
        if ((b[i] & 0xC0) == 0x80) continue; /* start at a character */
        for (size_t j = i, k = 1; j < bl && k <= maxn && s == EDL_OK; k++) {
            j++;
            while (j < bl && (b[j] & 0xC0) == 0x80) j++;
            /* fastText leaves out the n-grams "<" and ">" alone (k == 1 at either end) */
            if (k >= minn && !(k == 1 && (i == 0 || j == bl)))
                s = fn(ctx, b + i, j - i, (int32_t)(nwords + edl__text_hash(b + i, j - i) % bucket));
        }
    }
    if (b != small) free(b);
    return s;
}

typedef struct {
    const edl__vocab *v;
    const edl__features *f;
    edl__line *l;
} line_ctx;

/* The input row of bucket b (nwords + b), or -1 when a pruned model cut the bucket off. */
static int32_t bucket_row(const edl__features *f, size_t nwords, uint64_t b) {
    if (!f->prune) return (int32_t)(nwords + b);
    int32_t r = edl__ft_prune_row(f->prune, (uint32_t)b);
    return r < 0 ? -1 : (int32_t)(nwords + (size_t)r);
}

static edl_status push_row(void *ctx, const char *s, size_t n, int32_t row) {
    line_ctx *c = ctx;
    (void)s, (void)n;
    int32_t r = bucket_row(c->f, c->v->nwords, (uint64_t)row - c->v->nwords);
    return r < 0 ? EDL_OK : push32(&c->l->words, &c->l->nwords, &c->l->cap_words, r);
}

edl_status edl__line_token(const edl__vocab *v, const edl__features *f, edl__line *l, const char *s, size_t n,
                           uint32_t h, int32_t id) {
    line_ctx c = {v, f, l};
    l->ntokens++;
    int label = id >= 0 ? (size_t)id >= v->nwords : edl__vocab_is_label(v, s, n);
    if (!label) {
        if (id >= 0) EDL__TRY(push32(&l->words, &l->nwords, &l->cap_words, id));
        /* a word's character n-grams follow it (a word out of the vocabulary has only them);
           "</s>" has none */
        if (f->maxn > 0 && !(n == sizeof EDL__EOS - 1 && !memcmp(s, EDL__EOS, n)))
            EDL__TRY(edl__char_ngrams(s, n, f->minn, f->maxn, f->bucket, v->nwords, push_row, &c));
        EDL__TRY(push32((int32_t **)&l->hashes, &l->nhashes, &l->cap_hashes, (int32_t)h));
    } else if (id >= 0) {
        EDL__TRY(push32(&l->labels, &l->nlabels, &l->cap_labels, id - (int32_t)v->nwords));
    }
    return EDL_OK;
}

static edl_status line_token(void *vc, const char *s, size_t n) {
    line_ctx *c = vc;
    uint32_t h = edl__text_hash(s, n);
    return edl__line_token(c->v, c->f, c->l, s, n, h, edl__vocab_find(c->v, s, n, h));
}

void edl__line_begin(edl__line *l) {
    l->nwords = l->nlabels = l->nhashes = 0;
    l->ntokens = 0;
}

edl_status edl__line_end(const edl__vocab *v, const edl__features *f, edl__line *l) {
    const size_t word_ngrams = f->word_ngrams, bucket = f->bucket;
    line_ctx c = {v, f, l};
    EDL__TRY(line_token(&c, EDL__EOS, sizeof EDL__EOS - 1));
    if (word_ngrams > 1 && bucket > 0) {
        for (size_t i = 0; i < l->nhashes; i++) {
            uint64_t h = (uint64_t)(int64_t)(int32_t)l->hashes[i];
            for (size_t j = i + 1; j < l->nhashes && j < i + word_ngrams; j++) {
                h = h * 116049371u + (uint64_t)(int64_t)(int32_t)l->hashes[j];
                int32_t r = bucket_row(f, v->nwords, h % bucket);
                if (r >= 0) EDL__TRY(push32(&l->words, &l->nwords, &l->cap_words, r));
            }
        }
    }
    return EDL_OK;
}

edl_status edl__line_of_ids(const edl__vocab *v, const edl__features *f, const edl__vocab *old, const int32_t *remap,
                            const int32_t *ids, size_t n, edl__line *l) {
    edl__line_begin(l);
    for (size_t i = 0; i < n; i++) {
        int32_t e = ids[i];
        EDL__TRY(edl__line_token(v, f, l, old->bytes + old->offsets[e], (size_t)(old->offsets[e + 1] - old->offsets[e]),
                                 old->hashes[e], remap[e]));
    }
    return edl__line_end(v, f, l);
}

edl_status edl__line_parse(const edl__vocab *v, const char *s, size_t n, const edl__features *f, edl__line *l) {
    line_ctx c = {v, f, l};
    edl__line_begin(l);
    EDL__TRY(edl__text_tokens(s, n, line_token, &c));
    return edl__line_end(v, f, l);
}

/* ---- fastText's model files ----------------------------------------------------------------- */

edl_status edl__vocab_from_fasttext(edl__vocab *v, const edl__ft *ft) {
    /* fastText does not write -label: its entries say by their type which are labels, and a token
       out of the dictionary is a label by fastText's default prefix, as fastText reads it */
    EDL__TRY(edl__vocab_init(v, "__label__"));
    for (int32_t i = 0; i < ft->size_words; i++) {
        const char *w = ft->bytes + ft->word_off[i];
        size_t len = ft->word_len[i];
        EDL__TRY(edl__vocab_add(v, w, len));
        if (v->size != (size_t)i + 1)
            return edl__fail(EDL_ERR_FORMAT, "%s: byte %llu: dictionary entry %d '%.64s' appears twice", ft->path,
                             (unsigned long long)ft->word_off[i], (int)i, w);
        v->counts[i] = ft->counts[i];
    }
    v->nwords = (size_t)ft->nwords, v->nlabels = (size_t)ft->nlabels, v->ntokens = ft->ntokens;
    return EDL_OK;
}

edl_status edl__fasttext_floats(const edl__ft *ft, const edl__ft_matrix *m, const char *name, int64_t first_row,
                                int64_t rows, float *dst, size_t dst_stride) {
    const size_t cols = (size_t)m->cols;
    for (int64_t r = 0; r < rows; r++) {
        float *row = dst + (size_t)r * dst_stride;
        edl__ft_row(m, first_row + r, row);
        for (size_t j = 0; j < cols; j++)
            if (!isfinite(row[j]))
                return edl__fail(EDL_ERR_NUMERIC, "%s: byte %llu: the %s matrix's row %lld holds %g", ft->path,
                                 (unsigned long long)(m->quantized
                                                          ? m->off + (uint64_t)(first_row + r)
                                                          : m->off + ((uint64_t)(first_row + r) * cols + j) * 4),
                                 name, (long long)(first_row + r), row[j]);
    }
    return EDL_OK;
}
