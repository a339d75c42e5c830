#!/usr/bin/env python3
"""Runs a command and says what share of the machine it had: its wall and CPU time, the cores it
used (CPU time / wall), the share of the machine's cores other processes used meanwhile (from
/proc/stat, less the command's own CPU time, as bench/recommend.sh computes it), its voluntary
context switches (waits: for the disk, a lock, a sleep), and the other sessions that wanted a core.

Linux with autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled = 1, each login or
setsid session one group) shares the cores fairly between sessions, not threads: while k other
sessions each keep a core busy, a command's threads together get about ncores / (k + 1) cores,
whatever their number. So the mean count of other sessions with a runnable thread, sampled every
0.2 s (about 1% of a core), tells "slow because the cores were taken" from "slow inside edl".

    machine_share.py OUT CMD [ARG...]
The command's stdout and stderr pass through; one line goes to the file OUT:
    wall_s cpu_s cores others_pct waits sessions     (sessions: "-" without autogroup)
The exit status is the command's.
"""
import os
import resource
import subprocess
import sys
import threading
import time


def busy_jiffies():
    with open("/proc/stat") as f:
        v = f.readline().split()[1:]
    return sum(int(v[i]) for i in (0, 1, 2, 5, 6, 7))  # user nice system irq softirq steal


def autogroup(pid):
    try:
        with open(f"/proc/{pid}/autogroup") as f:
            w = f.read().split()
        return w[0] if w else None  # kernel threads: none
    except OSError:
        return None


def busy_sessions(mine):
    """Autogroups other than mine with a runnable thread now."""
    groups = set()
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        g = autogroup(p)
        if g is None or g == mine:
            continue
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/stat") as f:
                    s = f.read()
                if s[s.rfind(")") + 2] == "R":
                    groups.add(g)
                    break
        except OSError:
            pass
    return len(groups)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: machine_share.py OUT CMD [ARG...]")
    out, cmd = sys.argv[1], sys.argv[2:]
    mine = autogroup("self")
    hz = os.sysconf("SC_CLK_TCK")
    ncpu = os.cpu_count() or 1
    s0 = resource.getrusage(resource.RUSAGE_SELF)
    b0, t0 = busy_jiffies(), time.monotonic()
    p = subprocess.Popen(cmd)
    ks, done = [], threading.Event()

    def sample():  # beside the wait, so the wall time is the exit's, not the next sample's
        while mine is not None and not done.wait(0.2):
            ks.append(busy_sessions(mine))

    sampler = threading.Thread(target=sample)
    sampler.start()
    p.wait()
    wall = time.monotonic() - t0
    done.set()
    sampler.join()
    b1 = busy_jiffies()
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = r.ru_utime + r.ru_stime
    s1 = resource.getrusage(resource.RUSAGE_SELF)  # the sampling's own CPU time is no other's
    me = s1.ru_utime + s1.ru_stime - s0.ru_utime - s0.ru_stime
    others = max(0.0, ((b1 - b0) / hz - cpu - me) / (wall * ncpu) * 100)
    sessions = f"{sum(ks) / len(ks):.1f}" if ks else "-"
    with open(out, "w") as f:
        f.write(f"{wall:.2f} {cpu:.2f} {cpu / wall:.2f} {others:.0f} {r.ru_nvcsw} {sessions}\n")
    sys.exit(p.returncode)


if __name__ == "__main__":
    main()
