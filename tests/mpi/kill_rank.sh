#!/bin/sh
# Run by tests/test_mpi_faults.c: starts `mpirun -np NP EDL ARGS...` on this machine, waits until
# rank RANK has started, kills it with SIGKILL, and prints how long mpirun took to stop every
# other rank ("stopped after S s"), mpirun's exit status, and everything the run printed.
# usage: kill_rank.sh NP RANK EDL ARGS...
np=$1 rank=$2 edl=$3
shift 3
log=$(mktemp)
mpirun --oversubscribe --bind-to none -np "$np" "$edl" "$@" >"$log" 2>&1 &
runner=$!
# the rank's process: a child of this mpirun whose environment names it (Open MPI sets
# OMPI_COMM_WORLD_RANK)
victim=
for _ in $(seq 1 200); do
    for p in $(pgrep -P "$runner" || true); do # mpirun's own children only, not another run's
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank"; then victim=$p; fi
    done
    [ -n "$victim" ] && break
    sleep 0.05
done
if [ -z "$victim" ]; then
    echo "rank $rank never started"
    kill "$runner" 2>/dev/null
    wait "$runner"
    cat "$log"
    rm -f "$log"
    exit 1
fi
sleep 1 # into training
ranks=$(pgrep -P "$runner" || true)
kill -9 "$victim"
t0=$(date +%s%N)
wait "$runner"
status=$?
t1=$(date +%s%N)
echo "stopped after $(((t1 - t0) / 1000000)) ms, mpirun status $status"
left=0 # of the ranks that ran, those still running (a zombie has ended: its parent is gone)
for p in $ranks; do
    st=$(ps -o stat= -p "$p" 2>/dev/null || true)
    case $st in "" | Z*) ;; *) left=$((left + 1)) ;; esac
done
echo "$left processes left"
cat "$log"
rm -f "$log"
