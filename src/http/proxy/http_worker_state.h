#pragma once

#include <cstddef>

#include "core/clock.h"
#include "http/proxy/http2_upstream.h"
#include "http/proxy/upstream_pool.h"
#include "tls/backend_session_cache.h"
#include "worker/worker_services.h"

namespace sluice {

// One worker's HTTP state, shared by its HTTP sessions and owned by the worker, which passes
// it to each: idle keep-alive connections to servers, HTTP/2 connections to servers that its
// exchanges share, and backend TLS sessions to resume. Used on the worker's thread only.
struct HttpWorkerState {
  struct Limits {
    size_t maxIdlePerServer;
    size_t maxIdle;
    Millis maxIdleTime;
    size_t maxBackendSessions;
  };
  HttpWorkerState(WorkerServices& worker, const Limits& limits)
      : pool(limits.maxIdlePerServer, limits.maxIdle, limits.maxIdleTime),
        backendSessions(limits.maxBackendSessions),
        http2(worker, backendSessions) {}

  UpstreamPool pool;
  BackendSessionCache backendSessions;
  Http2Upstreams http2;
};

}  // namespace sluice
