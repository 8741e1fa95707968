#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/test_origin.h"

namespace sluice::test {

// Certificates for tests, made at test time: one test CA per process, and leaf certificates
// (ECDSA P-256) it signs for the names a test asks for. Uses the openssl command line.
class CertFactory {
 public:
  struct Issued {
    std::string cert;  // path of the PEM certificate
    std::string key;   // path of the PEM private key
  };
  static CertFactory& instance();
  ~CertFactory();  // removes its directory

  const std::string& caPath() const { return caPath_; }
  // A certificate for `names` (the first is the subject CN; all are subjectAltNames: IP ones
  // for dotted IPv4 addresses, DNS ones for the rest).
  Issued issue(const std::vector<std::string>& names) { return issueWith(names, "ec"); }
  // The same with an RSA-2048 key.
  Issued issueRsa(const std::vector<std::string>& names) { return issueWith(names, "rsa"); }

 private:
  CertFactory();
  Issued issueWith(const std::vector<std::string>& names, const std::string& keyType);
  std::string dir_;
  std::string caPath_;
  int serial_ = 0;
};

// What a test origin learnt from a PROXY protocol header.
struct ProxyHeader {
  int version = 0;          // 0: none was sent
  std::string source;       // ip:port of the real client
  std::string destination;  // ip:port the client connected to (the VIP)
  std::string authority;    // v2 PP2_TYPE_AUTHORITY
  std::string alpn;         // v2 PP2_TYPE_ALPN
};

// Reads a PROXY v1 or v2 header from `fd` if one comes first, consuming exactly its bytes.
// Returns false if the bytes are not a valid header.
bool readProxyHeader(int fd, ProxyHeader& header);

// An HTTPS origin holding its own certificate: reads a PROXY header when `expectProxy`, then
// completes a TLS handshake, reads one HTTP request and answers with a plain-text body:
// `origin=<name> proxy=<version> source=<ip:port> authority=<sni> alpn=<proto>`.
TestOrigin::Handler tlsOrigin(const std::string& name, const CertFactory::Issued& cert,
                              bool expectProxy = false);

// What a TLS-wrapped origin saw, across its connections.
struct TlsOriginStats {
  std::atomic<int> handshakes{0};  // completed TLS handshakes
  std::atomic<int> resumed{0};     // of which resumed a session
  std::atomic<int> sessions{0};    // connections that got as far as the wrapped handler
  std::mutex mutex;
  std::vector<std::string> serverNames;  // the SNI of each handshake ("" when none was sent)
  std::vector<std::string> clientCerts;  // the CN of each client certificate presented
};

// An HTTPS origin made of a plain one: completes a TLS handshake (holding `cert`; with
// `requireClientCert`, demanding a certificate from the test CA), then runs `plain` on the
// decrypted stream. Records what it saw in `stats`.
TestOrigin::Handler tlsWrapped(TestOrigin::Handler plain, const CertFactory::Issued& cert,
                               std::shared_ptr<TlsOriginStats> stats,
                               bool requireClientCert = false);

// A TLS client over a blocking socket, verifying the server against the test CA.
struct TlsResult {
  bool connected = false;   // TCP connected
  bool handshake = false;   // TLS handshake completed and the certificate verified
  std::string peerSubject;  // CN of the certificate the server presented
  std::string body;         // the HTTP response body
};
// Connects to 127.0.0.1:port, sends `sni` (none when empty), offers `alpn` (wire format, may be
// empty), GETs "/" and reads the response. With `dribble`, the ClientHello goes out one byte at
// a time with `dribble` between bytes.
TlsResult tlsRequest(uint16_t port, const std::string& sni, const std::string& alpn = "",
                     std::chrono::milliseconds dribble = std::chrono::milliseconds(0));

// Sends `bytes` over TLS to 127.0.0.1:port (SNI `sni`, the test CA trusted), ends its side with
// close_notify, and returns everything the server sends until it closes (or `timeout` passes
// without a byte): the raw-bytes client of the HTTPS tests.
std::string tlsExchange(uint16_t port, const std::string& sni, const std::string& bytes,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Runs a shell command; returns its exit code and what it printed (stdout and stderr).
int runCommand(const std::string& command, std::string& output);

}  // namespace sluice::test
