#!/usr/bin/python3
"""A long WebSocket-style stream for bench/reload.sh: an upgraded HTTP/1.1 connection that
carries bytes both ways for as long as the benchmark runs, checked end to end.

  ws_stream.py origin PORT            accept upgrades on 127.0.0.1:PORT, answer 101, echo
  ws_stream.py client PORT SECONDS    upgrade through 127.0.0.1:PORT, then send a deterministic
                                      stream for SECONDS, reading the echo back; prints
                                      "survived BYTES" when every byte came back intact, or
                                      "broken after BYTES: WHY" (exit 1)
"""
import base64
import hashlib
import socket
import sys
import threading
import time

CHUNK = 16 * 1024


def origin(port):
    listener = socket.create_server(("127.0.0.1", port))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def serve(conn):
    head = b""
    while b"\r\n\r\n" not in head:
        data = conn.recv(4096)
        if not data:
            return
        head += data
    key = b""
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                 b"Upgrade: websocket\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    rest = head.split(b"\r\n\r\n", 1)[1]
    if rest:
        conn.sendall(rest)
    while True:
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(data)
    conn.close()


def client(port, seconds):
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    # A well-formed WebSocket handshake (HAProxy refuses an upgrade without the key).
    conn.sendall(b"GET /ws HTTP/1.1\r\nHost: bench.example.test\r\nConnection: Upgrade\r\n"
                 b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        data = conn.recv(4096)
        if not data:
            print("broken after 0: no answer to the upgrade")
            return 1
        head += data
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        print("broken after 0: " + head.split(b"\r\n", 1)[0].decode())
        return 1
    echoed = head.split(b"\r\n\r\n", 1)[1]
    sent_hash, back_hash = hashlib.sha256(), hashlib.sha256()
    sent = back = 0
    counter = 0
    deadline = time.monotonic() + seconds
    back_hash.update(echoed)
    back += len(echoed)
    try:
        while time.monotonic() < deadline:
            chunk = hashlib.sha256(counter.to_bytes(8, "big")).digest() * (CHUNK // 32)
            counter += 1
            conn.sendall(chunk)
            sent_hash.update(chunk)
            sent += len(chunk)
            while back < sent:
                data = conn.recv(min(65536, sent - back))
                if not data:
                    print(f"broken after {back}: closed")
                    return 1
                back_hash.update(data)
                back += len(data)
            time.sleep(0.01)  # a steady trickle, as a chat or a feed would be
    except OSError as error:
        print(f"broken after {back}: {error}")
        return 1
    if sent_hash.digest() != back_hash.digest():
        print(f"broken after {back}: the bytes differ")
        return 1
    print(f"survived {back}")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "origin":
        origin(int(sys.argv[2]))
    else:
        sys.exit(client(int(sys.argv[2]), float(sys.argv[3])))
