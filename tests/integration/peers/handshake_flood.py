#!/usr/bin/python3
"""A flood of valid BitTorrent handshakes that never show interest: about 9
connections a second, from 20 loopback addresses (127.0.0.100-119), each
with its own peer id, each held open until the daemon closes it. Used by
the integration tests.

usage: handshake_flood.py PORT INFO_HASH_HEX SECONDS
Prints "answered" once the daemon has answered a handshake, and at the end
"attempted N, answered M".
"""
import os
import socket
import sys
import threading
import time


def main():
    port, info_hash, seconds = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), float(sys.argv[3])
    held = []
    answered = 0
    lock = threading.Lock()

    def one(source):
        nonlocal answered
        try:
            s = socket.socket()
            s.bind((source, 0))
            s.settimeout(3)
            s.connect(("127.0.0.1", port))
            s.sendall(b"\x13BitTorrent protocol" + bytes(8) + info_hash
                      + b"-FL0001-" + os.urandom(6).hex().encode())
            if len(s.recv(68)) < 68:
                return
            with lock:
                held.append(s)
                answered += 1
                if answered == 1:
                    print("answered", flush=True)
        except OSError:
            pass

    stop = time.time() + seconds
    n = 0
    while time.time() < stop:
        threading.Thread(target=one, args=("127.0.0.%d" % (100 + n % 20),), daemon=True).start()
        n += 1
        time.sleep(1 / 9)
    print(f"attempted {n}, answered {answered}", flush=True)


main()
