/* Ratings files: u.data, ratings.dat, ratings.csv and CSV with chosen columns (the first byte
   picks the format and the bad-row policy), then a split and a tiny model on what was read. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > (1 << 16)) return 0;
    const char *path = fuzz_file(data + 1, size - 1, ".data");
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    o.format = (edl_ratings_format)(data[0] % 4), o.skip_bad = data[0] >> 2 & 1;
    if (data[0] >> 3 & 1) o.rating_col = -1, o.time_col = -1;
    if (data[0] >> 4 & 1) o.sep = ';';
    edl_ratings *r = NULL, *a = NULL, *b = NULL;
    edl_ratings_report rep;
    edl_status s = edl_ratings_read(&r, path, &o, &rep);
    fuzz_check(s);
    if (s == EDL_OK && edl_ratings_count(r) > 0) {
        fuzz_check(edl_ratings_split(r, EDL_SPLIT_LAST, 0, 1, &a, &b));
        edl_rec_args ra;
        edl_rec_defaults(&ra, (edl_rec_kind)(data[0] >> 5 & 3));
        ra.dim = 2, ra.epoch = 1, ra.thread = 1;
        edl_recommender *m = NULL;
        fuzz_check(edl_rec_train(&m, r, &ra, NULL));
        edl_rec_metrics met;
        if (m && b) fuzz_check(edl_rec_evaluate(m, b, 3, &met));
        edl_rec_free(m);
    }
    edl_ratings_free(r), edl_ratings_free(a), edl_ratings_free(b);
    unlink(path);
    return 0;
}
