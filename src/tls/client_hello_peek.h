#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// What a passthrough VIP learns from a ClientHello without decrypting anything.
struct ClientHelloInfo {
  std::string sni;                // lower-cased, trailing dot removed; empty when not sent
  std::vector<std::string> alpn;  // offered protocols, in the client's order
  uint16_t legacyVersion = 0;     // ClientHello.legacy_version (0x0303 for TLS 1.2 and 1.3)
  bool offersTls13 = false;       // supported_versions lists 0x0304
};

// Recognises a complete TLS ClientHello in the bytes a client has sent so far, however they
// were cut: into TCP segments (the caller feeds what each read brings) or into several TLS
// records (the handshake message is reassembled across them).
//
// Resumable: each call examines only the records completed since the last call, so a client
// dribbling one byte at a time costs O(n) in all, not O(n²). The caller owns the bytes and
// passes the whole prefix received so far each time (it may move between calls); the peek
// keeps offsets, never pointers, and copies bytes only to join a ClientHello that spans
// records.
//
// It never reads outside the span it is given, whatever the input (see the fuzz target in
// test/fuzz/client_hello).
class ClientHelloPeek {
 public:
  enum class Status {
    kNeedMore,   // a valid prefix: wait for more bytes
    kComplete,   // info() is ready
    kNotTls,     // the first bytes are not a TLS handshake record (plain HTTP, SSH, ...)
    kMalformed,  // TLS framing or ClientHello syntax is wrong
    kTooLarge,   // the ClientHello does not fit in `maxBytes`
  };

  explicit ClientHelloPeek(size_t maxBytes) : maxBytes_(maxBytes) {}

  // `received` is every byte received so far (a longer prefix than at the previous call).
  Status feed(std::string_view received);

  const ClientHelloInfo& info() const { return info_; }
  static const char* toString(Status status);

 private:
  Status parseHandshake(std::string_view message);

  size_t maxBytes_;
  size_t nextRecord_ = 0;     // offset of the next record header not yet examined
  std::string joined_;        // handshake bytes, only when they span more than one record
  size_t firstFragment_ = 0;  // offset and length of the first record's payload
  size_t firstLength_ = 0;
  size_t records_ = 0;
  Status status_ = Status::kNeedMore;
  ClientHelloInfo info_;
};

}  // namespace sluice
