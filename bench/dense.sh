#!/usr/bin/env bash
# Dense layers and the products under them, edl against the best sgemm on the machine: runs
# build/bench_dense `runs` times at each thread count and prints the median of every ratio
# (edl's dense forward+backward / the best library's three sgemms; each product alone), with the
# share of the machine other processes used meanwhile ("others", from /proc/stat).
# Usage: bench/dense.sh [runs] [threads...]        (default: 3 runs, 1 and 2 threads)
#        BEFORE=path/to/another/bench_dense bench/dense.sh ...   also runs that one, alternating,
#        and prints its medians beside (an older build's figures in the same run)
set -euo pipefail
runs=${1:-3}
shift || true
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 2)
build=${BUILD:-build}
reps=${REPS:-7}
make -s BUILD="$build" "$build/bench_dense"
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp".*' EXIT
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
# one run: "label<TAB>key<TAB>ratio" lines into $tmp.all, the others' share into $tmp.others
one() {
    local label=$1 bin=$2 t=$3 b0 b1 w u s
    b0=$(busy)
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t /usr/bin/time -f "%e %U %S" -o "$tmp.time" "$bin" "$reps" >"$tmp.out"
    b1=$(busy)
    read -r w u s <"$tmp.time"
    awk -v b0="$b0" -v b1="$b1" -v w="$w" -v u="$u" -v s="$s" -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" \
        -v l="$label" -v t="$t" 'BEGIN { o = ((b1 - b0) / hz - u - s) / (w * n) * 100; printf "%s\t%d\t%.0f\n", l, t, o < 0 ? 0 : o }' >>"$tmp.others"
    awk -v l="$label" -v t="$t" '
        /^shape batch/ { gsub(",", ""); shape = $3 " x " $5 " -> " $7 }
        /ratio edl fwd\+bwd in place/ { print l "\t" t "\t" shape "\tfwd+bwd in place\t" $NF; next }
        /ratio edl fwd\+bwd/ { print l "\t" t "\t" shape "\tfwd+bwd\t" $NF }
        / edl .*ratio / { what = $0; sub(/^ +/, "", what); sub(/ +edl .*/, "", what); print l "\t" t "\t" shape "\t" what "\t" $NF }
    ' "$tmp.out" >>"$tmp.all"
}
: >"$tmp.all"
: >"$tmp.others"
for t in "${threads[@]}"; do
    for r in $(seq "$runs"); do
        one after "$build/bench_dense" "$t"
        [ -z "${BEFORE:-}" ] || one before "$BEFORE" "$t"
    done
done
awk -F'\t' '{ print $3 }' "$tmp.others" | sort -n | awk '{ a[NR] = $1 } END { printf "others (share of the machine other processes used, per run): median %s%%, max %s%%\n", a[int((NR + 1) / 2)], a[NR] }'
printf '%-8s %-22s %-12s %-10s %s\n' threads shape what median runs
awk -F'\t' '{ k = $2 "\t" $3 "\t" $4; v[k, $1] = v[k, $1] " " $5; if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
    END { for (i = 1; i <= n; i++) { k = order[i]; split(k, f, "\t")
        for (j = 1; j <= 2; j++) { l = j == 1 ? "after" : "before"; if (!((k, l) in v)) continue
            m = split(v[k, l], x, " "); for (a = 2; a <= m; a++) for (b = a; b > 1 && x[b - 1] + 0 > x[b] + 0; b--) { tmp = x[b]; x[b] = x[b - 1]; x[b - 1] = tmp }
            med = x[int((m + 1) / 2)]
            printf "%-8s %-22s %-12s %-10s %s%s\n", f[1], f[2], f[3], med, v[k, l], j == 2 ? "  (before)" : "" } } }' "$tmp.all"
