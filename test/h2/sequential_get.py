# An h2c client that sends N GETs for / one after another on one connection (each stream
# starts once the previous one ended, as a browser's navigations do), and prints each
# response's status and X-Origin, one line per request.
#   sequential_get.py PORT N
import socket
import sys

import h2.connection
import h2.events


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h2.connection.H2Connection()
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    for _ in range(count):
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "GET"), (":scheme", "http"),
                                   (":authority", "shop.test"), (":path", "/")],
                          end_stream=True)
        sock.sendall(conn.data_to_send())
        status, origin, ended = "", "", False
        while not ended:
            data = sock.recv(65536)
            if not data:
                print("closed")
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    headers = dict(event.headers)
                    status = headers[b":status"].decode()
                    origin = headers.get(b"x-origin", b"").decode()
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    ended = True
            sock.sendall(conn.data_to_send())
        print(status, origin)


if __name__ == "__main__":
    main()
