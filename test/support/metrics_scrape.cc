#include "support/metrics_scrape.h"

#include <sstream>

#include "support/tls_support.h"

namespace sluice::test {

std::string withAdmin(const std::string& yaml, uint16_t port) {
  return "admin: {listen: 127.0.0.1:" + std::to_string(port) + "}\n" + yaml;
}

std::string scrapeMetrics(uint16_t port) {
  std::string page;
  if (runCommand(
          "curl -sS --fail --max-time 5 http://127.0.0.1:" + std::to_string(port) + "/metrics",
          page) != 0) {
    return "";
  }
  return page;
}

double metricSum(const std::string& page, const std::string& prefix) {
  std::istringstream lines(page);
  double total = 0;
  bool found = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const size_t space = line.rfind(' ');
    // The prefix must end the name or a label, not cut one short.
    const char next = line[prefix.size()];
    if (next != ' ' && next != '{' && next != ',' && next != '}') continue;
    total += std::stod(line.substr(space + 1));
    found = true;
  }
  return found ? total : -1;
}

}  // namespace sluice::test
