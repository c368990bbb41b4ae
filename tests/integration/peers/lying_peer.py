#!/usr/bin/python3
"""A peer that lies: it seeds a torrent from a corrupted copy of the data,
with libtorrent's hash checks turned off, so it sends the corrupt blocks
as if they were good. Used by the integration tests (python3-libtorrent).

usage: lying_peer.py TORRENT DATA_DIR PEER...
Prints "listening on PORT" once it accepts connections, then seeds until
it is killed.
"""
import sys
import time

import libtorrent as lt


def main():
    torrent, data_dir, peers = sys.argv[1], sys.argv[2], sys.argv[3:]
    session = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        # The lie: what it serves is never checked against the piece hashes.
        "disable_hash_checks": True,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.all_categories,
    })
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = data_dir
    params.flags = lt.torrent_flags.seed_mode
    handle = session.add_torrent(params)
    for peer in peers:
        host, port = peer.rsplit(":", 1)
        handle.connect_peer((host, int(port)))
    while session.listen_port() == 0:
        time.sleep(0.01)
    print(f"listening on {session.listen_port()}", flush=True)
    while True:
        for alert in session.pop_alerts():
            if isinstance(alert, (lt.peer_connect_alert, lt.peer_disconnected_alert)):
                print(alert.message(), flush=True)
        time.sleep(0.1)


if __name__ == "__main__":
    main()
