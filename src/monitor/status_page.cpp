#include "monitor/status_page.hpp"

namespace ezio::monitor {

namespace {

// Data from the daemon only ever reaches the page through textContent and
// attributes, never as markup, so a torrent name cannot inject anything.
constexpr std::string_view page = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EZIO status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  #summary { color: #555; margin-bottom: 1em; }
  #offline { display: none; color: #b00; font-weight: bold; }
  .torrent { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .8em 1em; margin-bottom: 1em; }
  .head { display: flex; justify-content: space-between; gap: 1em; flex-wrap: wrap; }
  .name { font-weight: bold; }
  .hash { color: #888; font-family: monospace; font-size: .85em; }
  .bar { height: 14px; background: #e6e6e6; border-radius: 7px; overflow: hidden; margin: .5em 0; }
  .fill { height: 100%; background: #3a7bd5; transition: width .5s; }
  .phase-finished .fill, .phase-seeding .fill { background: #2e9d4a; }
  .phase-error .fill { background: #c0392b; }
  .figures { display: flex; gap: 1.5em; flex-wrap: wrap; color: #333; }
  .phase { font-weight: bold; text-transform: uppercase; font-size: .85em; }
  .error { color: #c0392b; margin-top: .4em; }
  canvas { display: block; margin-top: .6em; image-rendering: pixelated; }
</style>
</head>
<body>
<h1>EZIO</h1>
<div id="summary">loading…</div>
<div id="offline">the daemon does not answer</div>
<div id="torrents"></div>
<script>
"use strict";
const units = ["B", "KiB", "MiB", "GiB", "TiB"];
function bytes(n) {
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; ++u; }
  return u === 0 ? n + " B" : n.toFixed(1) + " " + units[u];
}
function duration(s) {
  if (s < 0) return "–";
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
  const two = (x) => String(x).padStart(2, "0");
  return h > 0 ? h + ":" + two(m) + ":" + two(sec) : m + ":" + two(sec);
}
function element(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}
// One card per torrent, made once and updated in place.
const cards = new Map();
function card(hash) {
  if (cards.has(hash)) return cards.get(hash);
  const root = element("div", "torrent", document.getElementById("torrents"));
  root.dataset.hash = hash;
  const head = element("div", "head", root);
  const title = element("div", "", head);
  const c = { root, name: element("span", "name", title), hash: element("div", "hash", title),
    phase: element("span", "phase", head) };
  const bar = element("div", "bar", root);
  c.fill = element("div", "fill", bar);
  const figures = element("div", "figures", root);
  for (const f of ["progress", "done", "down", "up", "eta", "peers"]) c[f] = element("span", f, figures);
  c.error = element("div", "error", root);
  c.map = element("canvas", "pieces", root);
  c.map.title = "pieces: done in colour";
  cards.set(hash, c);
  return c;
}
// The piece map: one cell per piece, done ones coloured, row by row.
function drawPieces(canvas, pieces, phase) {
  const n = pieces.length, width = Math.min(800, document.body.clientWidth - 40);
  const cell = Math.max(1, Math.min(12, Math.floor(Math.sqrt(width * 60 / Math.max(n, 1)))));
  const perRow = Math.max(1, Math.floor(width / cell));
  canvas.width = perRow * cell;
  canvas.height = Math.ceil(n / perRow) * cell;
  const g = canvas.getContext("2d");
  g.fillStyle = "#e6e6e6";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = phase === "finished" || phase === "seeding" ? "#2e9d4a" : "#3a7bd5";
  let done = 0;
  for (let i = 0; i < n; ++i) {
    if (pieces[i] !== "1") continue;
    ++done;
    const gap = cell > 3 ? 1 : 0;
    g.fillRect((i % perRow) * cell, Math.floor(i / perRow) * cell, cell - gap, cell - gap);
  }
  canvas.dataset.piecesDone = done;
  canvas.dataset.piecesTotal = n;
}
function show(status) {
  const seen = new Set();
  let finished = 0;
  for (const t of status.torrents) {
    seen.add(t.hash);
    const c = card(t.hash);
    c.root.className = "torrent phase-" + t.phase;
    c.root.dataset.phase = t.phase;
    c.name.textContent = t.name;
    c.hash.textContent = t.hash + " → " + t.save_path;
    c.phase.textContent = t.phase;
    const percent = (100 * t.progress).toFixed(1) + " %";
    c.fill.style.width = (100 * t.progress) + "%";
    c.progress.textContent = percent;
    c.done.textContent = bytes(t.total_done) + " of " + bytes(t.total) + (t.chunked ? " on the wire, " +
        bytes(t.disk_done) + " of " + bytes(t.disk_total) + " on the disk" : "") + " (" + t.pieces_done + "/" +
        t.pieces_total + " pieces)";
    c.down.textContent = "↓ " + bytes(t.download_rate) + "/s";
    c.up.textContent = "↑ " + bytes(t.upload_rate) + "/s";
    c.eta.textContent = "ETA " + duration(t.eta);
    c.peers.textContent = t.peers + (t.peers === 1 ? " peer" : " peers");
    c.error.textContent = t.error;
    if (t.pieces !== undefined) drawPieces(c.map, t.pieces, t.phase);
    if (t.is_finished) ++finished;
  }
  for (const [hash, c] of cards) if (!seen.has(hash)) { c.root.remove(); cards.delete(hash); }
  const e = status.engine;
  document.getElementById("summary").textContent = status.torrents.length + " torrents, " + finished +
    " finished" + (e.raw_mode ? ", memory " + bytes(e.budget_used_bytes) + " of " + bytes(e.budget_bytes) : "") +
    " · updated " + new Date().toLocaleTimeString();
  document.body.dataset.updates = Number(document.body.dataset.updates || 0) + 1;
}
async function poll() {
  try {
    const r = await fetch("api/status?pieces=1", { cache: "no-store" });
    if (!r.ok) throw new Error(r.status);
    show(await r.json());
    document.getElementById("offline").style.display = "none";
  } catch (e) {
    document.getElementById("offline").style.display = "block";
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
)html";

}  // namespace

std::string_view status_page_html()
{
	return page;
}

}  // namespace ezio::monitor
