/* Training text: fastText's format (labels and words) through the classifier's reader, and edl
   train's `TARGET INPUTS...` datasets (the first byte picks which and how). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > (1 << 16)) return 0;
    const char *path = fuzz_file(data + 1, size - 1, ".txt");
    if (data[0] & 1) {
        edl_textclf_args a;
        edl_textclf_defaults(&a);
        a.dim = 2, a.epoch = 1, a.thread = 1, a.word_ngrams = 1 + (data[0] >> 1 & 1), a.bucket = 16;
        a.loss = (edl_textclf_loss)((data[0] >> 2) % 3);
        edl_textclf *c = NULL;
        edl_textclf_report r;
        fuzz_check(edl_textclf_train(&c, path, &a, &r));
        if (c) {
            edl_textclf_meter meter;
            if (edl_textclf_test(c, path, 1, 0.0f, &meter) == EDL_OK) edl_textclf_meter_free(&meter);
        }
        edl_textclf_free(c);
    } else {
        edl_dataset *d = NULL;
        fuzz_check(edl_dataset_load_text(&d, path, (data[0] >> 1) % 3, (data[0] >> 3) % 3));
        edl_dataset_free(d);
    }
    unlink(path);
    return 0;
}
