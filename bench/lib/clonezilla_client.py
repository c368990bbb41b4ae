#!/usr/bin/python3
"""A lab client as Clonezilla drives one, over EZIO's gRPC API alone.

Clonezilla's ocs-ezio-leecher adds the partition's torrent with 6
connections and 5 upload slots, then watches the daemon every 2 s and
pauses each finished torrent once it uploaded 3x what it holds, or once it
has been finished for WAIT s (90 in Clonezilla) and uploaded nothing for the
last 15 s; when every torrent is finished and paused it shuts the daemon
down. This script does the same through the same calls and fields
(docs/api.md), so bench/swarm can run a deployment to the end as a lab does.

  clonezilla_client.py add ADDRESS TORRENT TARGET
  clonezilla_client.py watch ADDRESS WAIT

ADDRESS is the daemon's gRPC address (unix:PATH or HOST:PORT). The ezio_pb2
module (protoc --python_out of proto/ezio.proto) must be on PYTHONPATH.
"""
import sys
import time

import grpc

import ezio_pb2

POLL_S = 2
QUIET_S = 15  # a finished torrent with no upload for this long may stop


def call(channel, method, request, response_type):
    stub = channel.unary_unary(
        "/ezio.EZIO/" + method,
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_type.FromString,
    )
    return stub(request, timeout=30)


def add(channel, torrent, target):
    request = ezio_pb2.AddRequest()
    with open(torrent, "rb") as f:
        request.torrent = f.read()
    request.save_path = target
    request.max_connections = 6
    request.max_uploads = 5
    call(channel, "AddTorrent", request, ezio_pb2.AddResponse)


def should_stop(t, wait):
    """Clonezilla's rule for a finished torrent that still runs."""
    if t.total_payload_upload > 3 * t.total_done:
        return "uploaded 3x"
    if t.finished_time > wait and (t.last_upload > QUIET_S or t.last_upload == -1):
        return "finished %d s, no upload for %s" % (t.finished_time,
                                                    "ever" if t.last_upload == -1 else "%d s" % t.last_upload)
    return None


def watch(channel, wait):
    started = time.monotonic()
    while True:
        time.sleep(POLL_S)
        status = call(channel, "GetTorrentStatus", ezio_pb2.UpdateRequest(), ezio_pb2.UpdateStatus)
        if not status.hashes:
            continue
        for h in status.hashes:
            t = status.torrents[h]
            if t.is_paused or not t.is_finished:
                continue
            why = should_stop(t, wait)
            if why:
                print("%.1f s: pausing %s (%s; uploaded %d MiB)" % (time.monotonic() - started, h, why,
                                                                    t.total_payload_upload >> 20), flush=True)
                call(channel, "PauseTorrent", ezio_pb2.PauseTorrentRequest(hash=h), ezio_pb2.PauseTorrentResponse)
        if all(t.is_finished and t.is_paused for t in status.torrents.values()):
            print("%.1f s: all paused; shutting the daemon down" % (time.monotonic() - started), flush=True)
            call(channel, "Shutdown", ezio_pb2.Empty(), ezio_pb2.Empty)
            return


def main(argv):
    if len(argv) == 5 and argv[1] == "add":
        add(grpc.insecure_channel(argv[2]), argv[3], argv[4])
    elif len(argv) == 4 and argv[1] == "watch":
        watch(grpc.insecure_channel(argv[2]), int(argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
