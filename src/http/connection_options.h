#pragma once

#include <string_view>
#include <vector>

namespace sluice {

// The options of one message's Connection fields (RFC 9110 §7.6.1), read once per message.
// Every field an option names is hop-by-hop: it describes the connection, not the message, and
// is not forwarded. Lookups in a long list cost O(log n) in the number of options, so a head of
// thousands of fields and a long option list stays linear-ish in its size (a nested scan was
// quadratic); a short list is scanned.
//
// Usage: clear(), add() each Connection field value, then seal() once before names().
// Views point into the parsed head.
class ConnectionOptions {
 public:
  // No real client names more than a handful; a head that names hundreds is an attempt to make
  // the proxy's work grow with it.
  static constexpr size_t kMaxOptions = 64;

  void clear();
  // One field value: a comma-separated list of tokens (empty elements allowed). False when an
  // element is not a token, or past kMaxOptions: such a field is not honoured, and the
  // message is refused.
  bool add(std::string_view value);
  void seal();

  // Whether `name` is one of the options (case-insensitive).
  bool names(std::string_view name) const;
  // An option that would strip what frames or routes the message — Content-Length,
  // Transfer-Encoding or Host — or empty. A Connection option never removes those: a proxy that
  // honoured one would forward a body without its length (one request capturing the next
  // user's), or a request without its host.
  std::string_view namedFramingField() const;

  bool close() const { return close_; }
  bool keepAlive() const { return keepAlive_; }
  bool upgrade() const { return upgrade_; }

 private:
  static constexpr size_t kScanUpTo = 8;
  std::vector<std::string_view> options_;  // capacity reused between messages
  bool close_ = false;
  bool keepAlive_ = false;
  bool upgrade_ = false;
};

}  // namespace sluice
