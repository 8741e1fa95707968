#include "tls/client_hello_peek.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tls/host_name.h"

namespace sluice {
namespace {

using Status = ClientHelloPeek::Status;

// A ClientHello captured from a real client (see client_hellos/README.md), as raw bytes.
std::string capture(const std::string& name) {
  std::ifstream in(std::string(SLUICE_TEST_DATA_DIR) + "/client_hellos/" + name + ".hex");
  std::string hex;
  in >> hex;
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

struct Expected {
  const char* capture;
  const char* sni;
  std::vector<std::string> alpn;
  bool tls13;
};

const std::vector<Expected>& captures() {
  static const std::vector<Expected> all = {
      {"curl_tls13_sni_alpn", "api.example.test", {"h2", "http/1.1"}, true},
      {"curl_tls12_sni_http11", "shop.example.test", {"http/1.1"}, false},
      {"openssl_tls13_sni_alpn", "bank.example.test", {"h2", "http/1.1"}, true},
      {"openssl_tls13_no_sni", "", {}, true},
      {"openssl_tls12_sni", "legacy.example.test", {}, false},
      {"chromium_grease", "www.example.test", {"h2", "http/1.1"}, true},
  };
  return all;
}

void expectInfo(const ClientHelloInfo& info, const Expected& e) {
  EXPECT_EQ(info.sni, e.sni) << e.capture;
  EXPECT_EQ(info.alpn, e.alpn) << e.capture;
  EXPECT_EQ(info.offersTls13, e.tls13) << e.capture;
  EXPECT_EQ(info.legacyVersion, 0x0303) << e.capture;
}

// The same ClientHello re-framed into TLS records carrying at most `size` handshake bytes each.
std::string refragment(const std::string& hello, size_t size) {
  const std::string handshake = hello.substr(5, (uint8_t(hello[3]) << 8) | uint8_t(hello[4]));
  std::string out;
  for (size_t at = 0; at < handshake.size(); at += size) {
    const std::string part = handshake.substr(at, size);
    out += std::string{'\x16', '\x03', '\x01', static_cast<char>(part.size() >> 8),
                       static_cast<char>(part.size() & 0xff)};
    out += part;
  }
  return out;
}

TEST(ClientHelloPeek, ReadsEveryCapturedClientHello) {
  for (const Expected& e : captures()) {
    const std::string hello = capture(e.capture);
    ASSERT_GT(hello.size(), 100u) << e.capture;
    ClientHelloPeek peek(16384);
    ASSERT_EQ(peek.feed(hello), Status::kComplete) << e.capture;
    expectInfo(peek.info(), e);
  }
}

TEST(ClientHelloPeek, SameResultAtEverySplitIntoTwoSegments) {
  for (const Expected& e : captures()) {
    const std::string hello = capture(e.capture);
    for (size_t split = 1; split < hello.size(); ++split) {
      ClientHelloPeek peek(16384);
      ASSERT_EQ(peek.feed(std::string_view(hello).substr(0, split)), Status::kNeedMore)
          << e.capture << " split at " << split;
      ASSERT_EQ(peek.feed(hello), Status::kComplete) << e.capture << " split at " << split;
      expectInfo(peek.info(), e);
    }
  }
}

TEST(ClientHelloPeek, OneByteAtATime) {
  for (const Expected& e : captures()) {
    const std::string hello = capture(e.capture);
    ClientHelloPeek peek(16384);
    for (size_t n = 1; n < hello.size(); ++n) {
      ASSERT_EQ(peek.feed(std::string_view(hello).substr(0, n)), Status::kNeedMore) << n;
    }
    ASSERT_EQ(peek.feed(hello), Status::kComplete);
    expectInfo(peek.info(), e);
  }
}

TEST(ClientHelloPeek, ReassemblesAClientHelloSpanningManyRecords) {
  for (const Expected& e : captures()) {
    for (size_t size : {1u, 7u, 100u, 512u}) {
      const std::string framed = refragment(capture(e.capture), size);
      ClientHelloPeek peek(16384);
      ASSERT_EQ(peek.feed(framed), Status::kComplete) << e.capture << " in records of " << size;
      expectInfo(peek.info(), e);
      // And fed a byte at a time across those record boundaries.
      ClientHelloPeek dribbled(16384);
      Status status = Status::kNeedMore;
      for (size_t n = 1; n <= framed.size() && status == Status::kNeedMore; ++n) {
        status = dribbled.feed(std::string_view(framed).substr(0, n));
      }
      ASSERT_EQ(status, Status::kComplete);
      expectInfo(dribbled.info(), e);
    }
  }
}

TEST(ClientHelloPeek, TruncatedInputNeverCompletes) {
  const std::string hello = capture("chromium_grease");
  for (size_t n = 0; n < hello.size(); n += 13) {
    ClientHelloPeek peek(16384);
    EXPECT_EQ(peek.feed(std::string_view(hello).substr(0, n)), Status::kNeedMore) << n;
  }
}

TEST(ClientHelloPeek, RefusesAClientHelloLargerThanTheLimit) {
  const std::string hello = capture("chromium_grease");  // 1924 bytes
  ClientHelloPeek peek(1024);
  EXPECT_EQ(peek.feed(std::string_view(hello).substr(0, 5)), Status::kTooLarge)
      << "the record header already says it cannot fit";
  // Across records, the handshake length says so as soon as it is read.
  ClientHelloPeek framed(1024);
  EXPECT_EQ(framed.feed(refragment(hello, 100).substr(0, 105)), Status::kTooLarge);
  // A stream of tiny records never completing the message runs into the limit too.
  std::string endless = refragment(hello, 1);
  ClientHelloPeek slow(1024);
  EXPECT_EQ(slow.feed(std::string_view(endless).substr(0, 2000)), Status::kTooLarge);
}

TEST(ClientHelloPeek, RecognisesOtherProtocolsAtTheFirstByte) {
  for (const char* text : {"G", "GET / HTTP/1.1\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "\x80\x2e\x01"}) {
    ClientHelloPeek peek(16384);
    EXPECT_EQ(peek.feed(text), Status::kNotTls) << text;
  }
  ClientHelloPeek wrongMajor(16384);
  EXPECT_EQ(wrongMajor.feed(std::string("\x16\x02\x00\x00\x10", 5)), Status::kNotTls);
}

TEST(ClientHelloPeek, RefusesMalformedStructure) {
  const std::string hello = capture("openssl_tls13_sni_alpn");
  auto peekOf = [](std::string bytes) {
    ClientHelloPeek peek(16384);
    return peek.feed(bytes);
  };
  std::string notClientHello = hello;
  notClientHello[5] = 2;  // ServerHello
  EXPECT_EQ(peekOf(notClientHello), Status::kMalformed);

  std::string emptyRecord("\x16\x03\x01\x00\x00", 5);
  EXPECT_EQ(peekOf(emptyRecord), Status::kMalformed);

  // The extensions block claims one byte more than the message holds.
  std::string badExtensions = hello;
  const size_t sessionIdAt = 5 + 4 + 2 + 32;
  const size_t ciphersAt = sessionIdAt + 1 + uint8_t(hello[sessionIdAt]);
  const size_t ciphersLength = (uint8_t(hello[ciphersAt]) << 8) | uint8_t(hello[ciphersAt + 1]);
  const size_t compressionAt = ciphersAt + 2 + ciphersLength;
  const size_t extensionsAt = compressionAt + 1 + uint8_t(hello[compressionAt]);
  badExtensions[extensionsAt + 1] = static_cast<char>(uint8_t(badExtensions[extensionsAt + 1]) + 1);
  EXPECT_EQ(peekOf(badExtensions), Status::kMalformed);

  // A record after the first that is not a handshake record.
  std::string mixed = refragment(hello, 50);
  mixed[55] = 23;  // application data
  EXPECT_EQ(peekOf(mixed), Status::kMalformed);
}

// A ClientHello built by hand, to reach shapes no real client sends.
std::string handmade(const std::string& extensions) {
  std::string body = std::string("\x03\x03", 2) + std::string(32, 'r') + std::string("\x00", 1) +
                     std::string("\x00\x02\x13\x01", 4) + std::string("\x01\x00", 2);
  body += std::string{static_cast<char>(extensions.size() >> 8),
                      static_cast<char>(extensions.size() & 0xff)};
  body += extensions;
  std::string handshake = std::string{'\x01', '\x00', static_cast<char>(body.size() >> 8),
                                      static_cast<char>(body.size() & 0xff)} +
                          body;
  return std::string{'\x16', '\x03', '\x01', static_cast<char>(handshake.size() >> 8),
                     static_cast<char>(handshake.size() & 0xff)} +
         handshake;
}

std::string sniExtension(const std::string& name) {
  std::string entry =
      std::string("\x00", 1) + std::string{'\x00', static_cast<char>(name.size())} + name;
  std::string list = std::string{'\x00', static_cast<char>(entry.size())} + entry;
  return std::string("\x00\x00", 2) + std::string{'\x00', static_cast<char>(list.size())} + list;
}

TEST(ClientHelloPeek, NormalisesAndValidatesTheServerName) {
  ClientHelloPeek upper(16384);
  ASSERT_EQ(upper.feed(handmade(sniExtension("Bank.Example.TEST."))), Status::kComplete);
  EXPECT_EQ(upper.info().sni, "bank.example.test");
  for (const char* bad : {"bad name.test", "a..b", ".", "evil\n.test", "x/y"}) {
    ClientHelloPeek peek(16384);
    EXPECT_EQ(peek.feed(handmade(sniExtension(bad))), Status::kMalformed) << bad;
  }
}

TEST(ClientHelloPeek, RefusesADuplicatedExtension) {
  ClientHelloPeek peek(16384);
  EXPECT_EQ(peek.feed(handmade(sniExtension("a.test") + sniExtension("b.test"))),
            Status::kMalformed);
}

TEST(ClientHelloPeek, AcceptsAClientHelloWithoutExtensions) {
  std::string hello = handmade("");
  hello.resize(hello.size() - 2);  // drop the empty extensions length too
  hello[4] = static_cast<char>(hello[4] - 2);
  hello[8] = static_cast<char>(hello[8] - 2);
  ClientHelloPeek peek(16384);
  EXPECT_EQ(peek.feed(hello), Status::kComplete);
  EXPECT_EQ(peek.info().sni, "");
}

TEST(ClientHelloPeek, SurvivesEveryTruncationAndByteFlipOfARealHello) {
  // Not a substitute for the fuzz target, but it runs in every test build (and under ASan).
  const std::string hello = capture("curl_tls13_sni_alpn");
  for (size_t i = 0; i < hello.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::string mutated = hello;
      mutated[i] = static_cast<char>(mutated[i] ^ flip);
      ClientHelloPeek peek(16384);
      if (peek.feed(mutated) != Status::kComplete) continue;
      // Whatever got through is a clean, normalised name: nothing crafted reaches routing.
      const std::string& sni = peek.info().sni;
      std::string normalised;
      EXPECT_TRUE(sni.empty() || (normaliseHostName(sni, normalised) && normalised == sni)) << sni;
    }
  }
}

}  // namespace
}  // namespace sluice
