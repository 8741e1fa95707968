#include "tls/tls_server_context.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tls/certificate.h"
#include "tls/certificate_factory.h"
#include "tls/session_ticket_keys.h"

namespace sluice {
namespace {

using KeyType = CertificateFactory::KeyType;

// A directory of certificates made by a test CA, shared by the tests of this file.
class Certificates {
 public:
  static Certificates& instance() {
    static Certificates certs;
    return certs;
  }
  std::shared_ptr<const Certificate> load(const std::string& stem,
                                          const std::vector<std::string>& names,
                                          KeyType type = KeyType::kEcdsaP256) {
    // Issued once per name: RSA key generation is slow, above all under sanitizers.
    if (auto it = loaded_.find(stem); it != loaded_.end()) return it->second;
    const auto files = factory_->issue(stem, names, type);
    std::string error;
    auto cert = loadCertificate(stem, files.cert, files.key, error);
    EXPECT_TRUE(cert) << error;
    return loaded_[stem] = std::make_shared<const Certificate>(std::move(*cert));
  }
  CertificateFactory& factory() { return *factory_; }
  const std::string& dir() const { return dir_; }

 private:
  ~Certificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Certificates() {
    char path[] = "/tmp/sluice-tls-test-XXXXXX";
    dir_ = ::mkdtemp(path);
    factory_ = std::make_unique<CertificateFactory>(dir_, "Sluice Unit Test CA");
  }
  std::string dir_;
  std::unique_ptr<CertificateFactory> factory_;
  std::map<std::string, std::shared_ptr<const Certificate>> loaded_;
};

struct Handshake {
  bool ok = false;
  std::string subject;  // CN of the certificate the client got
  int keyType = 0;      // EVP_PKEY_EC or EVP_PKEY_RSA
  std::string version;
  std::string alpn;
  bool resumed = false;
  std::shared_ptr<SSL_SESSION> session;  // the client's, to resume with later
};

struct ClientOptions {
  std::string sni = "";
  std::string sigalgs = "";  // empty: OpenSSL's defaults
  int maxVersion = 0;
  int minVersion = 0;
  std::string alpnWire = "";
  std::string ciphers = "";       // TLS 1.2 cipher list
  SSL_SESSION* resume = nullptr;  // a session to resume
};

// A full handshake between a client and `server` in memory, through a BIO pair.
Handshake handshake(const TlsServerContext& server, const ClientOptions& options) {
  Handshake result;
  SSL_CTX* clientCtx = SSL_CTX_new(TLS_client_method());
  if (options.maxVersion) SSL_CTX_set_max_proto_version(clientCtx, options.maxVersion);
  if (options.minVersion) SSL_CTX_set_min_proto_version(clientCtx, options.minVersion);
  if (!options.sigalgs.empty()) SSL_CTX_set1_sigalgs_list(clientCtx, options.sigalgs.c_str());
  if (!options.ciphers.empty()) SSL_CTX_set_cipher_list(clientCtx, options.ciphers.c_str());
  SSL* client = SSL_new(clientCtx);
  SSL* serverSsl = server.newSession();
  if (!options.sni.empty()) SSL_set_tlsext_host_name(client, options.sni.c_str());
  if (options.resume) SSL_set_session(client, options.resume);
  if (!options.alpnWire.empty()) {
    SSL_set_alpn_protos(client, reinterpret_cast<const unsigned char*>(options.alpnWire.data()),
                        static_cast<unsigned>(options.alpnWire.size()));
  }
  BIO *clientBio = nullptr, *serverBio = nullptr;
  BIO_new_bio_pair(&clientBio, 0, &serverBio, 0);
  SSL_set_bio(client, clientBio, clientBio);
  SSL_set_bio(serverSsl, serverBio, serverBio);
  SSL_set_connect_state(client);
  SSL_set_accept_state(serverSsl);
  int clientDone = 0, serverDone = 0;
  for (int round = 0; round < 20 && (clientDone != 1 || serverDone != 1); ++round) {
    if (clientDone != 1) clientDone = SSL_do_handshake(client);
    if (serverDone != 1) serverDone = SSL_do_handshake(serverSsl);
  }
  result.ok = clientDone == 1 && serverDone == 1;
  if (result.ok) {
    X509* peer = SSL_get1_peer_certificate(client);
    char cn[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
    result.subject = cn;
    result.keyType = EVP_PKEY_get_base_id(X509_get0_pubkey(peer));
    X509_free(peer);
    result.version = SSL_get_version(client);
    const unsigned char* alpn = nullptr;
    unsigned alpnLength = 0;
    SSL_get0_alpn_selected(client, &alpn, &alpnLength);
    result.alpn.assign(reinterpret_cast<const char*>(alpn), alpnLength);
    result.resumed = SSL_session_reused(client);
    result.session.reset(SSL_get1_session(client), SSL_SESSION_free);
  }
  ERR_clear_error();
  // A connection freed without a shutdown marks its session as not resumable.
  if (result.ok) {
    SSL_shutdown(client);
    SSL_shutdown(serverSsl);
  }
  SSL_free(client);
  SSL_free(serverSsl);
  SSL_CTX_free(clientCtx);
  return result;
}

class TlsServerContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& certs = Certificates::instance();
    shopEc_ = certs.load("shop-ec", {"shop.example.test", "www.shop.example.test"});
    shopRsa_ =
        certs.load("shop-rsa", {"shop.example.test", "www.shop.example.test"}, KeyType::kRsa2048);
    api_ = certs.load("api", {"*.api.example.test"});
    std::string error;
    context_ = TlsServerContext::create({api_, shopEc_, shopRsa_}, TlsSettings{}, error);
    ASSERT_TRUE(context_) << error;
  }
  std::shared_ptr<const Certificate> shopEc_, shopRsa_, api_;
  std::shared_ptr<const TlsServerContext> context_;
};

TEST_F(TlsServerContextTest, SniPicksTheCertificateExactThenWildcardThenFirst) {
  EXPECT_EQ(handshake(*context_, {.sni = "shop.example.test"}).subject, "shop.example.test");
  EXPECT_EQ(handshake(*context_, {.sni = "WWW.Shop.Example.Test"}).subject, "shop.example.test");
  EXPECT_EQ(handshake(*context_, {.sni = "eu.api.example.test"}).subject, "*.api.example.test");
  EXPECT_EQ(handshake(*context_, {.sni = "unknown.example.test"}).subject, "*.api.example.test")
      << "no match: the VIP's first certificate";
  EXPECT_EQ(handshake(*context_, {}).subject, "*.api.example.test") << "no SNI: the first";
}

TEST_F(TlsServerContextTest, EcdsaOrRsaByWhatTheClientSupports) {
  const Handshake modern = handshake(*context_, {.sni = "shop.example.test"});
  ASSERT_TRUE(modern.ok);
  EXPECT_EQ(modern.keyType, EVP_PKEY_EC);
  const Handshake rsaOnly13 = handshake(
      *context_, {.sni = "shop.example.test", .sigalgs = "rsa_pss_rsae_sha256:rsa_pkcs1_sha256"});
  ASSERT_TRUE(rsaOnly13.ok);
  EXPECT_EQ(rsaOnly13.keyType, EVP_PKEY_RSA);
  const Handshake rsaOnly12 = handshake(*context_, {.sni = "shop.example.test",
                                                    .maxVersion = TLS1_2_VERSION,
                                                    .ciphers = "ECDHE-RSA-AES128-GCM-SHA256"});
  ASSERT_TRUE(rsaOnly12.ok);
  EXPECT_EQ(rsaOnly12.keyType, EVP_PKEY_RSA);
  EXPECT_EQ(rsaOnly12.version, "TLSv1.2");
}

TEST_F(TlsServerContextTest, RefusesOldProtocolsAndWeakCiphers) {
  EXPECT_EQ(handshake(*context_, {.sni = "shop.example.test"}).version, "TLSv1.3");
  EXPECT_FALSE(handshake(*context_, {.sni = "shop.example.test",
                                     .maxVersion = TLS1_1_VERSION,
                                     .minVersion = TLS1_VERSION})
                   .ok);
  EXPECT_FALSE(
      handshake(*context_,
                {.sni = "shop.example.test", .maxVersion = TLS1_2_VERSION, .ciphers = "AES128-SHA"})
          .ok)
      << "no forward secrecy";
  EXPECT_FALSE(handshake(*context_, {.sni = "shop.example.test",
                                     .maxVersion = TLS1_2_VERSION,
                                     .ciphers = "ECDHE-RSA-AES128-SHA"})
                   .ok)
      << "CBC";
}

TEST_F(TlsServerContextTest, NegotiatesAlpnByTheServersList) {
  const std::string h2AndHttp11("\x02h2\x08http/1.1", 12);
  const std::string http11Only("\x08http/1.1", 9);
  // The default: h2, then http/1.1.
  EXPECT_EQ(handshake(*context_, {.sni = "shop.example.test", .alpnWire = h2AndHttp11}).alpn, "h2");
  EXPECT_EQ(handshake(*context_, {.sni = "shop.example.test", .alpnWire = http11Only}).alpn,
            "http/1.1");
  std::string error;
  const auto http1 = TlsServerContext::create({shopEc_}, TlsSettings{.alpn = {"http/1.1"}}, error);
  ASSERT_TRUE(http1) << error;
  EXPECT_EQ(handshake(*http1, {.sni = "shop.example.test", .alpnWire = h2AndHttp11}).alpn,
            "http/1.1");
  const Handshake noCommon =
      handshake(*http1, {.sni = "shop.example.test", .alpnWire = std::string("\x02h2", 3)});
  EXPECT_TRUE(noCommon.ok) << "a client offering only h2 still connects";
  EXPECT_EQ(noCommon.alpn, "");
}

TEST_F(TlsServerContextTest, SettingsAreChecked) {
  std::string error;
  EXPECT_FALSE(TlsServerContext::create({shopEc_}, TlsSettings{.minVersion = "1.1"}, error));
  EXPECT_NE(error.find("min_version"), std::string::npos) << error;
  TlsSettings badCiphers;
  badCiphers.ciphers = "NOT-A-CIPHER";
  EXPECT_FALSE(TlsServerContext::create({shopEc_}, badCiphers, error));
  EXPECT_NE(error.find("ciphers 'NOT-A-CIPHER'"), std::string::npos) << error;
  auto twin =
      Certificates::instance().load("shop-ec-2", {"shop.example.test", "www.shop.example.test"});
  EXPECT_FALSE(TlsServerContext::create({shopEc_, twin}, TlsSettings{}, error));
  EXPECT_NE(error.find("same key type and the same names"), std::string::npos) << error;
  TlsSettings only13;
  only13.minVersion = "1.3";
  auto strict = TlsServerContext::create({shopEc_}, only13, error);
  ASSERT_TRUE(strict);
  EXPECT_FALSE(handshake(*strict, {.sni = "shop.example.test", .maxVersion = TLS1_2_VERSION}).ok);
}

TEST_F(TlsServerContextTest, TicketsResumeAcrossOneKeyRotationNotTwo) {
  // TLS 1.2 puts the ticket in the handshake itself, which keeps the in-memory exchange simple.
  const ClientOptions base{.sni = "shop.example.test", .maxVersion = TLS1_2_VERSION};
  const Handshake first = handshake(*context_, base);
  ASSERT_TRUE(first.ok);
  ClientOptions again = base;
  again.resume = first.session.get();
  ASSERT_TRUE(SSL_SESSION_has_ticket(first.session.get())) << "the server issued a ticket";
  ASSERT_TRUE(SSL_SESSION_is_resumable(first.session.get()));
  EXPECT_TRUE(handshake(*context_, again).resumed) << "same keys";

  SessionTicketKeys::process().rotate();
  const Handshake afterOne = handshake(*context_, again);
  EXPECT_TRUE(afterOne.resumed) << "the previous key still decrypts";

  SessionTicketKeys::process().rotate();
  SessionTicketKeys::process().rotate();
  EXPECT_FALSE(handshake(*context_, again).resumed) << "two rotations later: a full handshake";
}

TEST(LoadCertificate, NamesTheFileAndWhatIsWrong) {
  auto& certs = Certificates::instance();
  const auto good = certs.factory().issue("good", {"good.example.test"});
  const auto other = certs.factory().issue("other", {"other.example.test"});
  const auto expired =
      certs.factory().issue("expired", {"old.example.test"}, KeyType::kEcdsaP256, -10, -1);
  const auto future =
      certs.factory().issue("future", {"new.example.test"}, KeyType::kEcdsaP256, 5, 30);
  const std::string garbage = certs.dir() + "/garbage.pem";
  std::ofstream(garbage) << "not a certificate\n";
  std::string error;

  auto loaded = loadCertificate("good", good.cert, good.key, error);
  ASSERT_TRUE(loaded) << error;
  EXPECT_EQ(loaded->keyType, Certificate::KeyType::kEcdsa);
  EXPECT_EQ(loaded->dnsNames, std::vector<std::string>{"good.example.test"});

  EXPECT_FALSE(loadCertificate("x", "/nonexistent/x.pem", good.key, error));
  EXPECT_EQ(error, "cannot read certificate file '/nonexistent/x.pem': No such file or directory");
  EXPECT_FALSE(loadCertificate("x", garbage, good.key, error));
  EXPECT_NE(error.find("'" + garbage + "' holds no PEM certificate"), std::string::npos) << error;
  EXPECT_FALSE(loadCertificate("x", good.cert, garbage, error));
  EXPECT_NE(error.find("'" + garbage + "' holds no PEM private key"), std::string::npos) << error;
  EXPECT_FALSE(loadCertificate("x", good.cert, other.key, error));
  EXPECT_EQ(error,
            "key file '" + other.key + "' does not match the certificate in '" + good.cert + "'");
  EXPECT_FALSE(loadCertificate("x", expired.cert, expired.key, error));
  EXPECT_EQ(error, "certificate '" + expired.cert + "' has expired");
  EXPECT_FALSE(loadCertificate("x", future.cert, future.key, error));
  EXPECT_EQ(error, "certificate '" + future.cert + "' is not valid yet");
}

}  // namespace
}  // namespace sluice
