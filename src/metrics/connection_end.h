#pragma once

#include <cstddef>
#include <string_view>

namespace sluice {

// How a client connection ended, in the few classes an operator graphs and alerts on (the
// `result` label of sluice_connections_closed_total). The access log keeps the precise `end`
// ("keep_alive_timeout", "no_route", ...); closeResultOf() maps each to its class.
#define SLUICE_CLOSE_RESULTS(X)                                                           \
  X(kOk, "ok")                           /* finished normally, by either side */          \
  X(kClientError, "client_error")        /* the client reset, or sent what was refused */ \
  X(kClientTimeout, "client_timeout")    /* the client was too slow or went quiet */      \
  X(kServerError, "server_error")        /* the server failed or could not be reached */  \
  X(kServerTimeout, "server_timeout")    /* the server did not answer in time */          \
  X(kNoServer, "no_server")              /* no server could take it */                    \
  X(kRejected, "rejected")               /* refused by a limit, a rule or a policy */     \
  X(kTlsError, "tls_error")              /* the client's TLS handshake failed */          \
  X(kDrained, "drained")                 /* closed by a reload, shutdown, operator */     \
  X(kOutOfResources, "out_of_resources") /* Sluice short of descriptors, memory */        \
  X(kInternal, "internal_error")

enum class CloseResult : unsigned {
#define SLUICE_CLOSE_ENUM(id, name) id,
  SLUICE_CLOSE_RESULTS(SLUICE_CLOSE_ENUM)
#undef SLUICE_CLOSE_ENUM
};
inline constexpr size_t kCloseResults = 0
#define SLUICE_CLOSE_COUNT(id, name) +1
    SLUICE_CLOSE_RESULTS(SLUICE_CLOSE_COUNT)
#undef SLUICE_CLOSE_COUNT
    ;

const char* toString(CloseResult result);

// The class of a session's `end` (an access-log value). An end not in the table is kInternal,
// which a test keeps from happening.
CloseResult closeResultOf(std::string_view end);

}  // namespace sluice
