#!/usr/bin/python3
"""Trailers through Sluice, with Python's h2 library at the HTTP/2 ends.

  trailers_check.py serve PORT
      an h2c (prior knowledge) server on 127.0.0.1:PORT; prints "ready" once it listens and
      runs until killed. Each request is answered 200 with a JSON body of what arrived (its
      fields, its trailers, the body's length and SHA-256), then the trailer
      `x-served-sha256: <the body's SHA-256>`. With ANSWER_EARLY=1 (environment) it answers
      200 "early" as soon as a request's head arrives instead, and drops the body.

  trailers_check.py call PORT CA HOST PATH SIZE [TRAILERS]
      one POST of SIZE pattern bytes over TLS (trusting CA, naming HOST; CA "-" for h2c) with
      no content-length, then trailers: `x-sha256: <the body's SHA-256>` and fields a proxy
      must never pass on in trailers (x-forwarded-for, authorization); or,
      with TRAILERS = N, N fields of 100 bytes each. Prints one JSON object: the status, the
      response's fields, its body (text) and its trailers, or the reset that ended the stream.

Every wait is bounded (MAX_SECONDS).
"""
import hashlib
import json
import os
import socket
import ssl
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events

MAX_SECONDS = 20.0


def pattern(size):
    block = bytes(range(256)) * 64
    return (block * (size // len(block) + 1))[:size]


def text(fields):
    return [[n.decode() if isinstance(n, bytes) else n, v.decode() if isinstance(v, bytes) else v]
            for n, v in fields]


def serve_connection(sock):
    early = os.environ.get("ANSWER_EARLY") == "1"
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    streams = {}
    sock.settimeout(MAX_SECONDS)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived) and early:
                    conn.send_headers(event.stream_id, [(":status", "200")])
                    conn.send_data(event.stream_id, b"early", end_stream=True)
                elif isinstance(event, h2.events.RequestReceived):
                    streams[event.stream_id] = {"fields": text(event.headers), "trailers": [],
                                                "body": b""}
                elif isinstance(event, h2.events.DataReceived):
                    if event.stream_id in streams:
                        streams[event.stream_id]["body"] += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.TrailersReceived):
                    streams[event.stream_id]["trailers"] = text(event.headers)
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id in streams:
                    seen = streams.pop(event.stream_id)
                    digest = hashlib.sha256(seen["body"]).hexdigest()
                    answer = json.dumps({"fields": seen["fields"], "trailers": seen["trailers"],
                                         "length": len(seen["body"]), "sha256": digest}).encode()
                    conn.send_headers(event.stream_id, [(":status", "200"),
                                                        ("content-type", "application/json")])
                    conn.send_data(event.stream_id, answer)
                    conn.send_headers(event.stream_id, [("x-served-sha256", digest)],
                                      end_stream=True)
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.ProtocolError):
        return
    finally:
        sock.close()


def serve(port):
    listener = socket.socket()
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    print("ready", flush=True)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve_connection, args=(sock,), daemon=True).start()


def call(port, ca, host, path, size, trailer_count):
    raw = socket.create_connection(("127.0.0.1", port), timeout=MAX_SECONDS)
    scheme = "http"
    sock = raw
    if ca != "-":
        context = ssl.create_default_context(cafile=ca)
        context.set_alpn_protocols(["h2"])
        sock = context.wrap_socket(raw, server_hostname=host)
        assert sock.selected_alpn_protocol() == "h2", "Sluice did not choose h2"
        scheme = "https"
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    body = pattern(size)
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [(":method", "POST"), (":scheme", scheme), (":authority", host),
                               (":path", path), ("content-type", "application/octet-stream"),
                               ("te", "trailers")])
    if trailer_count:
        trailers = [("x-filler-%d" % i, "f" * 100) for i in range(trailer_count)]
    else:
        trailers = [("x-sha256", hashlib.sha256(body).hexdigest()),
                    ("x-forwarded-for", "6.6.6.6"), ("authorization", "Basic c2VjcmV0")]
    sent = 0
    result = {"status": None, "fields": [], "body": "", "trailers": []}
    received = b""
    trailers_sent = False
    deadline = time.monotonic() + MAX_SECONDS
    while time.monotonic() < deadline:
        # As much body as the windows allow, then the trailers.
        while sent < len(body):
            room = min(conn.local_flow_control_window(stream), conn.max_outbound_frame_size,
                       len(body) - sent)
            if room <= 0:
                break
            conn.send_data(stream, body[sent:sent + room])
            sent += room
        if sent == len(body) and not trailers_sent:
            conn.send_headers(stream, trailers, end_stream=True)
            trailers_sent = True
        sock.sendall(conn.data_to_send())
        data = sock.recv(65536)
        if not data:
            result["error"] = "connection closed"
            break
        done = False
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                fields = text(event.headers)
                result["status"] = int(dict(fields)[":status"])
                result["fields"] = [f for f in fields if not f[0].startswith(":")]
            elif isinstance(event, h2.events.DataReceived):
                received += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, stream)
            elif isinstance(event, h2.events.TrailersReceived):
                result["trailers"] = text(event.headers)
            elif isinstance(event, h2.events.StreamEnded):
                done = True
            elif isinstance(event, h2.events.StreamReset):
                result["reset"] = int(event.error_code)
                done = True
        sock.sendall(conn.data_to_send())
        if done:
            break
    result["body"] = received.decode(errors="replace")
    print(json.dumps(result))


def main():
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        port, ca, host, path, size = sys.argv[2:7]
        trailer_count = int(sys.argv[7]) if len(sys.argv) > 7 else 0
        call(int(port), ca, host, path, int(size), trailer_count)


if __name__ == "__main__":
    main()
