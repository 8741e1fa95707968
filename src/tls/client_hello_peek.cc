#include "tls/client_hello_peek.h"

#include <algorithm>
#include <bitset>

#include "tls/host_name.h"

namespace sluice {
namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHelloType = 1;
constexpr size_t kRecordHeader = 5;
constexpr size_t kHandshakeHeader = 4;
constexpr size_t kMaxRecordPayload = 16384 + 2048;  // TLSPlaintext limit, with room for slack

constexpr uint16_t kExtServerName = 0;
constexpr uint16_t kExtAlpn = 16;
constexpr uint16_t kExtSupportedVersions = 43;

// A bounds-checked reader over a byte span: every read either succeeds inside the span or
// marks the reader failed and returns zero/empty, so parsing code reads as the grammar does and
// checks ok() once per structure.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  bool empty() const { return bytes_.empty(); }

  uint32_t u8() { return static_cast<uint32_t>(take(1)[0] & 0xff); }
  uint32_t u16() {
    auto b = take(2);
    return ok_ ? (uint32_t(uint8_t(b[0])) << 8) | uint8_t(b[1]) : 0;
  }
  uint32_t u24() {
    auto b = take(3);
    return ok_ ? (uint32_t(uint8_t(b[0])) << 16) | (uint32_t(uint8_t(b[1])) << 8) | uint8_t(b[2])
               : 0;
  }
  std::string_view bytes(size_t n) { return take(n); }
  std::string_view rest() const { return bytes_; }
  // A length-prefixed vector (1- or 2-byte length) as a reader of its own; consumes it here.
  Reader sub8() {
    const uint32_t n = u8();
    return Reader(take(n), ok_);
  }
  Reader sub16() {
    const uint32_t n = u16();
    return Reader(take(n), ok_);
  }

 private:
  Reader(std::string_view bytes, bool ok) : bytes_(bytes), ok_(ok) {}
  std::string_view take(size_t n) {
    static constexpr char kZeros[4] = {0, 0, 0, 0};
    if (!ok_ || n > bytes_.size()) {
      ok_ = false;
      bytes_ = {};
      return std::string_view(kZeros, std::min<size_t>(n, sizeof kZeros));
    }
    std::string_view out = bytes_.substr(0, n);
    bytes_.remove_prefix(n);
    return out;
  }
  std::string_view bytes_;
  bool ok_ = true;
};

// server_name extension: a list of (type, name); the first host_name (type 0) counts.
bool parseServerName(Reader data, std::string& sni) {
  Reader names = data.sub16();
  if (!data.ok() || !data.empty() || names.empty()) return false;
  while (!names.empty()) {
    const uint32_t type = names.u8();
    const std::string_view name = names.sub16().rest();
    if (!names.ok()) return false;
    if (type == 0 && sni.empty() && !normaliseHostName(name, sni)) return false;
  }
  return true;
}

// application_layer_protocol_negotiation extension: a list of non-empty protocol names.
bool parseAlpn(Reader data, std::vector<std::string>& alpn) {
  constexpr size_t kMaxProtocols = 32;
  Reader list = data.sub16();
  if (!data.ok() || !data.empty() || list.empty()) return false;
  while (!list.empty()) {
    const std::string_view protocol = list.sub8().rest();
    if (!list.ok() || protocol.empty() || alpn.size() == kMaxProtocols) return false;
    alpn.emplace_back(protocol);
  }
  return true;
}

// supported_versions extension (ClientHello form): a list of 16-bit versions.
bool parseSupportedVersions(Reader data, bool& offersTls13) {
  Reader list = data.sub8();
  if (!data.ok() || !data.empty() || list.rest().size() % 2 != 0) return false;
  while (!list.empty()) {
    if (list.u16() == 0x0304) offersTls13 = true;
  }
  return true;
}

}  // namespace

const char* ClientHelloPeek::toString(Status status) {
  switch (status) {
    case Status::kNeedMore:
      return "need_more";
    case Status::kComplete:
      return "complete";
    case Status::kNotTls:
      return "not_tls";
    case Status::kMalformed:
      return "malformed_client_hello";
    case Status::kTooLarge:
      return "client_hello_too_large";
  }
  return "?";
}

ClientHelloPeek::Status ClientHelloPeek::feed(std::string_view received) {
  if (status_ != Status::kNeedMore) return status_;
  // Decide "not TLS" on the first byte, so that a plain-text client is turned away at once.
  if (!received.empty() && static_cast<uint8_t>(received[0]) != kHandshakeRecord) {
    return status_ = Status::kNotTls;
  }
  while (received.size() >= nextRecord_ + kRecordHeader) {
    Reader header(received.substr(nextRecord_, kRecordHeader));
    const uint32_t type = header.u8();
    const uint32_t major = header.u8();
    header.u8();  // minor: any of 3.0 to 3.4 appears in the wild
    const uint32_t length = header.u16();
    if (type != kHandshakeRecord || major != 3) {
      return status_ = records_ == 0 ? Status::kNotTls : Status::kMalformed;
    }
    if (length == 0 || length > kMaxRecordPayload) return status_ = Status::kMalformed;
    const size_t end = nextRecord_ + kRecordHeader + length;
    if (end > maxBytes_) return status_ = Status::kTooLarge;
    if (received.size() < end) break;

    const std::string_view fragment = received.substr(nextRecord_ + kRecordHeader, length);
    nextRecord_ = end;
    ++records_;
    if (records_ == 1) {
      firstFragment_ = nextRecord_ - length;
    } else {
      if (records_ == 2) joined_.assign(received.substr(firstFragment_, firstLength_));
      joined_.append(fragment);
    }
    if (records_ == 1) firstLength_ = length;
    const std::string_view handshake = records_ == 1 ? fragment : std::string_view(joined_);
    if (handshake.size() < kHandshakeHeader) continue;
    Reader message(handshake);
    if (message.u8() != kClientHelloType) return status_ = Status::kMalformed;
    const size_t bodyLength = message.u24();
    if (bodyLength + kHandshakeHeader > maxBytes_) return status_ = Status::kTooLarge;
    if (handshake.size() < kHandshakeHeader + bodyLength) continue;
    return status_ = parseHandshake(handshake.substr(kHandshakeHeader, bodyLength));
  }
  if (received.size() >= maxBytes_) return status_ = Status::kTooLarge;
  return Status::kNeedMore;
}

ClientHelloPeek::Status ClientHelloPeek::parseHandshake(std::string_view body) {
  Reader hello(body);
  info_.legacyVersion = static_cast<uint16_t>(hello.u16());
  hello.bytes(32);  // random
  const Reader sessionId = hello.sub8();
  const Reader cipherSuites = hello.sub16();
  const Reader compression = hello.sub8();
  if (!hello.ok() || sessionId.rest().size() > 32 || cipherSuites.empty() ||
      cipherSuites.rest().size() % 2 != 0 || compression.empty()) {
    return Status::kMalformed;
  }
  if (hello.empty()) return Status::kComplete;  // no extensions at all (old clients)

  Reader extensions = hello.sub16();
  if (!hello.ok() || !hello.empty()) return Status::kMalformed;
  // RFC 8446 §4.2: an extension type appears at most once. One bit per possible type keeps the
  // check linear however many extensions a crafted hello carries.
  std::bitset<65536> seen;
  while (!extensions.empty()) {
    const uint16_t type = static_cast<uint16_t>(extensions.u16());
    Reader data = extensions.sub16();
    if (!extensions.ok() || seen[type]) return Status::kMalformed;
    seen[type] = true;
    bool ok = true;
    switch (type) {
      case kExtServerName:
        ok = parseServerName(data, info_.sni);
        break;
      case kExtAlpn:
        ok = parseAlpn(data, info_.alpn);
        break;
      case kExtSupportedVersions:
        ok = parseSupportedVersions(data, info_.offersTls13);
        break;
      default:
        break;
    }
    if (!ok) return Status::kMalformed;
  }
  return Status::kComplete;
}

}  // namespace sluice
