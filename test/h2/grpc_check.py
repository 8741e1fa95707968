#!/usr/bin/python3
"""gRPC through Sluice with Debian's python3-grpcio, both ends real.

  grpc_check.py serve PORT [CERT KEY]   a gRPC server on 127.0.0.1:PORT (TLS with CERT and KEY);
                                        prints "ready" once it listens, runs until killed.
                                        GRPC_MAX_STREAMS and GRPC_MAX_AGE_MS (environment) set
                                        its SETTINGS_MAX_CONCURRENT_STREAMS and how long before
                                        it sends a connection GOAWAY
  grpc_check.py call TARGET [CA NAME]   every kind of call to TARGET (host:port) through Sluice,
                                        over TLS trusting CA and naming NAME when given; prints
                                        one JSON object of what came back, exits 0

The service works on raw bytes (no generated stubs): Unary echoes, with the X-Forwarded-For the
server saw; b"fail" gets NOT_FOUND with details, which only trailers can carry. ServerStream
sends N numbered messages, ClientStream counts the bytes it was sent, Bidi answers each message
reversed as it arrives.
"""
import json
import os
import sys
from concurrent import futures

import grpc

SERVICE = "sluice.test.Echo"


def serve(port, cert=None, key=None):
    def unary(request, context):
        if request == b"fail":
            context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
        metadata = dict(context.invocation_metadata())
        return b"echo:" + request + b"|xff=" + metadata.get("x-forwarded-for", "").encode()

    def server_stream(request, context):
        for i in range(int(request)):
            yield b"%d" % i

    def client_stream(requests, context):
        return str(sum(len(r) for r in requests)).encode()

    def bidi(requests, context):
        for r in requests:
            yield r[::-1]

    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
    })
    # No SO_REUSEPORT: the port is the test's alone, never shared with a listener it starts next.
    options = [("grpc.so_reuseport", 0)]
    if os.environ.get("GRPC_MAX_STREAMS"):
        options.append(("grpc.max_concurrent_streams", int(os.environ["GRPC_MAX_STREAMS"])))
    if os.environ.get("GRPC_MAX_AGE_MS"):
        options.append(("grpc.max_connection_age_ms", int(os.environ["GRPC_MAX_AGE_MS"])))
        options.append(("grpc.max_connection_age_grace_ms", 5000))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64), options=options)
    server.add_generic_rpc_handlers((handler,))
    address = "127.0.0.1:%d" % port
    if cert:
        with open(cert, "rb") as c, open(key, "rb") as k:
            credentials = grpc.ssl_server_credentials([(k.read(), c.read())])
        bound = server.add_secure_port(address, credentials)
    else:
        bound = server.add_insecure_port(address)
    if bound != port:
        sys.exit("cannot listen on %s" % address)
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


def call(target, ca=None, name=None):
    if ca:
        with open(ca, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        host_port = "%s:%s" % (name, target.rsplit(":", 1)[1])
        channel = grpc.secure_channel(target, credentials, options=[
            ("grpc.ssl_target_name_override", name), ("grpc.default_authority", host_port)])
    else:
        channel = grpc.insecure_channel(target)
    out = {}
    unary = channel.unary_unary("/%s/Unary" % SERVICE)
    out["unary"] = unary(b"hello", timeout=20).decode()
    try:
        unary(b"fail", timeout=20)
        out["fail"] = "no error"
    except grpc.RpcError as error:
        out["fail"] = {"code": error.code().name, "details": error.details()}
    stream = channel.unary_stream("/%s/ServerStream" % SERVICE)
    messages = [m.decode() for m in stream(b"500", timeout=20)]
    out["server_stream"] = {"count": len(messages), "first": messages[0], "last": messages[-1]}
    upload = channel.stream_unary("/%s/ClientStream" % SERVICE)
    # 8 MiB in 64 KiB messages: more than every window on the way.
    out["client_stream"] = upload(iter([b"x" * 65536] * 128), timeout=60).decode()
    bidi = channel.stream_stream("/%s/Bidi" % SERVICE)
    out["bidi"] = [m.decode() for m in bidi(iter([b"abc", b"hello", b"xyz"]), timeout=20)]
    # Many calls at once share the connections on the way.
    calls = [unary.future(b"c%d" % i, timeout=20) for i in range(50)]
    out["concurrent"] = sum(1 for i, c in enumerate(calls) if c.result().startswith(b"echo:c%d|" % i))
    channel.close()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), *sys.argv[3:5])
    else:
        call(sys.argv[2], *sys.argv[3:5])
