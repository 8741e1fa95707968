#include "http/proxy/header_edits.h"

#include "http/ascii.h"

namespace sluice {
namespace {

// Whether a rule from `from` on removes or sets `name`.
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

}  // namespace

bool dropsHeader(const HeaderEditList& edits, std::string_view name) {
  return !edits.empty() && replacedFrom(edits, 0, name);
}

void appendEditedHeaders(const HeaderEditList& edits, std::string& out) {
  for (size_t i = 0; i < edits.size(); ++i) {
    for (const auto* list : {&edits[i]->set, &edits[i]->add}) {
      for (const auto& [name, value] : *list) {
        if (replacedFrom(edits, i + 1, name)) continue;
        out.append(name).append(": ").append(value).append("\r\n");
      }
    }
  }
}

}  // namespace sluice
