#pragma once

#include <openssl/bio.h>

#include <cstddef>
#include <memory>

namespace sluice {

// A read BIO over a non-blocking socket that first hands out bytes the caller has already
// read from that socket.
//
// A listener that both passes some hostnames through and terminates others must read the
// ClientHello before it knows which; when it terminates, those bytes belong to the TLS engine.
// This BIO gives them to OpenSSL from the peek buffer (the one copy any read makes, into the
// engine's record buffer) and then reads the socket as a socket BIO would, so the socket is
// never read twice and nothing is pushed back.
//
// `bytes[0, length)` are the peeked bytes; they stay the caller's and must outlive the BIO or
// its reading them (BIO_pending() is 0 once they are all handed out). The socket is not closed
// by it.
BIO* newPrefixedSocketBio(int fd, const char* bytes, size_t length);

}  // namespace sluice
