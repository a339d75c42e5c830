/* What this build computes with: the GEMM engine, OpenMP, MPI, and the SIMD level found at run time
 * (edl_build_info). */
#include "kernels/kernels.h"

#include <string.h>

#if defined(EDL__USE_DNNL)
#define EDL__GEMM_NAME "onednn"
#elif defined(EDL__USE_CBLAS)
#define EDL__GEMM_NAME "cblas"
#else
#define EDL__GEMM_NAME "builtin"
#endif
#ifdef _OPENMP
#define EDL__OMP_NAME "yes"
#else
#define EDL__OMP_NAME "no"
#endif
#ifdef EDL__USE_MPI
#define EDL__MPI_NAME "yes"
#else
#define EDL__MPI_NAME "no"
#endif
#define EDL__INFO(simd) "gemm=" EDL__GEMM_NAME " openmp=" EDL__OMP_NAME " mpi=" EDL__MPI_NAME " simd=" simd

/* Fixed strings, one per SIMD level found at run time: nothing to allocate or free. */
const char *edl_build_info(void) {
    const char *simd = edl__simd_name();
    if (!strcmp(simd, "avx512f")) return EDL__INFO("avx512f");
    if (!strcmp(simd, "avx2")) return EDL__INFO("avx2");
    if (!strcmp(simd, "sse2")) return EDL__INFO("sse2");
    return EDL__INFO("portable");
}
