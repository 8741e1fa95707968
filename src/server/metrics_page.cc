#include "server/metrics_page.h"

#include "metrics/prometheus_text.h"
#include "server/runtime.h"

namespace sluice {

std::string renderMetrics(const Runtime& runtime) {
  PrometheusText out;
  out.family("sluice_build_info", "gauge", "The running version, as a label");
  out.sample("sluice_build_info", {{"version", SLUICE_VERSION}}, uint64_t{1});
  out.family("sluice_workers", "gauge", "Worker threads serving traffic");
  out.sample("sluice_workers", {}, static_cast<uint64_t>(runtime.workers().size()));
  out.family("sluice_config_revision", "gauge",
             "Revision of the config in force: 1 at start, one more per reload that went live");
  out.sample("sluice_config_revision", {}, runtime.revision());
  out.family("sluice_reloads_total", "counter",
             "Reloads asked for, by result: ok; invalid (the file had errors); refused (an "
             "address could not be bound, or a setting only a restart changes)");
  for (int r = Runtime::kOk; r <= Runtime::kRefused; ++r) {
    out.sample("sluice_reloads_total", {{"result", Runtime::kReloadResults[r]}},
               runtime.reloads(static_cast<Runtime::ReloadResult>(r)));
  }
  out.family("sluice_last_reload_success_timestamp_seconds", "gauge",
             "When the last reload went live (Unix time; 0: none since start)");
  out.sample("sluice_last_reload_success_timestamp_seconds", {}, runtime.lastReloadSeconds());
  out.family("sluice_connections_draining", "gauge",
             "Connections a reload left draining (their VIP or server was removed)");
  out.sample("sluice_connections_draining", {}, runtime.drainingConnections());

  // Server state, from the health the config in force is served with.
  const auto snapshot = runtime.snapshot();
  const auto states = runtime.serverStates();
  out.family("sluice_server_up", "gauge",
             "1 when the server takes new connections (up, not ejected); 0 when it is down, "
             "ejected, draining or disabled");
  const TimePoint now = Clock::now();
  for (size_t g = 0; g < snapshot->serverGroups.size(); ++g) {
    const ServerGroupConfig& group = snapshot->serverGroups[g];
    for (size_t s = 0; s < group.servers.size(); ++s) {
      out.sample("sluice_server_up", {{"group", group.name}, {"server", group.servers[s].name}},
                 uint64_t{states->of(g, s).routable(now) ? 1u : 0u});
    }
  }
  runtime.metrics().render(out);
  return out.text();
}

}  // namespace sluice
