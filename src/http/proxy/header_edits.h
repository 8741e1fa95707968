#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/rule.h"

namespace sluice {

// Applies the header changes that matching rules accumulated (in rule order) while a head is
// written: a header of the message is dropped when a rule removes or sets its name; then the
// `set` and `add` headers are appended, each unless a later rule removes or sets that name
// again. Reads the compiled rules only: nothing is allocated.
using HeaderEditList = std::vector<const HeaderEdits*>;

bool dropsHeader(const HeaderEditList& edits, std::string_view name);
// Whether a rule from `from` on removes or sets `name`.
bool replacedFrom(const HeaderEditList& edits, size_t from, std::string_view name);
// Calls `emit(name, value)` for each header the edits add, in order.
template <typename Emit>
void forEachEditedHeader(const HeaderEditList& edits, Emit emit) {
  for (size_t i = 0; i < edits.size(); ++i) {
    for (const auto* list : {&edits[i]->set, &edits[i]->add}) {
      for (const auto& [name, value] : *list) {
        if (!replacedFrom(edits, i + 1, name))
          emit(std::string_view(name), std::string_view(value));
      }
    }
  }
}

}  // namespace sluice
