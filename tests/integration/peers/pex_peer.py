#!/usr/bin/python3
"""A peer that gossips: it speaks just enough BitTorrent to send one PEX
message (BEP 11) naming a bait address, and reports whether anybody then
connects to the bait. Used by the integration tests.

usage: pex_peer.py INFO_HASH_HEX
Prints "listening on PORT" once it accepts connections. When a daemon
connects, it answers the handshake, sends its extended handshake and a PEX
message whose "added" list holds only the bait, then prints
"pex sent" and, if the bait is called within 6 s, "bait called", else
"bait not called", and exits.
"""
import socket
import struct
import sys
import time


def bdecode(data, i=0):
    """Decodes one bencoded value at data[i:]; returns (value, next index)."""
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        i += 1
        out = []
        while data[i:i + 1] != b"e":
            v, i = bdecode(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while data[i:i + 1] != b"e":
            k, i = bdecode(data, i)
            v, i = bdecode(data, i)
            out[k] = v
        return out, i + 1
    colon = data.index(b":", i)
    n = int(data[i:colon])
    return data[colon + 1:colon + 1 + n], colon + 1 + n


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, dict):
        return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(v)


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def main():
    info_hash = bytes.fromhex(sys.argv[1])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    bait = socket.socket()
    # Another address than the gossip's own: a daemon keeps one peer per
    # address unless told otherwise.
    bait.bind(("127.0.0.2", 0))
    bait.listen(4)
    bait_port = bait.getsockname()[1]
    print(f"listening on {listener.getsockname()[1]}", flush=True)

    conn, _ = listener.accept()
    conn.settimeout(10)
    read_exact(conn, 68)  # the daemon's handshake
    reserved = bytearray(8)
    reserved[5] |= 0x10  # the extension protocol (BEP 10)
    conn.sendall(b"\x13BitTorrent protocol" + bytes(reserved) + info_hash + b"-PX0001-" + b"x" * 12)
    ours = bencode({b"m": {b"ut_pex": 1}, b"v": b"pex-peer"})
    conn.sendall(struct.pack(">IBB", len(ours) + 2, 20, 0) + ours)

    # Read until the daemon's extended handshake says which id it gave
    # ut_pex (none if it has no PEX: then send on id 1 anyway).
    pex_id = None
    deadline = time.time() + 5
    while time.time() < deadline and pex_id is None:
        length = struct.unpack(">I", read_exact(conn, 4))[0]
        if length == 0:
            continue
        body = read_exact(conn, length)
        if body[0] == 20 and body[1] == 0:
            handshake, _ = bdecode(body[2:])
            pex_id = handshake.get(b"m", {}).get(b"ut_pex", 0) or 1
            break
    if pex_id is None:
        pex_id = 1
    added = socket.inet_aton("127.0.0.2") + struct.pack(">H", bait_port)
    pex = bencode({b"added": added, b"added.f": b"\x00"})
    conn.sendall(struct.pack(">IBB", len(pex) + 2, 20, pex_id) + pex)
    print("pex sent", flush=True)

    bait.settimeout(6)
    try:
        bait.accept()
        print("bait called", flush=True)
    except socket.timeout:
        print("bait not called", flush=True)
    conn.close()


if __name__ == "__main__":
    main()
