#include "tls/sni_router.h"

#include "tls/host_name.h"

namespace sluice {

bool SniRouter::parsePattern(std::string_view text, std::string& out) {
  if (text.substr(0, 2) == "*.") {
    std::string suffix;
    if (!normaliseHostName(text.substr(2), suffix)) return false;
    out = "*." + suffix;
    return true;
  }
  return normaliseHostName(text, out);
}

bool SniRouter::add(std::string_view pattern, size_t target) {
  if (pattern.substr(0, 2) == "*.") {
    return wildcard_.emplace(std::string(pattern.substr(2)), target).second;
  }
  return exact_.emplace(std::string(pattern), target).second;
}

size_t SniRouter::route(std::string_view host) const {
  if (auto it = exact_.find(host); it != exact_.end()) return it->second;
  const size_t dot = host.find('.');
  if (dot == std::string_view::npos || dot == 0) return kNoRoute;
  if (auto it = wildcard_.find(host.substr(dot + 1)); it != wildcard_.end()) return it->second;
  return kNoRoute;
}

}  // namespace sluice
