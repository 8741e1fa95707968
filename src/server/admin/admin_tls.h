#pragma once

#include <memory>

namespace httplib {
class Server;
}

namespace sluice {

class Runtime;

// The admin listener's HTTP server: plain, or HTTPS when admin.tls names a certificate.
//
// The certificate is chosen at each handshake from the running snapshot, so a reload that
// renews the certificate's files serves the new one from the next connection on, with no
// restart. TLS 1.2 at least; no renegotiation; no client certificates (tokens authenticate).
std::unique_ptr<httplib::Server> makeAdminHttpServer(const Runtime& runtime);

}  // namespace sluice
