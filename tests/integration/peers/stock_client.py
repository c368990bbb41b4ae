#!/usr/bin/python3
"""A stock BitTorrent client in an EZIO swarm: Debian's python3-libtorrent
with its own storage and default extensions, knowing nothing of EZIO (it
ignores the companion advert). Used by the integration tests.

usage: stock_client.py TORRENT SAVE_DIR IP:PORT...
Prints "listening on PORT", calls the peers given, prints "finished in S s"
once every piece is verified on its disk, then seeds until it is killed
(or for 300 s). Prints "error: ..." and exits 1 on a torrent error.
"""
import sys
import time

import libtorrent as lt


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    session = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        # The test's peers all share 127.0.0.1.
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.peer_notification
        | lt.alert.category_t.connect_notification,
    })
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(argv[1])
    params.save_path = argv[2]
    handle = session.add_torrent(params)
    print("listening on %d" % session.listen_port(), flush=True)
    for peer in argv[3:]:
        host, port = peer.rsplit(":", 1)
        handle.connect_peer((host, int(port)))
    started = time.monotonic()
    finished = False
    while time.monotonic() - started < 300:
        time.sleep(0.2)
        for alert in session.pop_alerts():  # what a failed test shows
            print(alert.message(), flush=True)
        status = handle.status()
        if status.errc.value() != 0:
            print("error: %s" % status.errc.message(), flush=True)
            return 1
        if not finished and status.is_seeding:
            finished = True
            print("finished in %.1f s" % (time.monotonic() - started), flush=True)
        # Peers are called again now and then: the test's daemons have no
        # tracker to name this client to them.
        if not finished and int(time.monotonic() - started) % 5 == 0:
            for peer in argv[3:]:
                host, port = peer.rsplit(":", 1)
                handle.connect_peer((host, int(port)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
