#!/usr/bin/env python3
"""Peer states over time from a swarm run's client logs (bench/swarm with
KEEP_ALL_LOGS=DIR and SPDLOG_LEVEL=debug: each daemon then logs every
torrent's peer states each second, see swarm::describe_peers).

  bench/lib/peer_states.py RUN_DIR [STEP_S]

One row per STEP_S (default 20) seconds from the first client's first
status line, averaged over every client-second in which that client was
still downloading: its peers, how many choke it, how many hold pieces it
wants, how many want pieces from it, how many of those it unchokes (with
Clonezilla's 5 upload slots, fewer than 5 while more than 5 want means
an idle slot), and its requests out. Where "served" stays below both the
slots and "want from it", the uplink idles for want of an unchoke.
"""
import collections
import datetime
import glob
import os
import re
import sys

STATES = re.compile(r"^(\S+ \S+) debug torrent \S+ \S+: (\d+) peers? \((\d+) chokes? it; it wants pieces from (\d+), "
                    r"(\d+) wants? pieces from it, (\d+) of them unchoked; (\d+) requests? out\)")
STATUS = re.compile(r"^(\S+ \S+) info torrent \S+ \S+: (\w+) ")
COLUMNS = ("peers", "choke it", "it wants", "want it", "served", "requests")


def stamp(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").timestamp()


def read(path):
    """(states, first status time, last time it was downloading) of one log."""
    states, first, last = [], None, None
    with open(path, errors="replace") as f:
        for line in f:
            m = STATES.match(line)
            if m:
                states.append((stamp(m.group(1)), [int(x) for x in m.groups()[1:]]))
                continue
            m = STATUS.match(line)
            if m:
                t = stamp(m.group(1))
                first = first if first is not None else t
                if m.group(2) == "downloading":
                    last = t
    return states, first, last


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    step = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    logs = [read(p) for p in sorted(glob.glob(os.path.join(sys.argv[1], "c*.log")))]
    starts = [first for _, first, _ in logs if first is not None]
    if not starts:
        sys.exit("no client status lines in " + sys.argv[1])
    t0 = min(starts)
    sums = collections.defaultdict(lambda: [0] * (len(COLUMNS) + 1))
    for states, _, last in logs:
        for t, values in states:
            if last is None or t > last:
                continue
            row = sums[int((t - t0) // step)]
            for i, v in enumerate(values):
                row[i] += v
            row[-1] += 1
    print("     t  client-s " + " ".join(f"{c:>9}" for c in COLUMNS))
    for bucket in sorted(sums):
        row = sums[bucket]
        n = row[-1]
        print(f"{bucket * step:6d} {n:9d} " + " ".join(f"{row[i] / n:9.2f}" for i in range(len(COLUMNS))))


if __name__ == "__main__":
    main()
