#include "http/canonical_request.h"

#include "http/ascii.h"
#include "http/hop_by_hop.h"

namespace sluice {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isRegNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) ||
         std::string_view("-._~!$&'()*+,;=%").find(c) != std::string_view::npos;
}

// The elements of a comma-separated list value, empty ones skipped.
template <typename F>
void forEachElement(std::string_view value, F each) {
  while (true) {
    const size_t comma = value.find(',');
    const std::string_view element = trimWhitespace(value.substr(0, comma));
    if (!element.empty()) each(element);
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

// What one pass over the received fields learns before any is dropped.
struct FieldSurvey {
  int hosts = 0;
  int transferCodings = 0;   // elements across every Transfer-Encoding field
  bool chunkedOnly = false;  // ... and the one element is `chunked`
  bool websocket = false;    // an Upgrade field offers `websocket`
  std::string_view websocketToken;
  bool expectContinue = false;
};

MessageError survey(HttpRequestHead& head, ConnectionOptions& options, FieldSurvey& found) {
  for (const HttpHeader& field : head.headers) {
    const std::string_view name = field.name;
    if (equalsIgnoreCase(name, "connection")) {
      if (!options.add(field.value)) return {400, "invalid or too many Connection options"};
    } else if (equalsIgnoreCase(name, "host")) {
      ++found.hosts;
      head.host = field.value;
    } else if (equalsIgnoreCase(name, "transfer-encoding")) {
      forEachElement(field.value, [&](std::string_view coding) {
        ++found.transferCodings;
        found.chunkedOnly = found.transferCodings == 1 && equalsIgnoreCase(coding, "chunked");
      });
    } else if (equalsIgnoreCase(name, "upgrade")) {
      forEachElement(field.value, [&](std::string_view protocol) {
        if (!found.websocket && equalsIgnoreCase(protocol, "websocket")) {
          found.websocket = true;
          found.websocketToken = protocol;
        }
      });
    } else if (equalsIgnoreCase(name, "expect")) {
      found.expectContinue = found.expectContinue || equalsIgnoreCase(field.value, "100-continue");
    }
  }
  options.seal();
  return {};
}

// Leaves only end-to-end fields, in order, without copying any.
void dropConnectionFields(HttpRequestHead& head, const ConnectionOptions& options, bool http10) {
  size_t kept = 0;
  for (const HttpHeader& field : head.headers) {
    const std::string_view name = field.name;
    if (isHopByHop(name) || equalsIgnoreCase(name, "content-length") ||
        equalsIgnoreCase(name, "http2-settings") || options.names(name) ||
        (http10 && equalsIgnoreCase(name, "expect"))) {
      continue;
    }
    head.headers[kept++] = field;
  }
  head.headers.resize(kept);
}

// Splits an origin-form or absolute-form target into its authority (absolute-form only) and
// what follows it. False when the target has neither form.
bool splitTarget(std::string_view target, std::string_view& authority,
                 std::string_view& pathAndQuery) {
  if (!target.empty() && target.front() == '/') {
    pathAndQuery = target;
    return true;
  }
  const size_t separator = target.find("://");
  if (separator == std::string_view::npos) return false;
  const std::string_view scheme = target.substr(0, separator);
  if (!equalsIgnoreCase(scheme, "http") && !equalsIgnoreCase(scheme, "https")) return false;
  const std::string_view rest = target.substr(separator + 3);
  const size_t end = std::min(rest.find_first_of("/?"), rest.size());
  authority = rest.substr(0, end);
  pathAndQuery = rest.substr(end);
  return true;
}

// The canonical target from a path and query: the normalised path, then the query as sent.
MessageError setTarget(HttpRequestHead& head, std::string_view pathAndQuery,
                       const PathNormalization& how) {
  const size_t question = pathAndQuery.find('?');
  std::string_view path = pathAndQuery.substr(0, question);
  const bool hasQuery = question != std::string_view::npos;
  head.query = hasQuery ? pathAndQuery.substr(question + 1) : std::string_view();
  std::string& storage = head.targetStorage;
  PathVerdict verdict = PathVerdict::kUnchanged;
  if (path.empty()) {
    storage.clear();
    storage.push_back('/');  // an absolute-form target with no path means the root
    verdict = PathVerdict::kRewritten;
  } else {
    verdict = normalisePath(path, how, storage, head.scratch);
  }
  switch (verdict) {
    case PathVerdict::kBadEscape:
      return {400, "invalid percent-encoding in the path"};
    case PathVerdict::kAboveRoot:
      return {400, "the path climbs above the root"};
    case PathVerdict::kUnchanged:
      head.path = path;
      head.target = pathAndQuery;
      return {};
    case PathVerdict::kRewritten:
      break;
  }
  const size_t pathLength = storage.size();
  if (hasQuery) {
    storage.push_back('?');
    storage.append(head.query.data(), head.query.size());
  }
  head.path = std::string_view(storage.data(), pathLength);
  head.target = storage;
  return {};
}

}  // namespace

bool isValidAuthority(std::string_view text) {
  if (text.empty()) return false;
  size_t hostEnd = 0;
  if (text.front() == '[') {
    hostEnd = text.find(']');
    if (hostEnd == std::string_view::npos || hostEnd < 3) return false;
    for (char c : text.substr(1, hostEnd - 1)) {
      const bool hex = isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return false;
    }
    ++hostEnd;
  } else {
    while (hostEnd < text.size() && isRegNameChar(text[hostEnd]))
      ++hostEnd;
    if (hostEnd == 0) return false;
  }
  if (hostEnd == text.size()) return true;
  if (text[hostEnd] != ':') return false;
  const std::string_view port = text.substr(hostEnd + 1);
  if (port.size() > 5) return false;
  for (char c : port) {
    if (!isDigit(c)) return false;
  }
  return true;
}

MessageError canonicaliseRequest(HttpRequestHead& head, const RequestPolicy& policy,
                                 ConnectionOptions& options) {
  options.clear();
  FieldSurvey found;
  if (MessageError error = survey(head, options, found)) return error;
  if (!options.namedFramingField().empty()) {
    return {400, "a Connection option names Content-Length, Transfer-Encoding or Host"};
  }
  const bool http10 = head.versionMajor == 1 && head.versionMinor == 0;
  if (found.transferCodings > 0) {
    if (http10) return {400, "Transfer-Encoding in an HTTP/1.0 request"};
    if (!found.chunkedOnly) return {501, "Transfer-Encoding other than one chunked"};
  }
  if (found.hosts > 1) return {400, "more than one Host header"};
  if (found.hosts == 0 && !http10) return {400, "HTTP/1.1 request without Host"};
  if (found.hosts == 1 && !isValidAuthority(head.host)) return {400, "invalid Host"};
  head.expectContinue = found.expectContinue && !http10;
  dropConnectionFields(head, options, http10);

  const std::string_view target = head.target;
  if (!isVisibleAscii(target)) return {400, "a byte in the target that is not visible ASCII"};
  if (target.find('#') != std::string_view::npos) return {400, "a fragment in the target"};
  if (target == "*") {
    if (head.method != "OPTIONS") return {400, "the target * is only for OPTIONS"};
    head.path = target;
  } else {
    std::string_view authority, pathAndQuery;
    if (!splitTarget(target, authority, pathAndQuery)) return {400, "invalid request target"};
    if (authority.data() != nullptr) {
      if (!isValidAuthority(authority)) return {400, "invalid authority in the target"};
      if (found.hosts == 0) {
        head.host = authority;
        head.headers.push_back({"Host", authority});
        found.hosts = 1;
      } else if (!equalsIgnoreCase(authority, head.host)) {
        return {400, "the target's authority and Host disagree"};
      }
    }
    if (MessageError error = setTarget(head, pathAndQuery, policy.paths)) return error;
  }
  if (found.hosts == 0) {
    head.host = policy.defaultHost;
    head.headers.push_back({"Host", head.host});
  }

  head.upgrade =
      options.upgrade() && found.websocket && head.method == "GET" && !http10 && !head.hasBody();
  head.upgradeProtocol = head.upgrade ? found.websocketToken : std::string_view();
  return {};
}

}  // namespace sluice
