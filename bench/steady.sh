#!/usr/bin/env bash
# Steady threads: N back-to-back runs of `edl skipgram` and `edl supervised` at -thread 2, for one
# binary or two (runs alternating: old, new, old, new, ...), and the spread of their wall times
# (the maximum over the median). Each run prints (bench/machine_share.py):
#   wall s, train s  the wall time, and the training time edl reports
#   cpu s, cores     edl's CPU time (user + system), and that over the wall time
#   others %         the share of the machine's cores other processes used meanwhile (/proc/stat)
#   sessions         the mean count of other sessions with a runnable thread (autogroups: Linux
#                    shares the cores between sessions, so 2 threads get about 2 / (sessions + 1)
#                    cores of 2 while the others are busy)
#   waits            edl's voluntary context switches (blocked: the disk, a lock)
#   us/ex, busiest   the classifier's training threads' CPU time an example (edl -verbose 1's
#                    "training threads" line: the threads' own CPU clocks, so a core taken by
#                    another process leaves it alone and a slow state inside edl -- threads stalling
#                    on shared lines, denormals, spinning in the loop -- grows it), and the busiest
#                    thread's examples over an even share; "-" where the binary does not say
#   line ns          a cache line's round trip between cores 0 and 1 just before and just after
#                    the run (build/bench_line_transfer: what each row both threads write costs;
#                    on a virtual machine it follows where the host runs the two virtual CPUs: on
#                    the Zen 4 VMs ~55 ns on one core complex, ~310 on two, and the host moves
#                    them within seconds)
#   pair x, share x  right after the run, build/bench_pair_probe: two threads' Hogwild-like steps at
#                    once over one alone, each thread on its own table (pair x: what the host and the
#                    shared cache cost a pair of busy vCPUs, nothing of edl's) and on one table over
#                    their own (share x: what writing the same hot rows costs on these cores now)
# A run slowed because other processes took the cores shows others % and sessions up, cores down
# and its CPU time unchanged; one slowed inside edl (threads stalling on shared cache lines,
# spinning) shows its CPU time grown; one blocked inside edl, cores below what the others left.
#
#   bench/steady.sh [runs] [lines]
#     runs:  back-to-back runs of each command and binary (default 10)
#     lines: the skip-gram corpus (bench/make_corpus.py, default 30000 lines, about 0.6M tokens)
#     env:   NEW=build/edl (made if missing), OLD=/work/base17/build/edl (OLD= times NEW alone),
#            THREADS=2, CMDS="skipgram supervised" (the commands timed)
set -euo pipefail
cd "$(dirname "$0")/.." # the repository: build/, data/, bench/
runs=${1:-10}
lines=${2:-30000}
threads=${THREADS:-2}
cmds=${CMDS:-skipgram supervised}
new=${NEW:-build/edl}
old=${OLD-/work/base17/build/edl}
[ "$new" = build/edl ] && make -s build/edl
make -s build/bench_line_transfer build/bench_pair_probe
bins=("$new")
names=(new)
if [ -n "$old" ]; then
    [ -x "$old" ] || { echo "no $old (OLD= to time $new alone)"; exit 1; }
    bins=("$old" "$new")
    names=(old new)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/make_corpus.py "$tmp" "$lines" >/dev/null
# skip-gram as bench/wordvec.sh trains it; the classifier on the spam set with bigrams
# (-bucket 200000: training is what is timed, not writing a table of 2M rows)
sg=(skipgram -input "$tmp/corpus.txt" -output "$tmp/e" -dim 100 -ws 5 -epoch 5 -minCount 5 -neg 5 -t 1e-4
    -lr 0.025 -minn 0 -maxn 0)
sup=(supervised -input data/spam.train -output "$tmp/s" -wordNgrams 2 -bucket 200000 -epoch 25)
echo "$runs back-to-back runs each at -thread $threads; $(nproc) cores, $(uname -r);" \
    "autogroup $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo -); skip-gram on $lines lines"
fmt='%-10s %-4s %3s %7s %8s %6s %6s %7s %9s %6s %9s %6s %7s %6s %7s\n'
printf "$fmt" command bin run "wall s" "train s" "cpu s" cores "others%" sessions waits "line ns" "us/ex" busiest \
    "pair x" "share x"
for cmd in $cmds; do
    for r in $(seq "$runs"); do
        for k in "${!bins[@]}"; do
            if [ $cmd = skipgram ]; then args=("${sg[@]}"); else args=("${sup[@]}"); fi
            line_ns=$(build/bench_line_transfer 20 2000 | sed -n 's/.*min \([0-9]*\) ns.*/\1/p')
            line_ns=${line_ns:--}
            /usr/bin/python3 bench/machine_share.py "$tmp/share" "${bins[$k]}" "${args[@]}" -thread "$threads" \
                -verbose 1 2>"$tmp/err" >/dev/null || { cat "$tmp/err"; exit 1; }
            read -r w cpu cores others waits sessions <"$tmp/share"
            train=$(sed -n 's/^trained in \([0-9.]*\) s.*/\1/p' "$tmp/err")
            us=$(sed -n 's/^training threads: .* CPU, \([0-9.]*\) us CPU an example.*/\1/p' "$tmp/err")
            busiest=$(sed -n 's/^training threads: .*busiest thread \([0-9.]*\) of.*/\1/p' "$tmp/err")
            after=$(build/bench_line_transfer 20 2000 | sed -n 's/.*min \([0-9]*\) ns.*/\1/p')
            line_ns=$line_ns/${after:--}
            read -r pair share < <(build/bench_pair_probe 50000 3 | sed -n 's/.*private\/alone \([0-9.]*\), shared\/private \([0-9.]*\).*/\1 \2/p')
            printf "$fmt" $cmd "${names[$k]}" "$r" "$w" "$train" "$cpu" "$cores" "$others" "$sessions" "$waits" "$line_ns" \
                "${us:--}" "${busiest:--}" "$pair" "$share"
            echo "$cmd ${names[$k]} $w $train $cpu $others ${us:-0} ${line_ns%/*} ${line_ns#*/}" >>"$tmp/all"
        done
    done
done
echo
echo "spread: the maximum over the median of the $runs runs' wall time, of the training time edl reports,"
echo "of edl's CPU time, of the training threads' CPU time an example (the classifier, where the binary says it:"
echo "an edl-internal slow state shows here, the neighbours' share of the cores does not); and of the wall time"
echo "over the runs in which others used < 10% ('quiet', if any); the runs whose line round trips before and"
echo "after were both under 150 ns ('near': the two vCPUs on one core complex), their wall time's max/med, and"
echo "the median wall time of the others ('far': two complexes, or moved during the run) over the near runs'"
printf '%-10s %-4s %9s %8s %10s %8s %8s %8s %8s %8s %8s %6s %10s %5s %9s %9s\n' command bin "med wall" max/med \
    "med train" max/med "med cpu" max/med "med us/ex" max/med "max oth%" quiet "quiet m/m" near "near m/m" "far/near"
for cmd in $cmds; do
    for name in "${names[@]}"; do
        awk -v c=$cmd -v b="$name" '
            function med(a, n,   i, j, t) {
                for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
            $1 == c && $2 == b { n++; w[n] = $3; t[n] = $4; u[n] = $5; o = $6 > o ? $6 : o; e[n] = $7
                mw = $3 > mw ? $3 : mw; mt = $4 > mt ? $4 : mt; mu = $5 > mu ? $5 : mu; me = $7 > me ? $7 : me
                if ($6 < 10) { q++; qw[q] = $3; mq = $3 > mq ? $3 : mq }
                if ($8 + 0 > 0 && $8 < 150 && $9 + 0 > 0 && $9 < 150) { ne++; nw[ne] = $3; mn = $3 > mn ? $3 : mn } else { fa++; fw[fa] = $3 } }
            END { a = med(w, n); x = med(t, n); y = med(u, n); z = q ? sprintf("%.2f", mq / med(qw, q)) : "-"
                ue = med(e, n); ev = ue > 0 ? sprintf("%.2f", ue) : "-"; er = ue > 0 ? sprintf("%.2f", me / ue) : "-"
                nm = ne ? med(nw, ne) : 0; nr = ne ? sprintf("%.2f", mn / nm) : "-"
                fr = ne && fa ? sprintf("%.2f", med(fw, fa) / nm) : "-"
                printf "%-10s %-4s %9.2f %8.2f %10.2f %8.2f %8.2f %8.2f %8s %8s %8d %6d %10s %5d %9s %9s\n",
                c, b, a, mw / a, x, mt / x, y, mu / y, ev, er, o, q, z, ne, nr, fr }' "$tmp/all"
    done
done
