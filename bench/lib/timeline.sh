# Per-client timelines of a swarm run, read from the daemons' logs (each
# logs one status line a second with --status-interval 1):
#
#   timeline_data LOGS DIR T0_MS USED_BYTES NAME...
#     reads LOGS/NAME.log, writes DIR/NAME.dat ("seconds MiB MiB/s peers"
#     per status line, from T0_MS) and prints "wait_s client idle_s client
#     few_s client":
#     the latest first status line with a download (from T0), and the
#     longest a client that had begun to download then downloaded nothing
#     before it had every piece. The first is bounded by a piece's time
#     on its first hops (no client can pass on a piece before it has all
#     of it); the second is starvation in a moving swarm. The third is the
#     longest a client held fewer than 4 peers after its first status line
#     and before it had every piece (a newcomer left out of a full swarm),
#     or fewer than the daemons up by then (the seeder and the clients
#     booted so far, when they boot one by one), when that is under 4.
#   timeline_plot DIR TITLE PNG NAME...
#     draws every client's MiB over time into PNG (gnuplot-nox), so a
#     stall is seen at a glance.

timeline_data() {
  local logs=$1 dir=$2 t0=$3 used=$4 name
  shift 4
  mkdir -p "$dir"
  for name in "$@"; do
    # "2026-12-02 06:10:11.123 info torrent H 'sda1': downloading 45.3% (...), down 9.1 MiB/s, ..."
    awk -v t0="$t0" -v used="$used" '
      / torrent [0-9a-f]+ .*: [a-z ]+ [0-9.]+% \(/ {
        split($1, d, "-"); split($2, t, ":")
        s = mktime(d[1] " " d[2] " " d[3] " " t[1] " " t[2] " " int(t[3])) + (t[3] - int(t[3])) - t0 / 1000
        match($0, /[0-9.]+% \(/); pct = substr($0, RSTART, RLENGTH - 3)
        match($0, /down [0-9.]+ MiB/); down = substr($0, RSTART + 5, RLENGTH - 9)
        match($0, /[0-9]+ peers?/); peers = substr($0, RSTART, RLENGTH) + 0
        if (s >= 0) printf "%.2f %.1f %s %d\n", s, pct / 100 * used / 1048576, down, peers
      }' "$logs/$name.log" > "$dir/$name.dat"
  done
  # Per client: the time without download before its first byte (from T0),
  # and the longest after it, before 100 % (from the last status line that
  # saw some).
  local full
  full=$(awk -v u="$used" 'BEGIN { printf "%.1f", u / 1048576 - 0.05 }')
  # When each daemon was up (its first status line): a client can hold
  # only the peers that are up, the seeder and the clients booted so far.
  local ups
  ups=$(for name in "$@"; do head -1 "$dir/$name.dat" | cut -d' ' -f1; done | tr '\n' ' ')
  for name in "$@"; do
    awk -v n="$name" -v full="$full" -v ups="$ups" '
      BEGIN { split(ups, up, " ") }
      # Peers it can hold at s: the seeder, and the other clients up by
      # then (this one is among the ups). Short of peers: fewer than 4 of them.
      function needed(s,   k, m) { m = 0; for (k in up) if (up[k] <= s) m++; return m < 4 ? m : 4 }
      NR == 1 { enough = $1 }
      $2 < full { if ($4 >= needed($1)) enough = $1; else if ($1 - enough > few) few = $1 - enough }
      $3 + 0 >= 0.05 || $2 >= full { if (!started) wait = $1; started = 1; active = $1; next }
      started && $1 - active > idle { idle = $1 - active }
      END { printf "%.1f %s %.1f %s %.1f %s\n", wait, n, idle, n, few, n }' "$dir/$name.dat"
  done > "$dir/idle"
  echo "$(sort -n -k1,1 "$dir/idle" | tail -1 | cut -d' ' -f1,2) $(sort -n -k3,3 "$dir/idle" | tail -1 | cut -d' ' -f3,4)" \
    "$(sort -n -k5,5 "$dir/idle" | tail -1 | cut -d' ' -f5,6)"
}

timeline_plot() {
  local dir=$1 title=$2 png=$3 name plots=()
  shift 3
  command -v gnuplot > /dev/null || { echo "timeline: no gnuplot (apt-get install gnuplot-nox); no $png" >&2; return 0; }
  for name in "$@"; do plots+=("'$dir/$name.dat' using 1:2 with lines title '$name'"); done
  local script
  script="set output '$png'; set title '$title'; set xlabel 'seconds since AddTorrent';
    set ylabel 'MiB of the image'; set key outside right; set grid; plot $(IFS=,; echo "${plots[*]}")"
  # pngcairo draws nicer lines; gnuplot-nox may lack it.
  gnuplot -e "set terminal pngcairo size 1200,700; $script" 2>/dev/null ||
    gnuplot -e "set terminal png size 1200,700; $script"
}
