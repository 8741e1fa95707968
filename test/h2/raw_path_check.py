# An h2c client that sends one GET whose :path is the bytes given in hex, unchecked (as an
# attacker's client would), and prints the response's :status, or "reset" when the stream is
# refused without one.
#   raw_path_check.py PORT PATH_HEX
import socket
import sys

import h2.config
import h2.connection
import h2.events


def main():
    port, path = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    config = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False,
                                       normalize_outbound_headers=False)
    conn = h2.connection.H2Connection(config=config)
    conn.initiate_connection()
    conn.send_headers(1, [(b":method", b"GET"), (b":scheme", b"http"),
                          (b":authority", b"a.test"), (b":path", path)], end_stream=True)
    sock.sendall(conn.data_to_send())
    while True:
        data = sock.recv(65536)
        if not data:
            print("closed")
            return
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                print(dict(event.headers)[b":status"].decode())
                return
            if isinstance(event, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                print("reset")
                return
        sock.sendall(conn.data_to_send())


main()
