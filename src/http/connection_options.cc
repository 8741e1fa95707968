#include "http/connection_options.h"

#include <strings.h>

#include <algorithm>

#include "http/ascii.h"

namespace sluice {
namespace {

// Case-insensitive order, for sorting the options and searching them.
bool lessIgnoreCase(std::string_view a, std::string_view b) {
  const int c = strncasecmp(a.data(), b.data(), std::min(a.size(), b.size()));
  return c < 0 || (c == 0 && a.size() < b.size());
}

}  // namespace

void ConnectionOptions::clear() {
  options_.clear();
  close_ = keepAlive_ = upgrade_ = false;
}

bool ConnectionOptions::add(std::string_view value) {
  while (true) {
    const size_t comma = value.find(',');
    const std::string_view option = trimWhitespace(value.substr(0, comma));
    if (!option.empty()) {
      if (!isToken(option) || options_.size() == kMaxOptions) return false;
      close_ = close_ || equalsIgnoreCase(option, "close");
      keepAlive_ = keepAlive_ || equalsIgnoreCase(option, "keep-alive");
      upgrade_ = upgrade_ || equalsIgnoreCase(option, "upgrade");
      options_.push_back(option);
    }
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

void ConnectionOptions::seal() {
  std::sort(options_.begin(), options_.end(), lessIgnoreCase);
}

bool ConnectionOptions::names(std::string_view name) const {
  // The usual list is one or two options: a scan (most lengths differ at once) costs less than
  // the search, which bounds the work of a long list.
  if (options_.size() <= kScanUpTo) {
    for (std::string_view option : options_) {
      if (equalsIgnoreCase(option, name)) return true;
    }
    return false;
  }
  const auto at = std::lower_bound(options_.begin(), options_.end(), name, lessIgnoreCase);
  return at != options_.end() && equalsIgnoreCase(*at, name);
}

std::string_view ConnectionOptions::namedFramingField() const {
  for (std::string_view field : {"content-length", "transfer-encoding", "host"}) {
    if (names(field)) return field;
  }
  return {};
}

}  // namespace sluice
