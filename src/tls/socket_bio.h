#pragma once

#include <openssl/bio.h>

#include <cstddef>

namespace sluice {

// The BIO between OpenSSL and a non-blocking, edge-triggered socket, both ways.
//
// It differs from OpenSSL's socket BIO in three ways:
//
// - It can first hand out bytes the caller already read from the socket. A listener that both
//   passes some hostnames through and terminates others must read the ClientHello before it
//   knows which; when it terminates, those bytes belong to the TLS engine. They go to OpenSSL
//   from the peek buffer (the one copy any read makes), then the socket is read, so the socket
//   is never read twice and nothing is pushed back. `prefix[0, length)` stays the caller's and
//   must outlive the BIO or its reading them (BIO_pending() is 0 once all are handed out).
//
// - It remembers that the socket is drained (ReadEdge): until the owner reports the next
//   readable edge with markSocketReadable(), reads say "retry" without a system call. With
//   read-ahead, OpenSSL asks for a whole buffer at once, so a request or a handshake flight
//   costs one read() and no trailing EAGAIN.
//
// - It can hold writes while corked. OpenSSL writes whatever a call produces as it goes: the
//   two session tickets after a client's Finished are two records, and were two send() calls,
//   each of which costs a wake-up of the peer on loopback. Corked around one SSL call, they
//   leave in one send(). A corked write always succeeds; uncorkSocketBio() sends what was held.
//   Held bytes the socket would not take stay held, go out before any later write, and keep
//   later writes waiting (so OpenSSL still sees backpressure).
//
// Writes otherwise go straight to the socket (MSG_NOSIGNAL). The socket is not closed by the BIO.
BIO* newSocketBio(int fd, const char* prefix = nullptr, size_t length = 0);

// The socket was reported readable; `peerClosed` if the event said the peer closed its side.
void markSocketReadable(BIO* bio, bool peerClosed);

// Holds writes until uncorkSocketBio().
void corkSocketBio(BIO* bio);
// Sends what was held: false when some of it must wait for the socket to be writable (or the
// socket failed; the next write reports that).
bool uncorkSocketBio(BIO* bio);

// No byte can have arrived since the last read emptied the socket (no readable edge since).
bool socketDrained(BIO* bio);

}  // namespace sluice
