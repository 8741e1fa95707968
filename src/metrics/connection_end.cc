#include "metrics/connection_end.h"

#include <algorithm>
#include <array>

namespace sluice {
namespace {

struct EndClass {
  std::string_view end;
  CloseResult result;
};

// Every `end` a session writes, sorted by name for the binary search.
constexpr auto kEnds = [] {
  using R = CloseResult;
  std::array<EndClass, 38> ends = {{
      {"answered_error", R::kRejected},
      {"client_body_timeout", R::kClientTimeout},
      {"client_close", R::kOk},
      {"client_error", R::kClientError},
      {"client_header_timeout", R::kClientTimeout},
      {"client_hello_too_large", R::kClientError},
      {"client_reset", R::kClientError},
      {"closed_by_operator", R::kDrained},
      {"connect_failed", R::kServerError},
      {"denied", R::kRejected},
      {"done", R::kOk},
      {"drained", R::kDrained},
      {"http2_flood", R::kRejected},
      {"http2_protocol_error", R::kClientError},
      {"idle_timeout", R::kClientTimeout},
      {"internal_error", R::kInternal},
      {"keep_alive_timeout", R::kOk},
      {"malformed_client_hello", R::kClientError},
      {"max_connections", R::kRejected},
      {"no_route", R::kRejected},
      {"no_server", R::kNoServer},
      {"no_sni", R::kRejected},
      {"not_tls", R::kClientError},
      {"ok", R::kOk},
      {"out_of_resources", R::kOutOfResources},
      {"peek_timeout", R::kClientTimeout},
      {"queue_timeout", R::kNoServer},
      {"redirect_https", R::kOk},
      {"redirected", R::kOk},
      {"responded", R::kOk},
      {"server_close", R::kOk},
      {"server_error", R::kServerError},
      {"server_response_timeout", R::kServerTimeout},
      {"shutdown", R::kDrained},
      {"tls_handshake_failed", R::kTlsError},
      {"tls_handshake_timeout", R::kTlsError},
      {"upgraded", R::kOk},
      {"vip_removed", R::kDrained},
  }};
  return ends;
}();
static_assert(std::is_sorted(kEnds.begin(), kEnds.end(),
                             [](const EndClass& a, const EndClass& b) { return a.end < b.end; }));

}  // namespace

const char* toString(CloseResult result) {
  switch (result) {
#define SLUICE_CLOSE_NAME(id, name) \
  case CloseResult::id:             \
    return name;
    SLUICE_CLOSE_RESULTS(SLUICE_CLOSE_NAME)
#undef SLUICE_CLOSE_NAME
  }
  return "internal_error";
}

CloseResult closeResultOf(std::string_view end) {
  const auto found =
      std::lower_bound(kEnds.begin(), kEnds.end(), end,
                       [](const EndClass& e, std::string_view v) { return e.end < v; });
  return found != kEnds.end() && found->end == end ? found->result : CloseResult::kInternal;
}

}  // namespace sluice
