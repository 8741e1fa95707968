#pragma once

#include <string>

namespace sluice {

class Runtime;

// The /metrics page in the Prometheus text format: every VIP, group and server counter (summed
// over workers), and the Runtime's own gauges (config revision, reloads, server up, draining
// connections). Safe to call from the admin thread.
std::string renderMetrics(const Runtime& runtime);

}  // namespace sluice
