#include "core/descriptor_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sluice {
namespace {

constexpr uint64_t kReserve = 1024;

}  // namespace

uint64_t descriptorsNeeded(uint64_t maxConnections) {
  return 2 * maxConnections + kReserve;
}

std::string ensureDescriptorLimit(uint64_t maxConnections) {
  const uint64_t needed = descriptorsNeeded(maxConnections);
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return std::string("cannot read the file descriptor limit: ") + std::strerror(errno);
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY
                          ? needed
                          : std::min<uint64_t>(needed, static_cast<uint64_t>(limit.rlim_max));
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return {};
  return "global.max_connections " + std::to_string(maxConnections) + " needs about " +
         std::to_string(needed) + " file descriptors, but this process may open only " +
         std::to_string(limit.rlim_cur) + " (hard limit " +
         (limit.rlim_max == RLIM_INFINITY ? std::string("unlimited")
                                          : std::to_string(limit.rlim_max)) +
         "): past about " +
         std::to_string((limit.rlim_cur - std::min<uint64_t>(limit.rlim_cur, kReserve)) / 2) +
         " connections new ones wait in the listen queue and requests get 503. Raise the limit "
         "(ulimit -n, or LimitNOFILE= in the systemd unit) or lower global.max_connections";
}

}  // namespace sluice
