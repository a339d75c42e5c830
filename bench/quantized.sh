#!/usr/bin/env bash
# Compressed tables: size, recall@10 of nearest neighbours against the float table, and query
# time, edl (edl_vectors_quantize / edl_vectors_nearest on the compressed rows, as `edl convert
# -quantize` and `edl nn` use them) beside FAISS (IndexScalarQuantizer QT_8bit, IndexPQ M x 8 bits)
# at the same bytes a row, same table, same queries, same exact answers.
# Usage: bench/quantized.sh [rows] [dim] [queries]     (default 1000000 300 1000)
#   env:  SCHEMES="int8 pq:50 pq:100 pq:150", BUILD=build, DIR=$BUILD/quantized (the table,
#         generated once by build/bench_quantized make: clustered low-rank rows plus noise, unit
#         length; 1.2 GB at the default size; not committed)
# Both sides run on one thread (OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1: FAISS's k-means was
# 4x slower here with two threads fighting over two shared cores), one query at a time; the
# time a query is the median over the queries (and the mean), edl and FAISS of one scheme one
# after the other. Columns: who scheme, bytes a row (codes + scales or centroids over the rows),
# file bytes, compression (float bytes / compressed), build seconds (train + encode), recall@10,
# median ms a query, mean ms a query. The first line is the float table (edl nn's float path, 20
# queries). FAISS's line needs libfaiss-dev (make bench builds build/bench_quantized_faiss then).
set -euo pipefail
rows=${1:-1000000}
dim=${2:-300}
nq=${3:-1000}
build=${BUILD:-build}
dir=${DIR:-$build/quantized}
read -r -a schemes <<<"${SCHEMES:-int8 pq:50 pq:100 pq:150}"
make -s BUILD="$build" bench >/dev/null
mkdir -p "$dir"
table=$dir/table_${rows}x${dim}.f32
truth=$dir/truth_${rows}x${dim}_${nq}.i64
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
[ -f "$table" ] || "$build/bench_quantized" make "$table" "$rows" "$dim" 1
echo "# $rows x $dim, $nq queries, recall@10 against the exact cosine top 10 of the float table"
printf "# who scheme\tbytes/row\tfile bytes\tsmaller\tbuild s\trecall@10\tms/query (median)\tms/query (mean)\n"
if [ -f "$truth" ]; then
    echo "# (exact answers from an earlier run: $truth)"
else
    "$build/bench_quantized" truth "$table" "$rows" "$dim" "$nq" "$truth"
fi
for s in "${schemes[@]}"; do
    "$build/bench_quantized" run "$table" "$rows" "$dim" "$truth" "$s" "$dir/edl_${s/:/}.safetensors"
    rm -f "$dir/edl_${s/:/}.safetensors"
    if [ -x "$build/bench_quantized_faiss" ]; then
        f=$s
        [ "$s" = int8 ] && f=sq8
        "$build/bench_quantized_faiss" "$table" "$rows" "$dim" "$truth" "$f"
    fi
done
