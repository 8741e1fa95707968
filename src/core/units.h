#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace sluice {

// Parses an operator-written duration: an integer followed by a unit, `250ms`, `5s`, `2m`, `1h`
// or `1d`. A bare number is refused because its unit would be a guess. Returns nullopt on any
// other input (negative, fractional, overflowing, unknown unit).
std::optional<Millis> parseDuration(std::string_view text);

// Parses a size: a plain byte count, or an integer with one of B, KB, MB, GB (powers of 1000)
// or KiB, MiB, GiB (powers of 1024), e.g. `16KiB`, `1MiB`. Returns nullopt on anything else.
std::optional<uint64_t> parseSize(std::string_view text);

// The inverse of parseDuration for log and error messages: the largest unit that is exact.
std::string formatDuration(Millis d);

}  // namespace sluice
