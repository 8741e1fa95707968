#pragma once

#include <span>
#include <string_view>

namespace sluice {

// A file built into the binary (cmake/embed_files.cmake): what the admin listener serves
// without anything installed beside the binary.
struct EmbeddedFile {
  std::string_view path;  // relative to the folder it was embedded from: "pages/vips.js"
  std::string_view contentType;
  std::string_view body;
};

// The web console (src/server/console/).
std::span<const EmbeddedFile> consoleFiles();

}  // namespace sluice
