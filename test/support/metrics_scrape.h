#pragma once

#include <cstdint>
#include <string>

namespace sluice::test {

// `yaml` with an admin listener on 127.0.0.1:port (top-level keys may come in any order).
std::string withAdmin(const std::string& yaml, uint16_t port);

// GET /metrics from the admin listener on 127.0.0.1:port (curl), or "" when it did not answer.
std::string scrapeMetrics(uint16_t port);

// The sum of every sample on `page` whose series starts with `prefix` (a name, or a name and
// the first labels, e.g. `sluice_requests_total{vip="web"`); -1 when none does.
double metricSum(const std::string& page, const std::string& prefix);

}  // namespace sluice::test
