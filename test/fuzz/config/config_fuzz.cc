// libFuzzer target: the config loader. Any text, however malformed, gives a snapshot or errors
// with a place and a field; never a crash, a hang or an exception.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const sluice::ConfigLoadResult result = sluice::loadConfigText(text, "fuzz.yaml");
  if (!result.ok() && result.errors.empty()) __builtin_trap();  // refused without a reason
  for (const sluice::ConfigError& error : result.errors) {
    if (error.message.empty()) __builtin_trap();
  }
  return 0;
}
