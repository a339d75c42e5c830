/* Model files mutated as numbers (structure-aware): valid models of every kind are made in the
   process once (a softmax, an hs and an ova-with-hidden-layer classifier, word vectors, an mf and
   an mlp recommender, a plain model, a vectors file), and the input says which one and which
   numbers in it to replace: any decimal number inside a metadata value (counts, edl.spec's sizes),
   a tensor's shape dimension (the data resized to match, up to 1 MB) or an I64 tensor's element
   (vocabulary offsets and counts, ids, seen items), by 0, 1, -1, 2^31, 2^32, 2^62, 2^63, 2^63-1,
   2^64-1, 1e15, off by one, another number's value, their sum or difference, or swapped with it.
   The file is read by every loader; what loads must predict, answer queries and test, and no
   sanitizer may speak.
   Input: byte 0 picks the model (mod 8); then up to 8 groups of 4 bytes: slot (2 bytes, big
   endian, mod the number of slots), operation, argument (the other slot, mod). */
#include "fuzz.h"
#include "io/json.h"

enum { FM_MAX_T = 16, FM_MAX_META = 24, FM_BASES = 8, FM_MAX_SLOTS = 4096 };

typedef struct {
    char name[64], dtype[8];
    size_t rank;
    uint64_t shape[2];
    int neg[2]; /* the dimension is written as -1 */
    unsigned char *data;
    size_t nbytes;
} fm_tensor;

typedef struct {
    char *key[FM_MAX_META], *val[FM_MAX_META];
    size_t nmeta;
    fm_tensor t[FM_MAX_T];
    size_t nt;
} fm_model;

typedef struct {
    int kind; /* 0: a number in metadata value a (its b-th run of digits); 1: shape a[b]; 2: I64 a[b] */
    size_t a, b;
} fm_slot;

static void fm_free(fm_model *m) {
    for (size_t i = 0; i < m->nmeta; i++) free(m->key[i]), free(m->val[i]);
    for (size_t i = 0; i < m->nt; i++) free(m->t[i].data);
    memset(m, 0, sizeof *m);
}

static int fm_copy(fm_model *d, const fm_model *s) {
    *d = *s;
    for (size_t i = 0; i < s->nmeta; i++) d->key[i] = strdup(s->key[i]), d->val[i] = strdup(s->val[i]);
    for (size_t i = 0; i < s->nt; i++) {
        d->t[i].data = malloc(s->t[i].nbytes ? s->t[i].nbytes : 1);
        if (d->t[i].data) memcpy(d->t[i].data, s->t[i].data, s->t[i].nbytes);
    }
    return 1;
}

/* ---- the valid models ------------------------------------------------------------------------ */

static int fm_read(fm_model *m, const char *path) {
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char len8[8];
    uint64_t hlen = 0;
    int ok = fread(len8, 1, 8, f) == 8;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)len8[i] << (8 * i);
    char *h = ok && hlen < (1u << 20) ? malloc(hlen + 1) : NULL;
    ok = h && fread(h, 1, hlen, f) == hlen;
    edl__json root = {0};
    ok = ok && edl__json_parse(h, hlen, &root, NULL) == EDL_OK;
    for (size_t i = 0; ok && i < root.n; i++) {
        const edl__json *v = &root.items[i];
        if (!strcmp(root.keys[i], "__metadata__")) {
            for (size_t k = 0; k < v->n && m->nmeta < FM_MAX_META; k++, m->nmeta++)
                m->key[m->nmeta] = strdup(v->keys[k]), m->val[m->nmeta] = strdup(v->items[k].str);
            continue;
        }
        if (!strncmp(root.keys[i], "__padding__.", 12)) continue; /* edl's alignment; fm_write packs */
        if (m->nt == FM_MAX_T) break;
        fm_tensor *t = &m->t[m->nt++];
        const edl__json *dt = edl__json_get(v, "dtype"), *sh = edl__json_get(v, "shape"),
                        *of = edl__json_get(v, "data_offsets");
        snprintf(t->name, sizeof t->name, "%s", root.keys[i]);
        snprintf(t->dtype, sizeof t->dtype, "%s", dt->str);
        t->rank = sh->n;
        for (size_t k = 0; k < sh->n && k < 2; k++) t->shape[k] = sh->items[k].u;
        t->nbytes = (size_t)(of->items[1].u - of->items[0].u);
        t->data = malloc(t->nbytes ? t->nbytes : 1);
        ok = t->data && fseek(f, (long)(8 + hlen + of->items[0].u), SEEK_SET) == 0 &&
             fread(t->data, 1, t->nbytes, f) == t->nbytes;
    }
    edl__json_free(&root);
    free(h);
    fclose(f);
    return ok;
}

static const char fm_text[] = "__label__a good fine nice day\n__label__b bad poor awful\n__label__a fine good nice\n"
                              "__label__b poor awful bad day\n__label__c so so fine bad\n__label__c day so good poor\n";

/* Makes base model i as a file at path; 0 on failure. */
static int fm_make(int i, const char *path, const char *text_path) {
    edl_status s = EDL_ERR_ARG;
    if (i <= 2) {
        edl_textclf_args a;
        edl_textclf_defaults(&a);
        const size_t hidden[1] = {4};
        a.dim = 3, a.epoch = 1, a.word_ngrams = 2, a.bucket = 20, a.thread = 1, a.seed = 1;
        if (i == 1) a.loss = EDL_TEXTCLF_HS;
        if (i == 2) a.loss = EDL_TEXTCLF_OVA, a.hidden = hidden, a.nhidden = 1;
        edl_textclf *c = NULL;
        s = edl_textclf_train(&c, text_path, &a, NULL);
        if (s == EDL_OK) s = edl_textclf_save(c, path);
        edl_textclf_free(c);
    } else if (i == 3) {
        edl_wordvec_args a;
        edl_wordvec_defaults(&a, 0);
        a.dim = 3, a.epoch = 1, a.min_count = 1, a.minn = 2, a.maxn = 3, a.bucket = 20, a.thread = 1, a.seed = 1;
        edl_wordvec *w = NULL;
        s = edl_wordvec_train(&w, text_path, &a, NULL);
        if (s == EDL_OK) s = edl_wordvec_save(w, path);
        edl_wordvec_free(w);
    } else if (i <= 5) {
        edl_ratings *r = NULL;
        s = edl_ratings_create(&r);
        const int64_t u[] = {1, 1, 2, 2, 3, 3, 4}, it[] = {10, 11, 10, 12, 11, 13, 12};
        for (size_t k = 0; s == EDL_OK && k < 7; k++)
            s = edl_ratings_add(r, u[k], it[k], (float)(1 + k % 5), (int64_t)k);
        edl_rec_args a;
        edl_rec_defaults(&a, i == 4 ? EDL_REC_MF : EDL_REC_MLP);
        const size_t hidden[1] = {4};
        a.dim = 2, a.epoch = 1, a.thread = 1, a.seed = 1, a.hidden = hidden, a.nhidden = 1;
        edl_recommender *rec = NULL;
        if (s == EDL_OK) s = edl_rec_train(&rec, r, &a, NULL);
        if (s == EDL_OK) s = edl_rec_save(rec, path);
        edl_rec_free(rec);
        edl_ratings_free(r);
    } else if (i == 6) {
        edl_model *m = NULL;
        s = edl_model_from_spec(&m, "embedding_bag(rows=6,dim=2,pool=mean) dense(3,act=relu) dense(2)", EDL_INIT_TORCH,
                                1);
        const int64_t x[3] = {0, 5, 2};
        const edl_tensor extra[1] = {{"x", EDL_DTYPE_I64, 1, {3, 0}, x}};
        const char *k[1] = {"note"}, *v[1] = {"rows 6 of 2"};
        if (s == EDL_OK) s = edl_model_save_ex(m, path, k, v, 1, extra, 1);
        edl_model_free(m);
    } else {
        char vp[320];
        snprintf(vp, sizeof vp, "%s.txt", path);
        FILE *f = fopen(vp, "w");
        if (f) fputs("alpha 1 2 3\nbeta 4 5 6\ngamma -1 0 2\n", f), fclose(f);
        edl_vectors *v = NULL;
        s = f ? edl_vectors_read(&v, vp, EDL_VEC_GLOVE) : EDL_ERR_IO;
        if (s == EDL_OK) s = edl_vectors_write(v, path, EDL_VEC_SAFETENSORS);
        edl_vectors_free(v);
        unlink(vp);
    }
    return s == EDL_OK;
}

/* The valid models, made once a process (the harness's own state, not the library's). */
static const fm_model *fm_base(int i) {
    static fm_model bases[FM_BASES];
    static int made = 0;
    if (!made) {
        made = -1;
        char dir[] = "/tmp/edl-fuzz-models-XXXXXX", text[300], path[300];
        if (!mkdtemp(dir)) return NULL;
        snprintf(text, sizeof text, "%s/t.txt", dir);
        FILE *f = fopen(text, "w");
        if (f) fputs(fm_text, f), fclose(f);
        int ok = f != NULL;
        for (int b = 0; ok && b < FM_BASES; b++) {
            snprintf(path, sizeof path, "%s/m%d.safetensors", dir, b);
            ok = fm_make(b, path, text) && fm_read(&bases[b], path);
            unlink(path);
        }
        unlink(text);
        rmdir(dir);
        if (ok) made = 1;
    }
    return made == 1 ? &bases[i] : NULL;
}

/* ---- the numbers in a model ------------------------------------------------------------------ */

static size_t fm_esize(const char *dtype) { return !strcmp(dtype, "I64") ? 8 : !strcmp(dtype, "F32") ? 4 : 1; }

static size_t fm_slots(const fm_model *m, fm_slot *s) {
    size_t n = 0;
    for (size_t i = 0; i < m->nmeta; i++) {
        size_t run = 0;
        for (const char *c = m->val[i]; *c; c++)
            if (*c >= '0' && *c <= '9' && (c == m->val[i] || c[-1] < '0' || c[-1] > '9') && n < FM_MAX_SLOTS)
                s[n++] = (fm_slot){0, i, run++};
    }
    for (size_t i = 0; i < m->nt; i++)
        for (size_t d = 0; d < m->t[i].rank && d < 2 && n < FM_MAX_SLOTS; d++) s[n++] = (fm_slot){1, i, d};
    for (size_t i = 0; i < m->nt; i++)
        if (!strcmp(m->t[i].dtype, "I64"))
            for (size_t e = 0; e < m->t[i].nbytes / 8 && e < 256 && n < FM_MAX_SLOTS; e++) s[n++] = (fm_slot){2, i, e};
    return n;
}

/* Where the b-th run of digits of s starts and ends. */
static void fm_run(const char *s, size_t b, size_t *start, size_t *end) {
    size_t run = 0, i = 0;
    for (; s[i]; i++)
        if (s[i] >= '0' && s[i] <= '9' && (i == 0 || s[i - 1] < '0' || s[i - 1] > '9') && run++ == b) break;
    *start = i;
    while (s[i] >= '0' && s[i] <= '9') i++;
    *end = i;
}

static uint64_t fm_get(const fm_model *m, fm_slot s) {
    if (s.kind == 1) return m->t[s.a].shape[s.b];
    if (s.kind == 2) {
        int64_t x;
        memcpy(&x, m->t[s.a].data + 8 * s.b, 8);
        return (uint64_t)x;
    }
    size_t a, e;
    fm_run(m->val[s.a], s.b, &a, &e);
    uint64_t x = 0;
    for (size_t i = a; i < e; i++)
        x = x > (UINT64_MAX - 9) / 10 ? UINT64_MAX : x * 10 + (uint64_t)(m->val[s.a][i] - '0');
    return x;
}

static void fm_set(fm_model *m, fm_slot s, uint64_t x, int neg) {
    if (s.kind == 2) { /* (a swap may have shrunk the tensor since the slot was taken) */
        if (8 * (s.b + 1) > m->t[s.a].nbytes) return;
        int64_t v = neg ? -1 : (int64_t)x;
        memcpy(m->t[s.a].data + 8 * s.b, &v, 8);
        return;
    }
    if (s.kind == 1) {
        fm_tensor *t = &m->t[s.a];
        t->shape[s.b] = x, t->neg[s.b] = neg;
        uint64_t count = t->shape[0], es = fm_esize(t->dtype);
        if (t->rank == 2) count = t->shape[1] && count > UINT64_MAX / t->shape[1] ? UINT64_MAX : count * t->shape[1];
        if (neg || count > ((uint64_t)1 << 20) / es) return; /* the data stays: the container must refuse */
        size_t nb = (size_t)(count * es);
        unsigned char *d = realloc(t->data, nb ? nb : 1);
        if (!d) return;
        if (nb > t->nbytes) memset(d + t->nbytes, 0, nb - t->nbytes);
        t->data = d, t->nbytes = nb;
        return;
    }
    size_t a, e;
    char *v = m->val[s.a], num[32];
    fm_run(v, s.b, &a, &e);
    if (neg)
        snprintf(num, sizeof num, "-1");
    else
        snprintf(num, sizeof num, "%llu", (unsigned long long)x);
    size_t len = strlen(v), nl = strlen(num);
    char *w = malloc(len - (e - a) + nl + 1);
    if (!w) return;
    memcpy(w, v, a), memcpy(w + a, num, nl), memcpy(w + a + nl, v + e, len - e + 1);
    free(v);
    m->val[s.a] = w;
}

static void fm_mutate(fm_model *m, const uint8_t *g) {
    static fm_slot slots[FM_MAX_SLOTS];
    size_t n = fm_slots(m, slots);
    if (!n) return;
    fm_slot s = slots[((size_t)g[0] << 8 | g[1]) % n], o = slots[g[3] % n];
    uint64_t v = fm_get(m, s), w = fm_get(m, o);
    static const uint64_t fixed[] = {0,
                                     1,
                                     0,
                                     (uint64_t)1 << 31,
                                     (uint64_t)1 << 63,
                                     UINT64_MAX,
                                     0,
                                     0,
                                     0,
                                     (uint64_t)1 << 32,
                                     (uint64_t)1 << 62,
                                     INT64_MAX,
                                     0,
                                     1000000000000000ULL,
                                     0,
                                     0};
    switch (g[2] % 16) {
    case 2: fm_set(m, s, UINT64_MAX, 1); break;
    case 6: fm_set(m, s, v + 1, 0); break;
    case 7: fm_set(m, s, v - 1, 0); break;
    case 8: fm_set(m, s, w, 0), fm_set(m, o, v, 0); break; /* swapped */
    case 12: fm_set(m, s, v + w, 0); break;
    case 14: fm_set(m, s, v - w, 0); break;
    case 15: fm_set(m, s, w, 0); break;
    default: fm_set(m, s, fixed[g[2] % 16], 0); break;
    }
}

/* ---- writing and reading it ------------------------------------------------------------------ */

static void fm_put_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

static int fm_write(const fm_model *m, const char *path) {
    char *h = NULL;
    size_t hl = 0;
    FILE *f = open_memstream(&h, &hl);
    if (!f) return 0;
    fputs("{\"__metadata__\":{", f);
    for (size_t i = 0; i < m->nmeta; i++) {
        if (i) fputc(',', f);
        fm_put_string(f, m->key[i]), fputc(':', f), fm_put_string(f, m->val[i]);
    }
    fputc('}', f);
    uint64_t off = 0;
    for (size_t i = 0; i < m->nt; i++) {
        const fm_tensor *t = &m->t[i];
        fputc(',', f), fm_put_string(f, t->name);
        fprintf(f, ":{\"dtype\":\"%s\",\"shape\":[", t->dtype);
        for (size_t d = 0; d < t->rank && d < 2; d++) {
            if (t->neg[d])
                fprintf(f, "%s-1", d ? "," : "");
            else
                fprintf(f, "%s%llu", d ? "," : "", (unsigned long long)t->shape[d]);
        }
        fprintf(f, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off, (unsigned long long)(off + t->nbytes));
        off += t->nbytes;
    }
    fputc('}', f);
    fclose(f);
    FILE *o = fopen(path, "wb");
    int ok = o != NULL && h != NULL;
    if (ok) {
        size_t pad = (8 - hl % 8) % 8;
        uint64_t n = hl + pad;
        unsigned char len8[8];
        for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(n >> (8 * i));
        ok = fwrite(len8, 1, 8, o) == 8 && fwrite(h, 1, hl, o) == hl;
        for (size_t i = 0; i < pad; i++) fputc(' ', o);
        for (size_t i = 0; ok && i < m->nt; i++) ok = fwrite(m->t[i].data, 1, m->t[i].nbytes, o) == m->t[i].nbytes;
    }
    if (o) fclose(o);
    free(h);
    return ok;
}

/* Every loader; what loads is used as its CLI commands use it. Returns which loaded: 1 model,
   2 classifier, 4 word vectors, 8 recommender, 16 vectors. */
static int fm_use(const char *path) {
    int loaded = 0;
    edl_model *m = NULL;
    edl_status s = edl_model_load(&m, path);
    fuzz_check(s);
    loaded |= s == EDL_OK;
    if (s == EDL_OK) {
        char buf[1 << 14];
        edl_model_summary(m, buf, sizeof buf);
        edl_layer_info in;
        if (edl_model_layer_info(m, 0, &in) == EDL_OK && in.kind == EDL_LAYER_EMBEDDING_BAG && in.rows > 0 &&
            edl_model_output_dim(m) <= 4096) {
            float out[4096];
            int64_t idx[2] = {0, (int64_t)in.rows - 1}, off = 0;
            edl_batch b = {.n = 1, .idx = idx, .nidx = 2, .offsets = &off};
            fuzz_check(edl_model_predict(m, &b, out));
        }
    }
    edl_model_free(m);

    edl_textclf *c = NULL;
    s = edl_textclf_load(&c, path);
    fuzz_check(s);
    loaded |= c ? 2 : 0;
    if (c) {
        int64_t lab[4];
        float p[4096];
        size_t n;
        const char *lines[] = {"good fine day", "poor bad awful so", "unseen words only", ""};
        for (size_t i = 0; i < 4; i++) {
            fuzz_check(edl_textclf_predict(c, lines[i], strlen(lines[i]), 4, 0.0f, lab, p, &n));
            for (size_t j = 0; j < n; j++) edl_textclf_label(c, (size_t)lab[j], NULL); /* as predict-prob prints them */
        }
        fuzz_check(edl_textclf_predict(c, "good", 4, 1, 0.5f, lab, p, &n));
        for (size_t i = 0; i < n; i++) edl_textclf_label(c, (size_t)lab[i], NULL);
        if (edl_textclf_dim(c) <= 4096) fuzz_check(edl_textclf_sentence_vector(c, "fine so", 7, p));
        if (edl_textclf_num_labels(c) <= 4096 && edl_textclf_dim(c) <= 4096) edl_textclf_word_probs(c, "good", 4, p);
        char tp[256];
        snprintf(tp, sizeof tp, "%s.txt", path);
        FILE *f = fopen(tp, "w");
        if (f) fputs(fm_text, f), fclose(f);
        edl_textclf_meter mt;
        if (f && edl_textclf_test(c, tp, 2, 0.0f, &mt) == EDL_OK) edl_textclf_meter_free(&mt);
        unlink(tp);
    }
    edl_textclf_free(c);

    edl_wordvec *w = NULL;
    s = edl_wordvec_load(&w, path);
    fuzz_check(s);
    loaded |= w ? 4 : 0;
    if (w && edl_wordvec_dim(w) <= 4096) {
        float v[4096];
        fuzz_check(edl_wordvec_word_vector(w, "good", 4, v));
        fuzz_check(edl_wordvec_word_vector(w, "goodness", 8, v));
        edl_vectors *vs = NULL;
        if (edl_wordvec_vectors(w, &vs) == EDL_OK && edl_vectors_count(vs) > 0) {
            int64_t ids[3];
            float sims[3];
            size_t n;
            edl_vectors_nearest(vs, edl_vectors_row(vs, 0), 3, 0, NULL, 0, ids, sims, &n);
        }
        edl_vectors_free(vs);
    }
    edl_wordvec_free(w);

    edl_recommender *r = NULL;
    s = edl_rec_load(&r, path);
    fuzz_check(s);
    loaded |= r ? 8 : 0;
    if (r) {
        int64_t items[4];
        float sc[4];
        size_t n;
        const int64_t users[] = {1, 2, 4, 99};
        for (size_t i = 0; i < 4; i++) edl_rec_topk(r, users[i], 4, 1, items, sc, &n);
        edl_rec_similar(r, 10, 4, items, sc, &n);
        edl_rec_similar(r, 13, 4, items, sc, &n);
    }
    edl_rec_free(r);
    edl_vectors *v = NULL;
    loaded |= edl_vectors_read(&v, path, EDL_VEC_SAFETENSORS) == EDL_OK ? 16 : 0;
    edl_vectors_free(v);
    fuzz_read_vectors(path, EDL_VEC_SAFETENSORS);
    return loaded;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const fm_model *base = fm_base(data[0] % FM_BASES);
    if (!base) {
        FUZZ_FAIL("the valid models could not be made");
        return 0;
    }
    fm_model m;
    fm_copy(&m, base);
    for (size_t g = 1; g + 4 <= size && g < 1 + 8 * 4; g += 4) fm_mutate(&m, data + g);
    const char *path = fuzz_file(NULL, 0, ".safetensors");
    static const int kind[FM_BASES] = {2, 2, 2, 4, 8, 8, 1, 16}; /* the loader each model is for */
    int loaded = fm_write(&m, path) ? fm_use(path) : -1;
    if (size < 5 && (loaded < 0 || !(loaded & kind[data[0] % FM_BASES]))) FUZZ_FAIL("an unmutated model does not load");
    unlink(path);
    fm_free(&m);
    return 0;
}
