#include "core/units.h"

#include <array>
#include <charconv>
#include <limits>

namespace sluice {
namespace {

struct Unit {
  std::string_view suffix;
  uint64_t factor;
};

// Splits "123abc" into its leading decimal integer and the rest; nullopt when there are no
// digits or the integer overflows.
std::optional<std::pair<uint64_t, std::string_view>> splitNumber(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return std::pair{value, text.substr(static_cast<size_t>(end - text.data()))};
}

std::optional<uint64_t> scale(uint64_t value, uint64_t factor) {
  if (value > std::numeric_limits<uint64_t>::max() / factor) return std::nullopt;
  return value * factor;
}

}  // namespace

std::optional<Millis> parseDuration(std::string_view text) {
  static constexpr std::array<Unit, 5> kUnits{{
      {"ms", 1},
      {"s", 1000},
      {"m", 60 * 1000},
      {"h", 60 * 60 * 1000},
      {"d", 24 * 60 * 60 * 1000},
  }};
  auto parts = splitNumber(text);
  if (!parts) return std::nullopt;
  for (const Unit& unit : kUnits) {
    if (parts->second != unit.suffix) continue;
    auto ms = scale(parts->first, unit.factor);
    if (!ms || *ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return Millis(static_cast<int64_t>(*ms));
  }
  return std::nullopt;
}

std::optional<uint64_t> parseSize(std::string_view text) {
  static constexpr std::array<Unit, 8> kUnits{{
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},
      {"KiB", 1024},
      {"MiB", 1024 * 1024},
      {"GiB", 1024 * 1024 * 1024},
  }};
  auto parts = splitNumber(text);
  if (!parts) return std::nullopt;
  for (const Unit& unit : kUnits) {
    if (parts->second == unit.suffix) return scale(parts->first, unit.factor);
  }
  return std::nullopt;
}

std::string formatDuration(Millis d) {
  const int64_t ms = d.count();
  if (ms != 0 && ms % (24 * 3600 * 1000) == 0) return std::to_string(ms / (24 * 3600 * 1000)) + "d";
  if (ms != 0 && ms % (3600 * 1000) == 0) return std::to_string(ms / (3600 * 1000)) + "h";
  if (ms != 0 && ms % (60 * 1000) == 0) return std::to_string(ms / (60 * 1000)) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace sluice
