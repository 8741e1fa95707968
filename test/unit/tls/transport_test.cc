#include "tls/transport.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "net/socket.h"
#include "tls/backend_session_cache.h"
#include "tls/certificate.h"
#include "tls/certificate_factory.h"
#include "tls/socket_bio.h"
#include "tls/tls_client_context.h"
#include "tls/tls_server_context.h"

namespace sluice {
namespace {

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    a = UniqueFd(fds[0]);
    b = UniqueFd(fds[1]);
  }
  UniqueFd a, b;
};

TEST(SocketBio, HandsOutThePrefixThenTheSocket) {
  SocketPair pair;
  const std::string prefix = "hello ";
  BIO* bio = newSocketBio(pair.a.get(), prefix.data(), prefix.size());
  ASSERT_NE(bio, nullptr);
  EXPECT_EQ(BIO_pending(bio), 6);
  char buffer[64];
  EXPECT_EQ(BIO_read(bio, buffer, 4), 4);  // a prefix may be read in pieces
  EXPECT_EQ(std::string(buffer, 4), "hell");
  EXPECT_EQ(BIO_read(bio, buffer, sizeof buffer), 2);
  EXPECT_EQ(std::string(buffer, 2), "o ");
  EXPECT_LE(BIO_read(bio, buffer, sizeof buffer), 0);  // nothing sent yet: try again later
  EXPECT_TRUE(BIO_should_retry(bio));
  ASSERT_EQ(::write(pair.b.get(), "world", 5), 5);
  EXPECT_EQ(BIO_read(bio, buffer, sizeof buffer), 5);
  EXPECT_EQ(std::string(buffer, 5), "world");
  EXPECT_EQ(BIO_write(bio, "back", 4), 4);  // writes go straight to the socket
  EXPECT_EQ(::read(pair.b.get(), buffer, sizeof buffer), 4);
  pair.b.reset();
  markSocketReadable(bio, true);
  EXPECT_EQ(BIO_read(bio, buffer, sizeof buffer), 0);
  EXPECT_FALSE(BIO_should_retry(bio));
  EXPECT_TRUE(BIO_eof(bio));
  BIO_free(bio);
}

TEST(SocketBio, AShortReadMeansDrainedUntilTheNextReadableEdge) {
  SocketPair pair;
  BIO* bio = newSocketBio(pair.a.get());
  char buffer[64];
  ASSERT_EQ(::write(pair.b.get(), "one", 3), 3);
  EXPECT_EQ(BIO_read(bio, buffer, sizeof buffer), 3);  // less than asked: the socket is empty
  ASSERT_EQ(::write(pair.b.get(), "two", 3), 3);
  EXPECT_LE(BIO_read(bio, buffer, sizeof buffer), 0) << "no read until the edge is reported";
  EXPECT_TRUE(BIO_should_retry(bio));
  markSocketReadable(bio, false);
  EXPECT_EQ(BIO_read(bio, buffer, sizeof buffer), 3);
  EXPECT_EQ(std::string(buffer, 3), "two");
  // A read that fills the buffer leaves the socket possibly non-empty: the next read asks.
  ASSERT_EQ(::write(pair.b.get(), "abcdef", 6), 6);
  markSocketReadable(bio, false);
  EXPECT_EQ(BIO_read(bio, buffer, 4), 4);
  EXPECT_EQ(BIO_read(bio, buffer, sizeof buffer), 2);
  // Once the peer's close is reported, short reads are not trusted: the end must be read.
  ASSERT_EQ(::write(pair.b.get(), "bye", 3), 3);
  pair.b.reset();
  markSocketReadable(bio, true);
  EXPECT_EQ(BIO_read(bio, buffer, sizeof buffer), 3);
  EXPECT_EQ(BIO_read(bio, buffer, sizeof buffer), 0);
  EXPECT_TRUE(BIO_eof(bio));
  BIO_free(bio);
}

TEST(SocketBio, CorkedWritesLeaveInOneSendAndKeepTheirOrder) {
  SocketPair pair;
  BIO* bio = newSocketBio(pair.a.get());
  corkSocketBio(bio);
  EXPECT_EQ(BIO_write(bio, "one ", 4), 4);
  EXPECT_EQ(BIO_write(bio, "two ", 4), 4);
  char buffer[64];
  EXPECT_LT(::recv(pair.b.get(), buffer, sizeof buffer, MSG_DONTWAIT), 0) << "held while corked";
  EXPECT_TRUE(uncorkSocketBio(bio));
  EXPECT_EQ(::recv(pair.b.get(), buffer, sizeof buffer, 0), 8);
  EXPECT_EQ(std::string(buffer, 8), "one two ");

  // Held bytes the socket cannot take wait, and later writes wait behind them.
  const int small = 4096;
  ASSERT_EQ(::setsockopt(pair.a.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  std::string fill(1 << 20, 'x');
  corkSocketBio(bio);
  EXPECT_EQ(BIO_write(bio, fill.data(), static_cast<int>(fill.size())),
            static_cast<int>(fill.size()));
  EXPECT_FALSE(uncorkSocketBio(bio)) << "the socket is full";
  EXPECT_LE(BIO_write(bio, "after", 5), 0);
  EXPECT_TRUE(BIO_should_retry(bio));
  std::string received;
  bool wroteAfter = false;
  for (int i = 0; i < 100000 && received.size() < fill.size() + 5; ++i) {
    const ssize_t n = ::recv(pair.b.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) received.append(buffer, static_cast<size_t>(n));
    if (!wroteAfter && uncorkSocketBio(bio)) {  // sends what is held as room appears
      EXPECT_EQ(BIO_write(bio, "after", 5), 5);
      wroteAfter = true;
    }
  }
  EXPECT_EQ(received.size(), fill.size() + 5);
  EXPECT_EQ(received.substr(fill.size()), "after");
  BIO_free(bio);
}

// A CA, a server certificate for app.internal.test, and contexts for both ends.
class TransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char path[] = "/tmp/sluice-transport-test-XXXXXX";
    dir_ = ::mkdtemp(path);
    CertificateFactory factory(dir_, "Transport Test CA");
    const auto files = factory.issue("app", {"app.internal.test"});
    std::string error;
    auto cert = loadCertificate("app", files.cert, files.key, error);
    ASSERT_TRUE(cert) << error;
    server_ = TlsServerContext::create({std::make_shared<const Certificate>(std::move(*cert))},
                                       TlsSettings{}, error);
    ASSERT_TRUE(server_) << error;
    caPath_ = factory.caPath();
  }
  static void TearDownTestSuite() {
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  static std::shared_ptr<const TlsClientContext> client(BackendTlsSettings settings) {
    settings.ca = caPath_;
    std::string error;
    auto context = TlsClientContext::create(settings, error);
    EXPECT_TRUE(context) << error;
    return context;
  }
  // The client end over `fd`, asking for and verifying `name`.
  static Transport connecting(int fd, const TlsClientContext& context,
                              const std::string& name = "app.internal.test",
                              SSL_SESSION* resume = nullptr) {
    return Transport(fd, context.newSession(name, name, resume), Transport::Role::kConnect);
  }
  // Runs both handshakes (non-blocking, one thread) until neither can move.
  static void handshake(Transport& clientSide, Transport& serverSide) {
    for (int i = 0; i < 100; ++i) {
      clientSide.socketReadable(false);  // as if every round were a readable edge
      serverSide.socketReadable(false);
      const bool c = clientSide.handshake();
      const bool s = serverSide.handshake();
      if ((c && s) || clientSide.failed() || serverSide.failed()) return;
    }
  }

  // A read as the event loop does it: on a readable edge.
  static ssize_t readOnEdge(Transport& transport, char* buffer, size_t size) {
    transport.socketReadable(false);
    return transport.read(buffer, size);
  }

  static std::string dir_;
  static std::string caPath_;
  static std::shared_ptr<const TlsServerContext> server_;
};
std::string TransportTest::dir_;
std::string TransportTest::caPath_;
std::shared_ptr<const TlsServerContext> TransportTest::server_;

TEST_F(TransportTest, VerifiedHandshakeThenDataBothWays) {
  SocketPair pair;
  auto context = client({});
  Transport clientSide = connecting(pair.a.get(), *context);
  Transport serverSide(pair.b.get(), server_->newSession(), Transport::Role::kAccept);
  handshake(clientSide, serverSide);
  ASSERT_TRUE(clientSide.handshake()) << clientSide.error();
  ASSERT_TRUE(serverSide.handshake()) << serverSide.error();
  EXPECT_EQ(serverSide.serverName(), "app.internal.test");
  EXPECT_STREQ(clientSide.tlsVersion(), "TLSv1.3");
  EXPECT_EQ(clientSide.write("ping", 4), 4);
  char buffer[16];
  EXPECT_EQ(readOnEdge(serverSide, buffer, sizeof buffer), 4);
  EXPECT_EQ(readOnEdge(serverSide, buffer, sizeof buffer), Transport::kAgain);

  // Moving a transport (as the pool does) keeps the session working.
  Transport moved = std::move(clientSide);
  EXPECT_FALSE(clientSide.tls());
  EXPECT_EQ(serverSide.write("pong", 4), 4);
  EXPECT_EQ(readOnEdge(moved, buffer, sizeof buffer), 4);
  EXPECT_EQ(std::string(buffer, 4), "pong");
}

TEST_F(TransportTest, TheWrongNameFailsWithTheCheckersReason) {
  SocketPair pair;
  auto context = client({});
  Transport clientSide(
      pair.a.get(), context->newSession("billing.internal.test", "billing.internal.test", nullptr),
      Transport::Role::kConnect);
  Transport serverSide(pair.b.get(), server_->newSession(), Transport::Role::kAccept);
  handshake(clientSide, serverSide);
  EXPECT_TRUE(clientSide.failed());
  EXPECT_EQ(clientSide.error(), "certificate verify failed: hostname mismatch");
}

TEST_F(TransportTest, AServerReadsAClientHelloAlreadyPeeked) {
  SocketPair pair;
  auto context = client({});
  Transport clientSide = connecting(pair.a.get(), *context);
  EXPECT_FALSE(clientSide.handshake());  // sends the ClientHello
  char hello[16384];
  const ssize_t n = ::recv(pair.b.get(), hello, sizeof hello, 0);
  ASSERT_GT(n, 0);
  auto peeked = std::make_unique<char[]>(static_cast<size_t>(n));
  std::copy(hello, hello + n, peeked.get());
  Transport serverSide(pair.b.get(), server_->newSession(), peeked.get(), static_cast<size_t>(n));
  handshake(clientSide, serverSide);
  ASSERT_TRUE(serverSide.handshake()) << serverSide.error();
  ASSERT_TRUE(clientSide.handshake()) << clientSide.error();
  EXPECT_TRUE(serverSide.peekedBytesConsumed());
  EXPECT_EQ(serverSide.serverName(), "app.internal.test");
  EXPECT_EQ(clientSide.write("after", 5), 5);
  char buffer[16];
  EXPECT_EQ(readOnEdge(serverSide, buffer, sizeof buffer), 5);
}

TEST_F(TransportTest, ASessionKeptAfterTheFirstConnectionResumesTheNext) {
  auto context = client({});
  BackendSessionCache cache(8);
  for (int round = 0; round < 2; ++round) {
    SocketPair pair;
    Transport clientSide(
        pair.a.get(),
        context->newSession("app.internal.test", "app.internal.test", cache.find("app")),
        Transport::Role::kConnect);
    Transport serverSide(pair.b.get(), server_->newSession(), Transport::Role::kAccept);
    handshake(clientSide, serverSide);
    ASSERT_TRUE(clientSide.handshake()) << clientSide.error();
    EXPECT_EQ(clientSide.resumed(), round == 1);
    // TLS 1.3 tickets arrive after the handshake, with the first data.
    EXPECT_EQ(serverSide.write("x", 1), 1);
    char byte;
    EXPECT_EQ(readOnEdge(clientSide, &byte, 1), 1);
    cache.store("app", clientSide.ssl());
    // The connection ends without a TLS shutdown (as a pooled one the server closed does):
    // the kept copy must stay resumable.
  }
  EXPECT_EQ(cache.size(), 1u);
}

TEST(BackendSessionCache, IsBounded) {
  BackendSessionCache cache(3);
  for (int i = 0; i < 10; ++i)
    cache.store("server" + std::to_string(i), SSL_SESSION_new());
  EXPECT_EQ(cache.size(), 3u);
  cache.store("server9", SSL_SESSION_new());  // replaces, frees the old one (ASan checks)
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_NE(cache.find("server9"), nullptr);
}

TEST(TlsClientContext, RefusesBadSettings) {
  std::string error;
  BackendTlsSettings settings;
  settings.minVersion = "1.0";
  EXPECT_FALSE(TlsClientContext::create(settings, error));
  EXPECT_EQ(error, "min_version '1.0' must be \"1.2\" or \"1.3\"");
  settings = {};
  settings.ca = "/nonexistent/ca.pem";
  EXPECT_FALSE(TlsClientContext::create(settings, error));
  EXPECT_EQ(error.rfind("ca '/nonexistent/ca.pem': ", 0), 0u) << error;
  // Identities tell contexts apart by what makes their connections differ.
  settings = {};
  auto a = TlsClientContext::create(settings, error);
  settings.verify = false;
  auto b = TlsClientContext::create(settings, error);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->identity(), b->identity());
}

}  // namespace
}  // namespace sluice
