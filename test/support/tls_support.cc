#include "support/tls_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>

#include "support/net_helpers.h"

namespace sluice::test {
namespace {

void mustRun(const std::string& command) {
  std::string output;
  if (runCommand(command, output) != 0) {
    throw std::runtime_error("command failed: " + command + "\n" + output);
  }
}

std::string commonName(X509* cert) {
  char cn[256] = "";
  if (cert) X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

// Reads one HTTP request head from a TLS connection (up to the blank line).
bool readRequestHead(SSL* ssl) {
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos) {
    const int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n <= 0) return false;
    request.append(buffer, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

int runCommand(const std::string& command, std::string& output) {
  output.clear();
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    output.append(buffer, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CertFactory& CertFactory::instance() {
  static CertFactory factory;
  return factory;
}

CertFactory::CertFactory() {
  char dirTemplate[] = "/tmp/sluice-certs-XXXXXX";
  if (!::mkdtemp(dirTemplate)) throw std::runtime_error("mkdtemp failed");
  dir_ = dirTemplate;
  caPath_ = dir_ + "/ca.pem";
  mustRun(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj '/CN=Sluice Test CA' -keyout " +
      dir_ + "/ca.key -out " + caPath_);
}

CertFactory::~CertFactory() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

CertFactory::Issued CertFactory::issueWith(const std::vector<std::string>& names,
                                           const std::string& keyType) {
  const std::string base = dir_ + "/leaf" + std::to_string(++serial_);
  std::string san;
  for (const auto& name : names) {
    const bool ip = name.find_first_not_of("0123456789.") == std::string::npos;
    san += (san.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + name;
  }
  std::FILE* ext = std::fopen((base + ".ext").c_str(), "w");
  std::fprintf(ext, "subjectAltName=%s\nbasicConstraints=CA:FALSE\n", san.c_str());
  std::fclose(ext);
  const std::string key =
      keyType == "rsa" ? "-newkey rsa:2048" : "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
  mustRun("openssl req " + key + " -nodes -subj '/CN=" + names.at(0) + "' -keyout " + base +
          ".key -out " + base + ".csr");
  mustRun("openssl x509 -req -days 2 -in " + base + ".csr -CA " + caPath_ + " -CAkey " + dir_ +
          "/ca.key -set_serial " + std::to_string(1000 + serial_) + " -extfile " + base +
          ".ext -out " + base + ".pem");
  return {base + ".pem", base + ".key"};
}

bool readProxyHeader(int fd, ProxyHeader& header) {
  static const std::string kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);
  char start[12];
  if (::recv(fd, start, sizeof start, MSG_PEEK | MSG_WAITALL) != sizeof start) return false;
  if (std::string(start, 6) == "PROXY ") {
    std::string line;
    char c;
    while (line.size() < 108 && ::recv(fd, &c, 1, 0) == 1) {
      line.push_back(c);
      if (c == '\n') break;
    }
    char proto[8], src[64], dst[64];
    unsigned sport = 0, dport = 0;
    if (std::sscanf(line.c_str(), "PROXY %7s %63s %63s %u %u", proto, src, dst, &sport, &dport) !=
        5) {
      return false;
    }
    header.version = 1;
    header.source = std::string(src) + ":" + std::to_string(sport);
    header.destination = std::string(dst) + ":" + std::to_string(dport);
    return true;
  }
  if (std::string(start, 12) != kV2Signature) return true;  // no header
  unsigned char fixed[16];
  if (::recv(fd, fixed, sizeof fixed, MSG_WAITALL) != sizeof fixed) return false;
  const size_t length = (size_t(fixed[14]) << 8) | fixed[15];
  std::string body(length, '\0');
  if (::recv(fd, body.data(), length, MSG_WAITALL) != static_cast<ssize_t>(length)) return false;
  if (fixed[12] != 0x21 || fixed[13] != 0x11 || length < 12) return false;  // tests use IPv4
  char ip[INET_ADDRSTRLEN];
  auto port = [&](size_t at) { return (unsigned(uint8_t(body[at])) << 8) | uint8_t(body[at + 1]); };
  inet_ntop(AF_INET, body.data(), ip, sizeof ip);
  header.source = std::string(ip) + ":" + std::to_string(port(8));
  inet_ntop(AF_INET, body.data() + 4, ip, sizeof ip);
  header.destination = std::string(ip) + ":" + std::to_string(port(10));
  for (size_t at = 12; at + 3 <= length;) {
    const uint8_t type = static_cast<uint8_t>(body[at]);
    const size_t size = (size_t(uint8_t(body[at + 1])) << 8) | uint8_t(body[at + 2]);
    if (at + 3 + size > length) return false;
    const std::string value = body.substr(at + 3, size);
    if (type == 0x01) header.alpn = value;
    if (type == 0x02) header.authority = value;
    at += 3 + size;
  }
  header.version = 2;
  return true;
}

TestOrigin::Handler tlsOrigin(const std::string& name, const CertFactory::Issued& cert,
                              bool expectProxy) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), cert.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("tlsOrigin: cannot load " + cert.cert);
  }
  return [ctx, name, expectProxy](int fd) {
    ProxyHeader proxy;
    if (expectProxy && !readProxyHeader(fd, proxy)) {
      ::close(fd);
      return;
    }
    SSL* ssl = SSL_new(ctx.get());
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1 && readRequestHead(ssl)) {
      const std::string body = "origin=" + name + " proxy=" + std::to_string(proxy.version) +
                               " source=" + proxy.source + " destination=" + proxy.destination +
                               " authority=" + proxy.authority + " alpn=" + proxy.alpn + "\n";
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      SSL_write(ssl, response.data(), static_cast<int>(response.size()));
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ::close(fd);
  };
}

namespace {

// Moves bytes both ways between a TLS connection (non-blocking `fd`) and a plain stream
// (`plain`), until the plain side closes or either side has been quiet for 30 s.
void relayTls(SSL* ssl, int fd, int plain) {
  bool tlsEof = false;
  char buffer[16384];
  for (;;) {
    while (!tlsEof) {
      const int n = SSL_read(ssl, buffer, sizeof buffer);
      if (n > 0) {
        if (!writeAll(plain, buffer, static_cast<size_t>(n))) return;
        continue;
      }
      if (SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ) break;
      tlsEof = true;
      ::shutdown(plain, SHUT_WR);
    }
    for (;;) {
      const ssize_t n = ::recv(plain, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0) {
        SSL_shutdown(ssl);
        return;
      }
      if (n < 0) break;
      for (size_t sent = 0; sent < static_cast<size_t>(n);) {
        const int w = SSL_write(ssl, buffer + sent, static_cast<int>(n - sent));
        if (w > 0) {
          sent += static_cast<size_t>(w);
          continue;
        }
        if (SSL_get_error(ssl, w) != SSL_ERROR_WANT_WRITE) return;
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 1000);
      }
    }
    pollfd fds[2] = {{fd, static_cast<short>(tlsEof ? 0 : POLLIN), 0}, {plain, POLLIN, 0}};
    if (::poll(fds, 2, 30000) <= 0) return;
  }
}

}  // namespace

TestOrigin::Handler tlsWrapped(TestOrigin::Handler plain, const CertFactory::Issued& cert,
                               std::shared_ptr<TlsOriginStats> stats, bool requireClientCert) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), cert.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("tlsWrapped: cannot load " + cert.cert);
  }
  static const unsigned char kContext[] = "test-origin";
  SSL_CTX_set_session_id_context(ctx.get(), kContext, sizeof kContext - 1);
  if (requireClientCert) {
    SSL_CTX_load_verify_locations(ctx.get(), CertFactory::instance().caPath().c_str(), nullptr);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return [ctx, plain, stats](int fd) {
    SSL* ssl = SSL_new(ctx.get());
    SSL_set_fd(ssl, fd);
    const bool accepted = SSL_accept(ssl) == 1;
    if (accepted) {
      stats->handshakes++;
      if (SSL_session_reused(ssl)) stats->resumed++;
      const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
      X509* client = SSL_get1_peer_certificate(ssl);
      {
        std::lock_guard lock(stats->mutex);
        stats->serverNames.push_back(sni ? sni : "");
        if (client) stats->clientCerts.push_back(commonName(client));
      }
      X509_free(client);
    }
    int pair[2];
    if (accepted && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0) {
      stats->sessions++;
      std::thread inner([plain, fd = pair[1]] { plain(fd); });  // the handler closes its fd
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      relayTls(ssl, fd, pair[0]);
      ::shutdown(pair[0], SHUT_RDWR);
      inner.join();
      ::close(pair[0]);
    }
    SSL_free(ssl);
    ::close(fd);
  };
}

std::string tlsExchange(uint16_t port, const std::string& sni, const std::string& bytes,
                        std::chrono::milliseconds timeout) {
  const int fd = connectLocal(port);
  if (fd < 0) return "";
  const long seconds = static_cast<long>(timeout.count() / 1000);
  timeval limit{seconds, static_cast<long>(timeout.count() % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  SSL_CTX_load_verify_locations(ctx.get(), CertFactory::instance().caPath().c_str(), nullptr);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL* ssl = SSL_new(ctx.get());
  SSL_set_tlsext_host_name(ssl, sni.c_str());
  SSL_set_fd(ssl, fd);
  std::string answer;
  if (SSL_connect(ssl) == 1) {
    if (SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size())) > 0) SSL_shutdown(ssl);
    char buffer[16384];
    for (int n; (n = SSL_read(ssl, buffer, sizeof buffer)) > 0;)
      answer.append(buffer, static_cast<size_t>(n));
  }
  SSL_free(ssl);
  ::close(fd);
  return answer;
}

TlsResult tlsRequest(uint16_t port, const std::string& sni, const std::string& alpn,
                     std::chrono::milliseconds dribble) {
  TlsResult result;
  const int fd = connectLocal(port);
  if (fd < 0) return result;
  result.connected = true;
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  SSL_CTX_load_verify_locations(ctx.get(), CertFactory::instance().caPath().c_str(), nullptr);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL* ssl = SSL_new(ctx.get());
  if (!sni.empty()) {
    SSL_set_tlsext_host_name(ssl, sni.c_str());
    SSL_set1_host(ssl, sni.c_str());
  }
  if (!alpn.empty()) {
    SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()),
                        static_cast<unsigned>(alpn.size()));
  }
  // Memory BIOs: the test decides how the handshake bytes reach the socket.
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  bool first = true;
  auto flush = [&] {
    char buffer[16384];
    for (int n; (n = BIO_read(out, buffer, sizeof buffer)) > 0;) {
      if (first && dribble.count() > 0) {
        for (int i = 0; i < n; ++i) {
          if (!writeAll(fd, buffer + i, 1)) return false;
          std::this_thread::sleep_for(dribble);
        }
      } else if (!writeAll(fd, buffer, static_cast<size_t>(n))) {
        return false;
      }
      first = false;
    }
    return true;
  };
  auto receive = [&] {
    char buffer[16384];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    BIO_write(in, buffer, static_cast<int>(n));
    return true;
  };
  for (;;) {
    const int rc = SSL_do_handshake(ssl);
    if (!flush()) break;
    if (rc == 1) {
      result.handshake = SSL_get_verify_result(ssl) == X509_V_OK;
      break;
    }
    if (SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ || !receive()) break;
  }
  if (result.handshake) {
    X509* peer = SSL_get1_peer_certificate(ssl);
    result.peerSubject = commonName(peer);
    X509_free(peer);
    const std::string request = "GET / HTTP/1.1\r\nHost: " + sni + "\r\nConnection: close\r\n\r\n";
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    flush();
    std::string response;
    for (;;) {
      char buffer[4096];
      const int n = SSL_read(ssl, buffer, sizeof buffer);
      if (n > 0) {
        response.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (SSL_get_error(ssl, n) != SSL_ERROR_WANT_READ || !receive()) break;
    }
    const size_t bodyAt = response.find("\r\n\r\n");
    if (bodyAt != std::string::npos) result.body = response.substr(bodyAt + 4);
  }
  SSL_free(ssl);
  ::close(fd);
  return result;
}

}  // namespace sluice::test
