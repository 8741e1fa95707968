// admin.tls: the admin listener over HTTPS with a certificate of `certificates:`, renewed by a
// reload without a restart, and the CLI verifying it.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

class AdminTlsTest : public ::testing::Test {
 protected:
  // The certificate's files are copied to fixed names, so that a renewal is a copy too.
  void useCertificate(const CertFactory::Issued& issued) {
    std::filesystem::copy_file(issued.cert, dir_ + "/admin.pem",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(issued.key, dir_ + "/admin.key",
                               std::filesystem::copy_options::overwrite_existing);
  }
  std::string config(bool tls = true) const {
    return "admin:\n  listen: 127.0.0.1:" + std::to_string(admin_) + "\n" +
           (tls ? "  tls: {certificate: admin}\n" : "") +
           "certificates:\n  - {name: admin, cert: " + dir_ + "/admin.pem, key: " + dir_ +
           "/admin.key}\n"
           "server_groups:\n  - {name: web, protocol: http, servers: [{name: a, address: "
           "127.0.0.1:1}]}\n"
           "vips:\n  - {name: web, listen: 127.0.0.1:" +
           std::to_string(web_) + ", service: http, default_group: web}\n";
  }
  // The SHA-256 of the certificate the listener presents, as openssl prints it.
  std::string servedFingerprint() const {
    std::string out;
    runCommand("openssl s_client -connect 127.0.0.1:" + std::to_string(admin_) +
                   " </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256",
               out);
    return out;
  }
  static std::string fingerprintOf(const std::string& pem) {
    std::string out;
    runCommand("openssl x509 -noout -fingerprint -sha256 -in " + pem, out);
    return out;
  }

  std::string dir_ = [] {
    std::string dir = "/tmp/sluice-admin-tls-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    return dir;
  }();
  uint16_t admin_ = freePort();
  uint16_t web_ = freePort();
  ~AdminTlsTest() override { std::filesystem::remove_all(dir_); }
};

TEST_F(AdminTlsTest, TheListenerSpeaksHttpsAndARenewedCertificateIsServedAfterAReload) {
  const auto first = CertFactory::instance().issue({"localhost", "127.0.0.1"});
  useCertificate(first);
  SluiceProcess sluice(config());
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string url = "https://127.0.0.1:" + std::to_string(admin_);
  std::string out;
  EXPECT_EQ(runCommand("curl -sS --max-time 5 --cacert " + CertFactory::instance().caPath() + " " +
                           url + "/healthz",
                       out),
            0)
      << out;
  EXPECT_EQ(out, "ok\n");
  EXPECT_NE(
      runCommand("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(admin_) + "/healthz",
                 out),
      0)
      << "no plain HTTP on a TLS listener: " << out;
  EXPECT_NE(runCommand("curl -sS --max-time 5 --tls-max 1.1 --cacert " +
                           CertFactory::instance().caPath() + " " + url + "/healthz",
                       out),
            0)
      << "TLS 1.2 at least";
  // The CLI verifies the listener: with the CA it is trusted, without it (the system's) not.
  SluiceProcess status(std::vector<std::string>{"status", "--admin", url, "--cacert",
                                                CertFactory::instance().caPath()});
  EXPECT_EQ(status.waitExit(), 0) << status.stderrText();
  EXPECT_NE(status.stdoutText().find("revision 1"), std::string::npos) << status.stdoutText();
  SluiceProcess untrusted(std::vector<std::string>{"status", "--admin", url});
  EXPECT_EQ(untrusted.waitExit(), 1) << untrusted.stdoutText();

  // A renewal: new files under the same names, then a reload.
  EXPECT_EQ(servedFingerprint(), fingerprintOf(first.cert));
  const auto second = CertFactory::instance().issue({"localhost", "127.0.0.1"});
  useCertificate(second);
  ASSERT_TRUE(sluice.reload(config()));
  EXPECT_EQ(servedFingerprint(), fingerprintOf(second.cert)) << "without a restart";

  // Turning TLS off is a restart's job: the reload is refused and HTTPS goes on.
  EXPECT_FALSE(sluice.reload(config(false)));
  EXPECT_EQ(servedFingerprint(), fingerprintOf(second.cert));
}

TEST_F(AdminTlsTest, ACertificateThatIsNotListedIsAConfigError) {
  const auto issued = CertFactory::instance().issue({"localhost"});
  useCertificate(issued);
  std::string text = config();
  text.replace(text.find("tls: {certificate: admin}"), 25, "tls: {certificate: nope}");
  SluiceProcess check(text, "check");
  EXPECT_EQ(check.waitExit(), 1);
  EXPECT_NE(check.stderrText().find("admin.tls.certificate: no certificate is named 'nope'"),
            std::string::npos)
      << check.stderrText();
}

}  // namespace
}  // namespace sluice::test
