#!/usr/bin/env python3
"""Per-node rates over time from a swarm run's daemon logs (bench/swarm
KEEP_LOGS=DIR; each daemon logs a status line a second, with the rates of
that second: what moved since the line before, not libtorrent's 5 s
average).

  bench/lib/rates.py DIR [STEP_S]

One row per STEP_S (default 5) seconds from the first client's first
byte: for the seeder its mean upload (MiB/s) and its peers at the end of
the step; for each client its mean download and upload and its peers. A
link's capacity is RATE / 8 (50 Mbit/s: 5.96 MiB/s), so the table shows at
a glance whose link is idle, and who holds few peers.
"""
import datetime
import glob
import os
import re
import sys

STATUS = re.compile(r"^(\S+ \S+) info torrent \S+ \S+: (\w+) ([\d.]+)%.*down ([\d.]+) MiB/s, up ([\d.]+) MiB/s, (\d+) peer")


def read(path):
    rows = []
    with open(path, errors="replace") as f:
        for line in f:
            m = STATUS.match(line)
            if m:
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
                rows.append((t, float(m.group(3)), float(m.group(4)), float(m.group(5)), int(m.group(6))))
    return rows


def main():
    folder = sys.argv[1]
    step = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    series = {}
    for path in glob.glob(os.path.join(folder, "*.log")):
        rows = read(path)
        if rows:
            series[os.path.basename(path)[:-4]] = rows
    clients = sorted((n for n in series if n != "seed"), key=lambda n: int(n[1:]) if n[1:].isdigit() else 0)
    starts = [r[0] for n in clients for r in series[n] if r[2] > 0 or r[1] > 0]
    if not starts:
        sys.exit("rates: no client status lines with data in " + folder)
    t0 = min(starts)
    end = max(r[0] for rows in series.values() for r in rows)
    names = (["seed"] if "seed" in series else []) + clients
    print("   t " + " ".join("%16s" % n for n in names))
    t = t0
    while t < end:
        cells = []
        for n in names:
            rows = [r for r in series[n] if t <= r[0] < t + step]
            if not rows:
                cells.append("%16s" % "-")
            elif n == "seed":
                cells.append("%9.2f up %2dp" % (sum(r[3] for r in rows) / len(rows), rows[-1][4]))
            else:
                cells.append("%5.2fd %5.2fu %2dp" % (sum(r[2] for r in rows) / len(rows),
                                                      sum(r[3] for r in rows) / len(rows), rows[-1][4]))
        print("%4d " % (t - t0) + " ".join(cells))
        t += step


if __name__ == "__main__":
    main()
