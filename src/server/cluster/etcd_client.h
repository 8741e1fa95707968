#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// etcd v3 through its JSON gateway (POST /v3/kv/range, /v3/kv/txn, /v3/watch, /v3/lease/...),
// with libcurl. Each call goes to the endpoint that answered last and moves on to the next one
// on a transport error, a timeout or an etcd that cannot serve (no leader, no quorum): a
// member's death costs one retry, not an outage. With a user, it authenticates first and again
// whenever a token is rejected (tokens expire; a restarted member forgets them).
//
// Thread-safe: every call uses a handle of its own; only the endpoint preference and the token
// are shared. Blocking: meant for the control plane's threads, never a worker's.
class EtcdClient {
 public:
  using json = nlohmann::json;

  struct Options {
    std::vector<std::string> endpoints;       // http://host:port or https://host:port
    std::string caFile;                       // verifies https endpoints (empty: the system's CAs)
    std::string certFile, keyFile;            // a client certificate, when etcd asks for one
    std::string user, password;               // etcd's auth (empty user: none)
    std::chrono::milliseconds timeout{2000};  // per request and endpoint
  };

  explicit EtcdClient(Options options);

  // One unary call: `path` is the gateway's ("/v3/kv/range"). True with `response` the answer;
  // false with `error` saying why. `unreachable` tells a failure of etcd itself (no endpoint
  // answered, or none could serve) from an answer refusing the request (bad request, compacted
  // revision, permission denied).
  struct Failure {
    std::string error;
    bool unreachable = false;
  };
  bool call(const std::string& path, const json& request, json& response, Failure& failure);

  // A streaming call (/v3/watch): `onMessage` gets each message as it comes and returns false to
  // end the stream. Returns when the stream ends, `stop` is set (checked every 250 ms), or
  // `onMessage` returned false; `failure` says why it ended, unless stopped.
  bool stream(const std::string& path, const json& request,
              const std::function<bool(const json&)>& onMessage, const std::atomic<bool>& stop,
              Failure& failure);

  const Options& options() const { return options_; }

  // etcd's keys and values are bytes, base64 in the gateway's JSON.
  static std::string base64(std::string_view bytes);
  static std::string unbase64(std::string_view text);
  // The smallest key greater than every key starting with `prefix` (a range's range_end).
  static std::string prefixEnd(std::string prefix);

 private:
  struct Attempt;
  bool attempt(size_t endpoint, const std::string& path, const std::string& body, json& response,
               Failure& failure, bool& retryElsewhere, bool& reauthenticate);
  bool authenticate(size_t endpoint, Failure& failure);
  std::string token();

  Options options_;
  std::atomic<size_t> preferred_{0};
  std::mutex tokenMutex_;
  std::string token_;
};

}  // namespace sluice
