#include "server/cluster/etcd_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <mutex>

namespace sluice {
namespace {

// gRPC status codes, as the gateway's error bodies carry them.
constexpr int kDeadlineExceeded = 4;
constexpr int kUnavailable = 14;
constexpr int kUnauthenticated = 16;

void initialiseCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One libcurl handle with what every request to etcd needs.
struct Handle {
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  ~Handle() {
    curl_slist_free_all(headers);
    if (curl) curl_easy_cleanup(curl);
  }
};

size_t appendTo(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// What etcd says is wrong with a request, from the gateway's error body.
std::string etcdError(const nlohmann::json& body, long status) {
  if (body.is_object()) {
    if (body.contains("error") && body["error"].is_string()) return body["error"];
    if (body.contains("message") && body["message"].is_string()) return body["message"];
  }
  return "HTTP " + std::to_string(status);
}

int grpcCode(const nlohmann::json& body) {
  return body.is_object() && body.contains("code") && body["code"].is_number_integer()
             ? body["code"].get<int>()
             : -1;
}

}  // namespace

EtcdClient::EtcdClient(Options options) : options_(std::move(options)) {
  initialiseCurl();
}

std::string EtcdClient::base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(length));
  return out;
}

std::string EtcdClient::unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return "";
  std::string out(3 * text.size() / 4, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()),
                                     static_cast<int>(text.size()));
  if (length < 0) return "";
  size_t padding = 0;
  while (padding < 2 && text[text.size() - 1 - padding] == '=')
    ++padding;
  out.resize(static_cast<size_t>(length) - padding);
  return out;
}

std::string EtcdClient::prefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) < 0xff) {
      prefix.back() = static_cast<char>(prefix.back() + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // every key
}

std::string EtcdClient::token() {
  std::lock_guard lock(tokenMutex_);
  return token_;
}

struct EtcdClient::Attempt {
  Handle handle;
  std::string received;

  Attempt(const Options& options, const std::string& url, const std::string& body,
          const std::string& token) {
    CURL* curl = handle.curl;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<int64_t>(options.timeout.count(), 1000)));
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 5L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 2L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, appendTo);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    if (!options.caFile.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.caFile.c_str());
    if (!options.certFile.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLCERT, options.certFile.c_str());
      curl_easy_setopt(curl, CURLOPT_SSLKEY, options.keyFile.c_str());
    }
    handle.headers = curl_slist_append(handle.headers, "Content-Type: application/json");
    if (!token.empty()) {
      handle.headers = curl_slist_append(handle.headers, ("Authorization: " + token).c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, handle.headers);
  }
};

bool EtcdClient::authenticate(size_t endpoint, Failure& failure) {
  const std::string body = json{{"name", options_.user}, {"password", options_.password}}.dump();
  Attempt attempt(options_, options_.endpoints[endpoint] + "/v3/auth/authenticate", body, "");
  curl_easy_setopt(attempt.handle.curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(options_.timeout.count()));
  const CURLcode result = curl_easy_perform(attempt.handle.curl);
  if (result != CURLE_OK) {
    failure = {options_.endpoints[endpoint] + ": " + curl_easy_strerror(result), true};
    return false;
  }
  long status = 0;
  curl_easy_getinfo(attempt.handle.curl, CURLINFO_RESPONSE_CODE, &status);
  const json answer = json::parse(attempt.received, nullptr, false);
  if (status != 200 || !answer.is_object() || !answer.contains("token")) {
    failure = {"etcd refused user '" + options_.user + "': " + etcdError(answer, status),
               grpcCode(answer) == kUnavailable};
    return false;
  }
  std::lock_guard lock(tokenMutex_);
  token_ = answer["token"].get<std::string>();
  return true;
}

bool EtcdClient::attempt(size_t endpoint, const std::string& path, const std::string& body,
                         json& response, Failure& failure, bool& retryElsewhere,
                         bool& reauthenticate) {
  retryElsewhere = reauthenticate = false;
  if (!options_.user.empty() && token().empty() && !authenticate(endpoint, failure)) {
    retryElsewhere = failure.unreachable;
    return false;
  }
  Attempt attempt(options_, options_.endpoints[endpoint] + path, body, token());
  curl_easy_setopt(attempt.handle.curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(options_.timeout.count()));
  const CURLcode result = curl_easy_perform(attempt.handle.curl);
  if (result != CURLE_OK) {
    failure = {options_.endpoints[endpoint] + ": " + curl_easy_strerror(result), true};
    retryElsewhere = true;
    return false;
  }
  long status = 0;
  curl_easy_getinfo(attempt.handle.curl, CURLINFO_RESPONSE_CODE, &status);
  response = json::parse(attempt.received, nullptr, false);
  if (status == 200 && response.is_object()) return true;
  const int code = grpcCode(response);
  failure.error = options_.endpoints[endpoint] + ": " + etcdError(response, status);
  if (code == kUnauthenticated && !options_.user.empty()) {
    reauthenticate = true;
    return false;
  }
  // A member that lost its leader or its quorum cannot serve; another one may.
  failure.unreachable = code == kUnavailable || code == kDeadlineExceeded || status >= 500;
  retryElsewhere = failure.unreachable;
  return false;
}

bool EtcdClient::call(const std::string& path, const json& request, json& response,
                      Failure& failure) {
  const std::string body = request.dump();
  const size_t count = options_.endpoints.size();
  size_t endpoint = preferred_.load(std::memory_order_relaxed) % count;
  bool reauthenticated = false;
  std::string errors;  // every member's, when none could serve
  for (size_t tried = 0; tried < count;) {
    bool retryElsewhere = false, reauthenticate = false;
    if (attempt(endpoint, path, body, response, failure, retryElsewhere, reauthenticate)) {
      preferred_.store(endpoint, std::memory_order_relaxed);
      return true;
    }
    if (retryElsewhere) errors += (errors.empty() ? "" : "; ") + failure.error;
    if (reauthenticate && !reauthenticated) {
      reauthenticated = true;
      if (!authenticate(endpoint, failure)) return false;
      continue;  // the same endpoint, with the new token
    }
    if (!retryElsewhere) return false;
    endpoint = (endpoint + 1) % count;
    ++tried;
  }
  failure = {count > 1 ? "no etcd member could serve (" + errors + ")" : errors, true};
  return false;
}

namespace {

struct StreamState {
  std::string pending;
  const std::function<bool(const nlohmann::json&)>* onMessage = nullptr;
  const std::atomic<bool>* stop = nullptr;
  bool ended = false;  // onMessage returned false
  long status = 0;
  CURL* curl = nullptr;
};

// Each message of a gateway stream is one JSON object on a line of its own.
size_t onStreamBytes(char* data, size_t size, size_t count, void* opaque) {
  auto* state = static_cast<StreamState*>(opaque);
  if (state->status == 0) curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &state->status);
  state->pending.append(data, size * count);
  if (state->status != 200) return size * count;  // an error body: read whole, then said
  for (size_t end; (end = state->pending.find('\n')) != std::string::npos;) {
    const std::string line = state->pending.substr(0, end);
    state->pending.erase(0, end + 1);
    if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
    const nlohmann::json message = nlohmann::json::parse(line, nullptr, false);
    if (message.is_discarded() || !(*state->onMessage)(message)) {
      state->ended = true;
      return 0;  // ends the transfer
    }
  }
  return size * count;
}

int onStreamProgress(void* opaque, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<StreamState*>(opaque)->stop->load() ? 1 : 0;
}

}  // namespace

bool EtcdClient::stream(const std::string& path, const json& request,
                        const std::function<bool(const json&)>& onMessage,
                        const std::atomic<bool>& stop, Failure& failure) {
  const std::string body = request.dump();
  const size_t count = options_.endpoints.size();
  size_t endpoint = preferred_.load(std::memory_order_relaxed) % count;
  for (size_t tried = 0; tried < count && !stop.load(); ++tried) {
    if (!options_.user.empty() && token().empty() && !authenticate(endpoint, failure)) {
      if (!failure.unreachable) return false;
      endpoint = (endpoint + 1) % count;
      continue;
    }
    Attempt attempt(options_, options_.endpoints[endpoint] + path, body, token());
    StreamState state;
    state.onMessage = &onMessage;
    state.stop = &stop;
    state.curl = attempt.handle.curl;
    curl_easy_setopt(state.curl, CURLOPT_WRITEFUNCTION, onStreamBytes);
    curl_easy_setopt(state.curl, CURLOPT_WRITEDATA, &state);
    curl_easy_setopt(state.curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(state.curl, CURLOPT_XFERINFOFUNCTION, onStreamProgress);
    curl_easy_setopt(state.curl, CURLOPT_XFERINFODATA, &state);
    const CURLcode result = curl_easy_perform(state.curl);
    if (stop.load() || state.ended) return true;
    if (state.status != 0 && state.status != 200) {
      const json answer = json::parse(state.pending, nullptr, false);
      failure = {options_.endpoints[endpoint] + ": " + etcdError(answer, state.status),
                 grpcCode(answer) == kUnavailable || state.status >= 500};
      if (grpcCode(answer) == kUnauthenticated) {
        std::lock_guard lock(tokenMutex_);
        token_.clear();  // the next attempt authenticates again
        failure.unreachable = true;
      }
      if (!failure.unreachable) return false;
    } else if (result == CURLE_OK) {
      failure = {options_.endpoints[endpoint] + ": the stream ended", true};
      return false;  // it did run: the caller starts it again from where it was
    } else {
      failure = {options_.endpoints[endpoint] + ": " + curl_easy_strerror(result), true};
      if (state.status == 200) return false;  // it ran, then broke
    }
    endpoint = (endpoint + 1) % count;
  }
  failure.unreachable = true;
  return false;
}

}  // namespace sluice
