#pragma once

#include <array>
#include <cstddef>

#include "metrics/connection_end.h"
#include "metrics/counter.h"

namespace sluice {

// Every counter Sluice keeps, declared once per component: each X-macro row is the field, the
// Prometheus name and its help; labelled rows add the label and its values. The structs below
// are generated from the rows, and so is the /metrics page (metrics_registry.cc): a counter is
// never named twice.
//
// Each struct is one writer's copy (a worker's, or the health checker's); readers add the copies
// up. alignas keeps two writers' copies off one cache line.

// Per VIP (label vip).
#define SLUICE_VIP_COUNTERS(X)                                                                  \
  X(accepted, "sluice_connections_accepted_total", "Client connections accepted")               \
  X(bytesIn, "sluice_client_received_bytes_total", "Bytes received from clients")               \
  X(bytesOut, "sluice_client_sent_bytes_total", "Bytes sent to clients")                        \
  X(upgraded, "sluice_upgrades_total",                                                          \
    "Client connections upgraded (101 Switching Protocols) to a byte relay, such as WebSocket") \
  X(upgradedClosed, "sluice_upgraded_closed_total", "Upgraded client connections that ended")   \
  X(http2Connections, "sluice_http2_connections_total", "Client connections that spoke HTTP/2") \
  X(http2Streams, "sluice_http2_streams_total", "HTTP/2 requests (streams) clients opened")     \
  X(http2Calm, "sluice_http2_calm_total",                                                       \
    "HTTP/2 connections ended with GOAWAY ENHANCE_YOUR_CALM: floods, resets, HPACK bombs")

// Requests answered, by the status class of the answer (label code_class).
inline constexpr std::array<const char*, 5> kCodeClasses = {"1xx", "2xx", "3xx", "4xx", "5xx"};

// Client TLS handshakes on terminating VIPs (labels version, resumed, result).
enum class TlsOutcome : unsigned {
  kTls12,
  kTls12Resumed,
  kTls13,
  kTls13Resumed,
  kFailed,
  kTimedOut
};
struct TlsOutcomeLabels {
  const char* version;
  const char* resumed;
  const char* result;
};
inline constexpr std::array<TlsOutcomeLabels, 6> kTlsOutcomes = {{
    {"TLSv1.2", "false", "ok"},
    {"TLSv1.2", "true", "ok"},
    {"TLSv1.3", "false", "ok"},
    {"TLSv1.3", "true", "ok"},
    {"none", "false", "failed"},
    {"none", "false", "timeout"},
}};

// What the ClientHello peek of an https-passthrough (or mixed) VIP decided (label result).
enum class PeekResult : unsigned {
  kRouted,
  kTerminated,
  kNotTls,
  kMalformed,
  kTooLarge,
  kTimeout,
  kNoSni,
  kNoRoute
};
inline constexpr std::array<const char*, 8> kPeekResults = {
    "routed", "terminated", "not_tls", "malformed", "too_large", "timeout", "no_sni", "no_route"};

struct alignas(64) VipCounters {
#define SLUICE_FIELD(field, name, help) Counter field;
  SLUICE_VIP_COUNTERS(SLUICE_FIELD)
  std::array<Counter, kCloseResults> closed;          // sluice_connections_closed_total{result}
  std::array<Counter, kCodeClasses.size()> requests;  // sluice_requests_total{code_class}
  DurationHistogram requestDuration;                  // sluice_request_duration_seconds
  std::array<Counter, kTlsOutcomes.size()> tlsHandshakes;  // sluice_tls_handshakes_total
  std::array<Counter, kPeekResults.size()> peeks;          // sluice_passthrough_peeks_total

  void closedAs(std::string_view end) {
    closed[static_cast<unsigned>(closeResultOf(end))].add();
  }
  void answered(int status, uint64_t micros) {
    if (status >= 100 && status < 600) requests[static_cast<unsigned>(status / 100 - 1)].add();
    requestDuration.observeMicros(micros);
  }
  void tls(TlsOutcome outcome) {
    tlsHandshakes[static_cast<unsigned>(outcome)].add();
  }
  void peek(PeekResult result) {
    peeks[static_cast<unsigned>(result)].add();
  }
};

// Per server (labels group, server).
#define SLUICE_SERVER_COUNTERS(X)                                                            \
  X(connections, "sluice_server_connections_total", "Connections opened to the server")      \
  X(connectFailures, "sluice_server_connect_failures_total",                                 \
    "Connects to the server that were refused, failed or timed out")                         \
  X(tlsFailures, "sluice_server_tls_failures_total",                                         \
    "TLS handshakes with the server that failed (certificate not verified, protocol error)") \
  X(ejections, "sluice_server_ejections_total",                                              \
    "Times real traffic ejected the server (passive health)")

// Active health checks by outcome (label result), and the state changes they made (label to).
inline constexpr std::array<const char*, 2> kCheckResults = {"passed", "failed"};
inline constexpr std::array<const char*, 2> kStateChanges = {"down", "up"};

struct alignas(64) ServerCounters {
  SLUICE_SERVER_COUNTERS(SLUICE_FIELD)
  std::array<Counter, kCheckResults.size()> checks;   // sluice_health_checks_total{result}
  std::array<Counter, kStateChanges.size()> changes;  // sluice_server_state_changes_total{to}

  void checked(bool passed) { checks[passed ? 0 : 1].add(); }
  void changedState(bool up) { changes[up ? 1 : 0].add(); }
};

// Per server group (label group).
struct alignas(64) GroupCounters {
  DurationHistogram connectDuration;  // sluice_upstream_connect_duration_seconds
};
#undef SLUICE_FIELD

}  // namespace sluice
