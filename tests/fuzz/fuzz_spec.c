/* The one-line model spec language. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    /* sizes of at most 3 digits: a valid spec of huge layers is not a parser bug, only a big
       allocation */
    for (size_t i = 0, run = 0; i < size; i++)
        if ((run = data[i] >= '0' && data[i] <= '9' ? run + 1 : 0) > 3) return 0;
    char *spec = malloc(size + 1);
    if (!spec) return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    edl_model *m = NULL;
    edl_status s = edl_model_from_spec(&m, spec, EDL_INIT_TORCH, 1);
    fuzz_check(s);
    if (s == EDL_OK) { /* its canonical spec parses to the same architecture */
        char a[1 << 14], b[1 << 14];
        edl_model *again = NULL;
        if (edl_model_spec(m, a, sizeof a) == EDL_OK) {
            if (edl_model_from_spec(&again, a, EDL_INIT_TORCH, 1) != EDL_OK)
                FUZZ_FAIL("its canonical spec does not parse");
            else if (edl_model_spec(again, b, sizeof b) != EDL_OK || strcmp(a, b))
                FUZZ_FAIL("its canonical spec does not round-trip");
        }
        edl_model_free(again);
    }
    edl_model_free(m);
    free(spec);
    return 0;
}
