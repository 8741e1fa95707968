#include "tls/host_name.h"

#include <cctype>

namespace sluice {

bool normaliseHostName(std::string_view name, std::string& out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  out.clear();
  out.reserve(name.size());
  char previous = '.';
  for (char c : name) {
    const bool valid = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                       (c == '.' && previous != '.');
    if (!valid) return false;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    previous = c;
  }
  return out.back() != '.';
}

}  // namespace sluice
