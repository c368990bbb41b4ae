#!/usr/bin/env python3
"""How each piece spread through the swarm, from a run's client logs
(bench/swarm with KEEP_ALL_LOGS=DIR and SPDLOG_LEVEL=debug: every daemon
then logs each piece it completes, libtorrent's piece_finished_alert).

  bench/lib/spread.py RUN_DIR [STEP_S]

Times are from the first client's first completed piece. It prints:
- per STEP_S (default 20) seconds: pieces that got their first copy in
  the swarm then (what only the seeder could send), copies made in all
  (the swarm's throughput in pieces), and the seeder's mean upload
  (MiB/s, from its status lines);
- when every piece had a copy (the seeder's first pass) and what the
  seeder had sent by then, against the stored bytes it had to send once;
- how long a piece took from its first copy to its last (median, 90th
  percentile, max), for the pieces whose first copy came early and late.
A first pass that ends near stored bytes / link rate and short spreads
mean the seeder fed the swarm well; a late first pass with a short tail
means the seeder's link, an early one with a long tail the clients'.
"""
import collections
import glob
import os
import re
import sys

import rates  # bench/lib: the status lines' rates
from peer_states import stamp

PIECE = re.compile(r"^(\S+ \S+) debug .*piece: (\d+) finished downloading")


def pieces_of(path):
    got = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = PIECE.match(line)
            if m:
                got.setdefault(int(m.group(2)), stamp(m.group(1)))
    return got


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main():
    folder = sys.argv[1]
    step = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    clients = {}
    for path in glob.glob(os.path.join(folder, "*.log")):
        name = os.path.basename(path)[:-4]
        if name != "seed":
            got = pieces_of(path)
            if got:
                clients[name] = got
    if not clients:
        sys.exit("spread: no 'piece: N finished downloading' lines (SPDLOG_LEVEL=debug) in " + folder)
    seed_log = os.path.join(folder, "seed.log")
    # (time, MiB/s up) of each of the seeder's status lines.
    upload = [(row[0], row[3]) for row in rates.read(seed_log)] if os.path.exists(seed_log) else []
    t0 = min(t for got in clients.values() for t in got.values())
    first = collections.defaultdict(lambda: float("inf"))
    last = collections.defaultdict(float)
    copies = []
    for got in clients.values():
        for piece, t in got.items():
            first[piece] = min(first[piece], t - t0)
            last[piece] = max(last[piece], t - t0)
            copies.append(t - t0)
    end = max(copies)
    print("%d clients, %d pieces, last copy at %.1f s" % (len(clients), len(first), end))
    print("   t  first copies  copies made  seeder up MiB/s")
    t = 0.0
    while t <= end:
        firsts = sum(1 for v in first.values() if t <= v < t + step)
        made = sum(1 for v in copies if t <= v < t + step)
        ups = [r for tt, r in upload if t <= tt - t0 < t + step]
        print("%4d %13d %12d %16s" % (t, firsts, made, "%.2f" % (sum(ups) / len(ups)) if ups else "-"))
        t += step
    first_pass = max(first.values())
    # Each line's rate covers the time since the line before (about a second,
    # more when the daemon is busy).
    sent = sum(r * (tt - prev) for (prev, _), (tt, r) in zip(upload, upload[1:]) if tt - t0 <= first_pass)
    print("every piece had a copy at %.1f s; the seeder had sent about %.0f MiB by then (its status lines)"
          % (first_pass, sent))
    order = sorted(first, key=lambda p: first[p])
    for label, part in (("first half", order[: len(order) // 2]), ("second half", order[len(order) // 2:])):
        spreads = [last[p] - first[p] for p in part]
        print("%s of the first copies: first copy to last %.1f s median, %.1f s p90, %.1f s max"
              % (label, percentile(spreads, 0.5), percentile(spreads, 0.9), max(spreads)))


if __name__ == "__main__":
    main()
