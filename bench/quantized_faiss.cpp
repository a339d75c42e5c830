// FAISS beside bench/quantized.c on the same table, queries and exact answers.
//
//   build/bench_quantized_faiss TABLE N DIM TRUTH sq8|pq:M
//
// sq8: IndexScalarQuantizer(DIM, QT_8bit, inner product): a byte a value (DIM bytes a row), its
// range per dimension learnt from the table. pq:M: IndexPQ(DIM, M, 8 bits, inner product): M bytes
// a row, trained as FAISS trains it (k-means of 25 rounds on at most 65,536 sampled rows a
// sub-quantizer). The rows are of unit length, so the inner product orders them as cosine does.
// Each query (row q * N / NQ of the table) is searched alone (one thread, as bench/quantized.c
// times edl) for 11 rows; the query's own row is dropped and the first 10 compared with the exact
// top 10. Prints the line format of bench/quantized.c.
#include <faiss/IndexPQ.h>
#include <faiss/IndexScalarQuantizer.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char **argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: bench_quantized_faiss TABLE N DIM TRUTH sq8|pq:M\n");
        return 2;
    }
    const size_t n = std::strtoull(argv[2], nullptr, 10), dim = std::strtoull(argv[3], nullptr, 10), K = 10;
    const std::string scheme = argv[5];
    std::vector<float> t(n * dim);
    FILE *f = std::fopen(argv[1], "rb");
    if (!f || std::fread(t.data(), sizeof(float), n * dim, f) != n * dim) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    std::fclose(f);
    f = std::fopen(argv[4], "rb");
    std::vector<int64_t> truth;
    if (f) {
        int64_t x;
        while (std::fread(&x, sizeof x, 1, f) == 1) truth.push_back(x);
        std::fclose(f);
    }
    const size_t nq = truth.size() / K;
    if (!nq) {
        std::fprintf(stderr, "no answers in %s\n", argv[4]);
        return 1;
    }
    std::unique_ptr<faiss::Index> index;
    if (scheme == "sq8")
        index.reset(new faiss::IndexScalarQuantizer(dim, faiss::ScalarQuantizer::QT_8bit, faiss::METRIC_INNER_PRODUCT));
    else if (scheme.rfind("pq:", 0) == 0)
        index.reset(new faiss::IndexPQ(dim, std::strtoull(scheme.c_str() + 3, nullptr, 10), 8, faiss::METRIC_INNER_PRODUCT));
    else {
        std::fprintf(stderr, "scheme %s is not sq8 or pq:M\n", scheme.c_str());
        return 2;
    }
    double t0 = now();
    index->train(n, t.data());
    index->add(n, t.data());
    const double build = now() - t0;
    const size_t code = index->sa_code_size();
    omp_set_num_threads(1);
    std::vector<double> ms(nq);
    std::vector<float> d(K + 1);
    std::vector<faiss::Index::idx_t> got(K + 1);
    size_t hits = 0;
    double total = 0;
    for (size_t j = 0; j < nq; j++) {
        const int64_t self = (int64_t)(j * n / nq);
        double a = now();
        index->search(1, t.data() + (size_t)self * dim, K + 1, d.data(), got.data());
        ms[j] = 1e3 * (now() - a), total += ms[j];
        size_t kept = 0;
        for (size_t x = 0; x <= K && kept < K; x++) {
            if (got[x] == self || got[x] < 0) continue;
            kept++;
            for (size_t c = 0; c < K; c++) hits += got[x] == truth[j * K + c];
        }
    }
    std::sort(ms.begin(), ms.end());
    const double med = nq % 2 ? ms[nq / 2] : 0.5 * (ms[nq / 2 - 1] + ms[nq / 2]);
    const size_t extra = scheme == "sq8" ? 2 * dim * sizeof(float) : dim * 256 * sizeof(float);
    std::printf("faiss %s\t%.1f\t%zu\t%.2f\t%.1f\t%.4f\t%.3f\t%.3f\n", scheme.c_str(), (double)(n * code + extra) / (double)n, n * code + extra,
                (double)(n * dim * 4) / (double)(n * code + extra), build, (double)hits / (double)(nq * K), med,
                total / (double)nq);
    return 0;
}
