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
void appendEditedHeaders(const HeaderEditList& edits, std::string& out);

}  // namespace sluice
