#pragma once

#include <string>

namespace sluice {

// The admin API from the command line, for scripts: `sluice status`, `sluice diff -f FILE`,
// `sluice apply -f FILE`, `sluice server drain|enable|disable|close GROUP/SERVER`,
// `sluice server weight GROUP/SERVER N|config`. The listener's
// address and the token come from flags, or from SLUICE_ADMIN (default http://127.0.0.1:9900)
// and SLUICE_TOKEN. Each prints what the API answered and returns the exit code: 0 when it
// succeeded, 1 when the API refused (its problem's detail on stderr).
struct AdminTarget {
  std::string url;     // http://HOST:PORT
  std::string token;   // may be empty (a loopback listener without tokens is read-only)
  std::string caFile;  // https://: the CA to verify the listener with (empty: the system's)
};

int cliStatus(const AdminTarget& target);
int cliDiff(const AdminTarget& target, const std::string& file);
int cliApply(const AdminTarget& target, const std::string& file, const std::string& comment);
// `operation` weight takes `weight` (a number, or "config"); close prints how many closed.
int cliServer(const AdminTarget& target, const std::string& operation, const std::string& server,
              const std::string& weight = "");

}  // namespace sluice
