#include "http/proxy/header_edits.h"

#include "http/ascii.h"

namespace sluice {
bool replacedFrom(const HeaderEditList& edits, size_t from, std::string_view name) {
  for (size_t i = from; i < edits.size(); ++i) {
    for (const std::string& removed : edits[i]->remove) {
      if (equalsIgnoreCase(removed, name)) return true;
    }
    for (const auto& [set, value] : edits[i]->set) {
      if (equalsIgnoreCase(set, name)) return true;
    }
  }
  return false;
}
bool dropsHeader(const HeaderEditList& edits, std::string_view name) {
  return !edits.empty() && replacedFrom(edits, 0, name);
}

}  // namespace sluice
