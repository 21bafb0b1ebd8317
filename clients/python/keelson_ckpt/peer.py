"""Fetching a rank's replica from a buddy agent's memory (the agents' peer replication protocol).

Frames are ``[u32 length][u32 crc32][u8 kind][payload]``, big-endian; kind 1 is a JSON control
message, kind 2 raw bytes. Ask ``{"op": "get", "node", "job", "rank"}``; the buddy answers
``{"op": "have", ...head}`` then the bytes and ``{"op": "end"}``, or ``{"op": "none"}``.
"""
import json
import socket
import struct
import zlib

FRAME_JSON = 1
FRAME_BYTES = 2
MAX_FRAME = 16 << 20


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise ConnectionError("peer closed the connection")
        buf += chunk
    return bytes(buf)


def _read_frame(sock):
    length, crc, kind = struct.unpack(">IIB", _recv_exact(sock, 9))
    if length > MAX_FRAME:
        raise ValueError("peer frame too large")
    payload = _recv_exact(sock, length)
    if zlib.crc32(payload) != crc:
        raise ValueError("peer frame checksum mismatch")
    return kind, payload


def _send_json(sock, obj):
    payload = json.dumps(obj).encode()
    sock.sendall(struct.pack(">IIB", len(payload), zlib.crc32(payload), FRAME_JSON) + payload)


def fetch_replica(address, node, job, rank, timeout=30.0):
    """The replica's head and bytes held by the buddy at ``host:port`` for ``node``'s rank, or None."""
    host, _, port = address.rpartition(":")
    with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout) as sock:
        _send_json(sock, {"op": "get", "node": node, "job": job, "rank": int(rank)})
        kind, payload = _read_frame(sock)
        head = json.loads(payload) if kind == FRAME_JSON else None
        if not head or head.get("op") != "have":
            return None
        data = bytearray()
        while True:
            kind, payload = _read_frame(sock)
            if kind == FRAME_BYTES:
                data += payload
                if len(data) > head["bytes"]:
                    raise ValueError("replica longer than announced")
                continue
            if json.loads(payload).get("op") != "end":
                raise ValueError("expected end of replica")
            break
        if len(data) != head["bytes"]:
            raise ValueError("replica is short")
        return head, bytes(data)
