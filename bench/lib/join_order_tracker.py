#!/usr/bin/python3
"""A tracker for bench/swarm that lists peers in the order they first
announced (the order a naive tracker keeps), not drawn at random: the worst
case for a swarm whose clients fill each other's few slots in join order.

  join_order_tracker.py PORT

HTTP GET /announce with info_hash, port, numwant (default 50) and compact;
answers with a compact peer list (IPv4), interval 30 s. Peers that send
event=stopped leave. Nothing else (no scrape, no whitelist).
"""
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import libtorrent  # Debian's python3-libtorrent: its bencode

swarms = {}  # info_hash -> list of (ip, port), in first-announce order
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True, encoding="latin-1")
        try:
            info_hash = query["info_hash"][0].encode("latin-1")
            port = int(query["port"][0])
            numwant = int(query.get("numwant", ["50"])[0])
        except (KeyError, ValueError):
            return self.reply({"failure reason": "bad announce"})
        me = (self.client_address[0], port)
        with lock:
            peers = swarms.setdefault(info_hash, [])
            if query.get("event", [""])[0] == "stopped":
                if me in peers:
                    peers.remove(me)
                return self.reply({"interval": 30, "peers": b""})
            if me not in peers:
                peers.append(me)
            chosen = [p for p in peers if p != me][:max(0, numwant)]
        compact = b"".join(bytes(int(x) for x in ip.split(".")) + p.to_bytes(2, "big") for ip, p in chosen)
        self.reply({"interval": 30, "min interval": 30, "peers": compact})

    def reply(self, body):
        data = libtorrent.bencode(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), Handler).serve_forever()
