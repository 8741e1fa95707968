// The library's floor for a full TLS handshake: an OpenSSL 3 server and client completing
// handshakes over memory BIOs in one thread (no sockets, no event loop, no proxy), with the
// certificate Sluice would serve (ECDSA P-256, or RSA-2048) and TLS 1.3 with X25519. Prints
// the server side's CPU per handshake: what no proxy built on OpenSSL can go below.
//
// `bare` counts SSL_do_handshake alone, with no session tickets. `connection` adds what a
// server's OpenSSL does for every connection besides: SSL_new and SSL_free, and the two TLS 1.3
// session tickets OpenSSL issues by default (HAProxy, NGINX and Sluice all send them).
//
// `memory` instead keeps every server connection after its handshake (its buffers released,
// as every proxy here asks with SSL_MODE_RELEASE_BUFFERS, its BIOs detached) and prints the
// heap bytes each one holds: the floor under any OpenSSL proxy's memory per idle connection.
//
//   build/bench/handshake_floor [ec|rsa] [handshakes] [bare|connection|memory]

#include <malloc.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tls/certificate_factory.h"

namespace {

double threadSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Moves what one side wrote to the other side's input.
void pump(BIO* from, BIO* to) {
  char buffer[16384];
  for (int n; (n = BIO_read(from, buffer, sizeof buffer)) > 0;)
    BIO_write(to, buffer, n);
}

}  // namespace

int main(int argc, char** argv) {
  const bool rsa = argc > 1 && std::strcmp(argv[1], "rsa") == 0;
  const int count = argc > 2 ? std::atoi(argv[2]) : 2000;
  const bool memory = argc > 3 && std::strcmp(argv[3], "memory") == 0;
  const bool connection = memory || (argc > 3 && std::strcmp(argv[3], "connection") == 0);
  char dirTemplate[] = "/tmp/sluice-floor-XXXXXX";
  const std::string dir = ::mkdtemp(dirTemplate);
  sluice::CertificateFactory factory(dir, "Floor CA");
  const auto files = factory.issue("server", {"bench.example.test"},
                                   rsa ? sluice::CertificateFactory::KeyType::kRsa2048
                                       : sluice::CertificateFactory::KeyType::kEcdsaP256);

  SSL_CTX* server = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate_chain_file(server, files.cert.c_str());
  SSL_CTX_use_PrivateKey_file(server, files.key.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_set_min_proto_version(server, TLS1_3_VERSION);
  SSL_CTX_set1_groups_list(server, "X25519");
  if (!connection) {
    SSL_CTX_set_session_cache_mode(server, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(server, 0);  // a bare handshake: no tickets to make
  }
  SSL_CTX_set_mode(server, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX* client = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set1_groups_list(client, "X25519");
  SSL_CTX_set_session_cache_mode(client, SSL_SESS_CACHE_OFF);

  double serverCpu = 0;
  std::vector<SSL*> kept;
  size_t heapBefore = 0;
  for (int i = 0; i < count; ++i) {
    if (memory && i == 10) heapBefore = mallinfo2().uordblks;  // after the first allocations
    double start = threadSeconds();
    SSL* s = SSL_new(server);
    if (connection) serverCpu += threadSeconds() - start;
    SSL* c = SSL_new(client);
    BIO* sIn = BIO_new(BIO_s_mem());
    BIO* sOut = BIO_new(BIO_s_mem());
    BIO* cIn = BIO_new(BIO_s_mem());
    BIO* cOut = BIO_new(BIO_s_mem());
    SSL_set_bio(s, sIn, sOut);
    SSL_set_bio(c, cIn, cOut);
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    bool serverDone = false, clientDone = false;
    for (int round = 0; round < 10 && !(serverDone && clientDone); ++round) {
      if (!clientDone) clientDone = SSL_do_handshake(c) == 1;
      pump(cOut, sIn);
      const double before = threadSeconds();
      if (!serverDone) serverDone = SSL_do_handshake(s) == 1;
      serverCpu += threadSeconds() - before;
      pump(sOut, cIn);
    }
    if (!serverDone || !clientDone) {
      std::fprintf(stderr, "handshake %d did not complete\n", i);
      return 1;
    }
    if (memory) {
      char byte;
      SSL_read(c, &byte, 1);  // the client takes its tickets: nothing is left queued
      SSL_set_bio(s, nullptr, nullptr);
      if (i >= 10)
        kept.push_back(s);
      else
        SSL_free(s);
      SSL_free(c);
      continue;
    }
    start = threadSeconds();
    SSL_free(s);
    if (connection) serverCpu += threadSeconds() - start;
    SSL_free(c);
  }
  if (memory) {
    const double bytes = static_cast<double>(mallinfo2().uordblks - heapBefore);
    std::printf("%s %.1f\n", rsa ? "rsa2048" : "ecdsa-p256",
                bytes / static_cast<double>(kept.size()) / 1024);
    for (SSL* s : kept)
      SSL_free(s);
  } else {
    std::printf("%s %.1f\n", rsa ? "rsa2048" : "ecdsa-p256", serverCpu / count * 1e6);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
