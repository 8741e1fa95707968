#include "metrics/metrics_registry.h"

namespace sluice {
namespace {

// The sum over writers of one counter of a component.
template <typename Counters, typename Read>
uint64_t sum(const PerWriter<Counters>& metrics, Read read) {
  uint64_t total = 0;
  for (unsigned w = 0; w < metrics.writers(); ++w)
    total += read(metrics.of(w));
  return total;
}

template <typename Counters>
void histogram(PrometheusText& out, std::string_view name, PrometheusText::Labels labels,
               const PerWriter<Counters>& metrics, DurationHistogram Counters::*member) {
  uint64_t buckets[DurationHistogram::kBuckets] = {};
  uint64_t micros = 0;
  for (unsigned w = 0; w < metrics.writers(); ++w) {
    const DurationHistogram& h = metrics.of(w).*member;
    for (size_t b = 0; b < DurationHistogram::kBuckets; ++b)
      buckets[b] += h.bucket(b);
    micros += h.sumMicros();
  }
  out.histogram(name, labels, buckets, kDurationBuckets.data(), kDurationBuckets.size(),
                static_cast<double>(micros) / 1e6);
}

template <typename Map, typename Key>
auto keep(Map& from, Map& into, const Key& key, unsigned writers) {
  auto found = from.find(key);
  auto metrics = found != from.end()
                     ? found->second
                     : std::make_shared<typename Map::mapped_type::element_type>(writers);
  into.emplace(key, metrics);
  return metrics;
}

}  // namespace

std::shared_ptr<const SnapshotMetrics> MetricsRegistry::metricsFor(const ConfigSnapshot& snapshot) {
  auto metrics = std::make_shared<SnapshotMetrics>();
  std::lock_guard lock(mutex_);
  decltype(vips_) vips;
  decltype(groups_) groups;
  decltype(servers_) servers;
  for (const VipConfig& vip : snapshot.vips)
    metrics->vips.push_back(keep(vips_, vips, vip.name, writers_));
  for (const ServerGroupConfig& group : snapshot.serverGroups) {
    metrics->groups.push_back(keep(groups_, groups, group.name, writers_));
    auto& ofGroup = metrics->servers.emplace_back();
    for (const ServerConfig& server : group.servers) {
      ofGroup.push_back(keep(servers_, servers, std::pair(group.name, server.name), writers_));
    }
  }
  vips_ = std::move(vips);
  groups_ = std::move(groups);
  servers_ = std::move(servers);
  return metrics;
}

void MetricsRegistry::render(PrometheusText& out) const {
  std::lock_guard lock(mutex_);
  // Per VIP.
#define SLUICE_VIP_FAMILY(field, name, help) \
  out.family(name, "counter", help);         \
  for (const auto& [vip, m] : vips_)         \
    out.sample(name, {{"vip", vip}}, sum(*m, [](const VipCounters& c) { return c.field.read(); }));
  SLUICE_VIP_COUNTERS(SLUICE_VIP_FAMILY)
#undef SLUICE_VIP_FAMILY

  out.family("sluice_connections_closed_total", "counter",
             "Client connections closed, by how they ended (the access log's end, in classes)");
  for (const auto& [vip, m] : vips_) {
    for (unsigned r = 0; r < kCloseResults; ++r) {
      out.sample("sluice_connections_closed_total",
                 {{"vip", vip}, {"result", toString(static_cast<CloseResult>(r))}},
                 sum(*m, [r](const VipCounters& c) { return c.closed[r].read(); }));
    }
  }
  out.family("sluice_connections_active", "gauge", "Client connections open now");
  for (const auto& [vip, m] : vips_) {
    const uint64_t accepted = sum(*m, [](const VipCounters& c) { return c.accepted.read(); });
    uint64_t closed = 0;
    for (unsigned r = 0; r < kCloseResults; ++r)
      closed += sum(*m, [r](const VipCounters& c) { return c.closed[r].read(); });
    out.sample("sluice_connections_active", {{"vip", vip}},
               accepted > closed ? accepted - closed : 0);
  }
  out.family("sluice_requests_total", "counter",
             "HTTP requests answered, by the status class of the answer");
  for (const auto& [vip, m] : vips_) {
    for (unsigned k = 0; k < kCodeClasses.size(); ++k) {
      out.sample("sluice_requests_total", {{"vip", vip}, {"code_class", kCodeClasses[k]}},
                 sum(*m, [k](const VipCounters& c) { return c.requests[k].read(); }));
    }
  }
  out.family("sluice_request_duration_seconds", "histogram",
             "HTTP requests from their first byte to the last byte of the answer");
  for (const auto& [vip, m] : vips_)
    histogram(out, "sluice_request_duration_seconds", {{"vip", vip}}, *m,
              &VipCounters::requestDuration);
  out.family("sluice_tls_handshakes_total", "counter",
             "Client TLS handshakes on terminating VIPs, by version, resumption and result");
  for (const auto& [vip, m] : vips_) {
    for (unsigned t = 0; t < kTlsOutcomes.size(); ++t) {
      const TlsOutcomeLabels& l = kTlsOutcomes[t];
      out.sample(
          "sluice_tls_handshakes_total",
          {{"vip", vip}, {"version", l.version}, {"resumed", l.resumed}, {"result", l.result}},
          sum(*m, [t](const VipCounters& c) { return c.tlsHandshakes[t].read(); }));
    }
  }
  out.family("sluice_passthrough_peeks_total", "counter",
             "ClientHello peeks of https-passthrough and mixed VIPs, by what they decided");
  for (const auto& [vip, m] : vips_) {
    for (unsigned p = 0; p < kPeekResults.size(); ++p) {
      out.sample("sluice_passthrough_peeks_total", {{"vip", vip}, {"result", kPeekResults[p]}},
                 sum(*m, [p](const VipCounters& c) { return c.peeks[p].read(); }));
    }
  }

  // Per group and server.
  out.family("sluice_upstream_connect_duration_seconds", "histogram",
             "TCP connects to servers, from the first SYN to established");
  for (const auto& [group, m] : groups_)
    histogram(out, "sluice_upstream_connect_duration_seconds", {{"group", group}}, *m,
              &GroupCounters::connectDuration);
#define SLUICE_SERVER_FAMILY(field, name, help)                      \
  out.family(name, "counter", help);                                 \
  for (const auto& [key, m] : servers_)                              \
    out.sample(name, {{"group", key.first}, {"server", key.second}}, \
               sum(*m, [](const ServerCounters& c) { return c.field.read(); }));
  SLUICE_SERVER_COUNTERS(SLUICE_SERVER_FAMILY)
#undef SLUICE_SERVER_FAMILY
  out.family("sluice_health_checks_total", "counter", "Active health checks, by result");
  for (const auto& [key, m] : servers_) {
    for (unsigned r = 0; r < kCheckResults.size(); ++r) {
      out.sample("sluice_health_checks_total",
                 {{"group", key.first}, {"server", key.second}, {"result", kCheckResults[r]}},
                 sum(*m, [r](const ServerCounters& c) { return c.checks[r].read(); }));
    }
  }
  out.family("sluice_server_state_changes_total", "counter",
             "Times active health checks took a server down or brought it up");
  for (const auto& [key, m] : servers_) {
    for (unsigned s = 0; s < kStateChanges.size(); ++s) {
      out.sample("sluice_server_state_changes_total",
                 {{"group", key.first}, {"server", key.second}, {"to", kStateChanges[s]}},
                 sum(*m, [s](const ServerCounters& c) { return c.changes[s].read(); }));
    }
  }
}

std::map<std::string, MetricsRegistry::VipTotals> MetricsRegistry::vipTotals() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, VipTotals> out;
  for (const auto& [vip, m] : vips_) {
    VipTotals& t = out[vip];
    t.accepted = sum(*m, [](const VipCounters& c) { return c.accepted.read(); });
    t.bytesIn = sum(*m, [](const VipCounters& c) { return c.bytesIn.read(); });
    t.bytesOut = sum(*m, [](const VipCounters& c) { return c.bytesOut.read(); });
    uint64_t closed = 0;
    for (unsigned r = 0; r < kCloseResults; ++r)
      closed += sum(*m, [r](const VipCounters& c) { return c.closed[r].read(); });
    t.active = t.accepted > closed ? t.accepted - closed : 0;
    for (unsigned k = 0; k < kCodeClasses.size(); ++k)
      t.requests[k] = sum(*m, [k](const VipCounters& c) { return c.requests[k].read(); });
  }
  return out;
}

std::map<std::pair<std::string, std::string>, MetricsRegistry::ServerTotals>
MetricsRegistry::serverTotals() const {
  std::lock_guard lock(mutex_);
  std::map<std::pair<std::string, std::string>, ServerTotals> out;
  for (const auto& [key, m] : servers_) {
    ServerTotals& t = out[key];
    t.connections = sum(*m, [](const ServerCounters& c) { return c.connections.read(); });
    t.connectFailures = sum(*m, [](const ServerCounters& c) { return c.connectFailures.read(); });
    t.ejections = sum(*m, [](const ServerCounters& c) { return c.ejections.read(); });
  }
  return out;
}

// Of one VIP's counters over every writer: how many `opened` counts that `ended` does not.
template <typename Opened, typename Ended>
uint64_t MetricsRegistry::stillOpen(const std::string& vip, Opened opened, Ended ended) const {
  std::lock_guard lock(mutex_);
  const auto found = vips_.find(vip);
  if (found == vips_.end()) return 0;
  const uint64_t started = sum(*found->second, opened);
  const uint64_t finished = sum(*found->second, ended);
  return started > finished ? started - finished : 0;
}

uint64_t MetricsRegistry::activeConnections(const std::string& vip) const {
  return stillOpen(
      vip, [](const VipCounters& c) { return c.accepted.read(); },
      [](const VipCounters& c) {
        uint64_t closed = 0;
        for (const Counter& result : c.closed)
          closed += result.read();
        return closed;
      });
}

uint64_t MetricsRegistry::activeUpgraded(const std::string& vip) const {
  return stillOpen(
      vip, [](const VipCounters& c) { return c.upgraded.read(); },
      [](const VipCounters& c) { return c.upgradedClosed.read(); });
}

MetricsRegistry::Totals MetricsRegistry::totals() const {
  std::lock_guard lock(mutex_);
  Totals totals;
  for (const auto& [vip, m] : vips_) {
    totals.accepted += sum(*m, [](const VipCounters& c) { return c.accepted.read(); });
    for (unsigned r = 0; r < kCloseResults; ++r)
      totals.closed[r] += sum(*m, [r](const VipCounters& c) { return c.closed[r].read(); });
    for (unsigned k = 0; k < kCodeClasses.size(); ++k)
      totals.requests += sum(*m, [k](const VipCounters& c) { return c.requests[k].read(); });
  }
  for (const auto& [key, m] : servers_) {
    totals.serversDown += sum(*m, [](const ServerCounters& c) { return c.changes[0].read(); });
    totals.serversUp += sum(*m, [](const ServerCounters& c) { return c.changes[1].read(); });
    totals.ejections += sum(*m, [](const ServerCounters& c) { return c.ejections.read(); });
  }
  return totals;
}

}  // namespace sluice
