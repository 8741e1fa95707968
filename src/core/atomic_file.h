#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace sluice {

// Replaces `path` with `text` so that a crash leaves the old file or the new one, never a mix:
// written to PATH.new, synced, renamed over `path`, and the directory synced so the rename
// lasts. False with `error` (naming the file and why) when any step fails; the old file stays.
bool writeFileAtomically(const std::string& path, std::string_view text, mode_t mode,
                         std::string& error);

// The whole of `path` into `out`; false when it cannot be read.
bool readFileText(const std::string& path, std::string& out);

}  // namespace sluice
