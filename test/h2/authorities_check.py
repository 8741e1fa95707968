#!/usr/bin/python3
"""One HTTP/2 connection over TLS, one GET after another for each :authority given, as a
browser that coalesces connections does. Prints the statuses in order as one JSON list.

    authorities_check.py PORT CA SNI AUTHORITY...

Every wait is bounded (MAX_SECONDS).
"""
import json
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events

MAX_SECONDS = 10.0


def main():
    port, ca, sni, authorities = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=MAX_SECONDS),
                               server_hostname=sni)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    statuses = []
    deadline = time.monotonic() + MAX_SECONDS
    for authority in authorities:
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "GET"), (":scheme", "https"),
                                   (":authority", authority), (":path", "/")], end_stream=True)
        sock.sendall(conn.data_to_send())
        status = None
        done = False
        while not done and time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream:
                    status = int(dict(event.headers)[b":status"])
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)) and \
                        event.stream_id == stream:
                    done = True
            sock.sendall(conn.data_to_send())
        statuses.append(status)
    print(json.dumps(statuses))


if __name__ == "__main__":
    main()
