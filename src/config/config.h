#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "config/request_policy.h"
#include "core/clock.h"
#include "net/address.h"
#include "net/cidr.h"
#include "rules/rule.h"
#include "tls/certificate.h"
#include "tls/sni_router.h"
#include "tls/tls_client_context.h"
#include "tls/tls_server_context.h"

namespace sluice {

// The immutable configuration that workers serve. The control thread builds one from YAML
// (config_loader.h), validates it whole, and only then publishes it; a connection holds the
// snapshot it was accepted under until it closes, so a later config never changes a live
// connection's groups or timeouts under it.
//
// Field names follow the YAML keys (docs: README, "Config reference").

enum class ServiceType { kTcp, kHttp, kHttpsPassthrough, kHttpsOffload, kHttpsBridge };
enum class BackendProtocol { kTcp, kHttp, kHttps };
// kUriHash and kHeaderHash place requests (layer 7), by path or by a header's value, with the
// same consistent hashing as kSourceHash places clients.
enum class BalanceAlgorithm {
  kRoundRobin,
  kLeastConn,
  kSourceHash,
  kRandomTwo,
  kUriHash,
  kHeaderHash
};
enum class ProxyProtocol { kOff, kV1, kV2 };
enum class NoSniPolicy { kDefault, kReject };

constexpr size_t kNoGroup = std::numeric_limits<size_t>::max();

const char* toString(ServiceType service);
const char* toString(BackendProtocol protocol);
const char* toString(BalanceAlgorithm balance);
const char* toString(ProxyProtocol protocol);

inline constexpr uint32_t kMaxWeight = 1000;  // a server's `weight`: 1 to this

struct ServerConfig {
  std::string name;
  SocketAddress address;
  uint32_t weight = 1;
  bool backup = false;  // receives traffic only when no primary server can be used
  bool drain = false;   // starts draining: keeps its connections, gets no new ones
  // Whether it is up, down, ejected or draining is not configuration: it lives beside the
  // snapshot (health/server_states.h) and outlives it.
  // protocol: https, resolved at load from the group's tls keys: the SNI sent (empty: none)
  // and the name its certificate must carry (a DNS name or an IP address).
  std::string tlsSni;
  std::string tlsVerifyName;
};

// `health:` active checks, run by the health checker thread.
struct HealthCheckConfig {
  enum class Type { kNone, kTcp, kHttp, kHttps, kTls };
  Type type = Type::kNone;
  std::string path = "/";
  std::string host;  // Host header of http(s) checks; default: the server's name
  unsigned statusMin = 200;
  unsigned statusMax = 399;
  std::string bodyContains;
  Millis interval{2000};
  Millis timeout{1000};
  uint32_t rise = 2;  // successes in a row that bring a down server up
  uint32_t fall = 3;  // failures in a row that take an up server down
  uint32_t jitterPercent = 10;
};

// `passive:` ejection on what real traffic sees.
struct PassiveHealthConfig {
  uint32_t consecutiveFailures = 0;  // 0: off
  Millis ejection{30000};
};

struct StickyCookieConfig {
  bool enabled = false;
  std::string name = "SLUICE_SRV";
  uint64_t maxAgeSeconds = 0;  // 0: a session cookie (no Max-Age)
  enum class Secure { kAuto, kAlways, kNever } secure = Secure::kAuto;  // auto: on HTTPS VIPs
  bool httpOnly = true;
  std::string sameSite = "Lax";  // Lax | Strict | None | "" (not sent)
  // Made at load (StickyCookie::prepare): the keys cookies are sealed with (the first seals,
  // every one opens: global.sticky_secret, then sticky_previous_secret), each server's id (what
  // a cookie names, parallel to servers), how long a cookie is honoured after it was issued
  // (max_age, or 12 hours for a session cookie), and the Set-Cookie attributes after the value
  // (without Secure, which depends on the VIP).
  struct Key {
    std::array<unsigned char, 32> aes{};
    std::string id;  // 8 hex digits, the cookie's first field
  };
  std::vector<Key> keys;
  std::vector<std::array<unsigned char, 8>> ids;
  std::string group;  // sealed with the cookie: one for another group does not open
  uint64_t lifetimeSeconds = 0;
  std::string attributes;
};

struct ServerGroupConfig {
  std::string name;
  BackendProtocol protocol = BackendProtocol::kTcp;
  BalanceAlgorithm balance = BalanceAlgorithm::kRoundRobin;
  uint32_t retries = 2;  // further servers tried after a failed connect
  Millis connectTimeout{3000};
  Millis idleTimeout{300000};
  ProxyProtocol proxyProtocol = ProxyProtocol::kOff;  // header sent to servers before any byte
  std::vector<ServerConfig> servers;

  std::string hashHeader;  // balance: {header_hash: {name}}

  HealthCheckConfig health;
  PassiveHealthConfig passive;
  Millis slowStart{0};          // a server back up gets its full share over this long
  uint32_t maxConnections = 0;  // per server (0: no limit); beyond it, queue then 503
  Millis queueTimeout{1000};    // how long a request waits for a server under max_connections

  // sticky.cookie: which server a client's requests go to, carried in a signed cookie.
  StickyCookieConfig sticky;

  // `http2: true`: requests go to the servers over HTTP/2, many streams on one connection
  // (ALPN h2 on protocol: https, prior knowledge on protocol: http). gRPC needs it.
  bool http2 = false;

  // protocol: https (the `tls:` keys), and the client TLS context built from them.
  BackendTlsSettings tls;
  std::shared_ptr<const TlsClientContext> tlsContext;
};

// One entry of the top-level `certificates:` list, loaded and checked at config load.
struct CertificateConfig {
  std::string name;
  std::string cert;  // paths as resolved (relative ones against the config file's directory)
  std::string key;
  std::shared_ptr<const Certificate> loaded;
};

struct HstsConfig {
  bool enabled = false;
  uint64_t maxAge = 31536000;
  bool includeSubdomains = false;
};

// `redirect_https` on an http VIP: answer every request with a redirect to HTTPS.
struct RedirectHttpsConfig {
  bool enabled = false;
  uint16_t port = 443;
  int status = 301;
};

struct ForwardedHeadersConfig {
  CidrSet trustedProxies;  // peers whose X-Forwarded-* / Forwarded are believed and extended
  bool rfc7239 = false;
};

// One `sni_routes` entry: on an https-passthrough VIP, where a name goes; on an https-offload or
// https-bridge VIP, a name that is passed through untouched (`mode: passthrough`) instead of
// terminated.
struct SniRoute {
  std::string sni;  // normalised: lower case, `*.suffix` for a wildcard
  std::string group;
  size_t groupIndex = kNoGroup;
};

// `http2` on http, https-offload and https-bridge VIPs: HTTP/2 with clients (chosen by ALPN on
// terminating VIPs, by prior knowledge on http ones when `h2c` is on) and its limits.
struct Http2Config {
  bool h2c = false;                     // http VIPs: accept HTTP/2 with prior knowledge
  uint32_t maxConcurrentStreams = 100;  // SETTINGS_MAX_CONCURRENT_STREAMS
  size_t maxHeaderList = 64 * 1024;     // a request's decoded fields, in bytes → 431
  uint32_t streamWindow = 256 * 1024;   // each request body's window: bytes Sluice buffers
  uint32_t connectionWindow = 1 << 20;  // all request bodies of one connection together
  // Frames that cost Sluice work without carrying requests (SETTINGS, PING, PRIORITY,
  // WINDOW_UPDATE, empty DATA, resets, requests refused for a protocol error) a connection may
  // have outstanding; each second of calm forgives a tenth. Past it: GOAWAY ENHANCE_YOUR_CALM.
  uint32_t maxGlitches = 1000;
};

struct VipConfig {
  std::string name;
  SocketAddress listen;
  ServiceType service = ServiceType::kTcp;
  bool active = true;                   // false: kept in config, nothing listens
  std::string defaultGroup;             // may be empty for https-passthrough with sni_routes
  size_t defaultGroupIndex = kNoGroup;  // index into ConfigSnapshot::serverGroups

  // https-passthrough, and names passed through by https-offload / https-bridge: routing by the
  // ClientHello's server name.
  std::vector<SniRoute> sniRoutes;
  NoSniPolicy noSni = NoSniPolicy::kDefault;
  std::shared_ptr<const SniRouter> sniRouter;  // compiled from sniRoutes; targets group indices
  size_t clientHelloMax = 16 * 1024;           // limits.client_hello_max
  Millis peekTimeout{5000};                    // timeouts.peek

  // https-offload and https-bridge: TLS termination.
  std::vector<std::string> certificates;  // names from the top-level list; the first is default
  TlsSettings tlsSettings;
  std::shared_ptr<const TlsServerContext> tls;
  HstsConfig hsts;
  std::string hstsValue;  // the Strict-Transport-Security value, made once; empty when off

  // http, https-offload and https-bridge: the HTTP/1.1 proxy.
  RedirectHttpsConfig redirectHttps;  // http only
  ForwardedHeadersConfig forwarded;
  std::shared_ptr<const RuleSet> rules;  // layer-7 rules; null when the VIP has none
  RequestPolicy request;  // limits.max_header_bytes, max_headers, max_body; path_normalization
  Millis clientHeaderTimeout{10000};    // timeouts.client_header → 408
  Millis clientBodyTimeout{60000};      // timeouts.client_body: a body making no progress → 408
  Millis serverResponseTimeout{60000};  // timeouts.server_response → 504
  Millis keepAliveTimeout{60000};       // timeouts.keep_alive: idle between requests
  Http2Config http2;

  bool isHttp() const { return service == ServiceType::kHttp || terminatesTls(); }
  bool terminatesTls() const {
    return service == ServiceType::kHttpsOffload || service == ServiceType::kHttpsBridge;
  }
  // A terminating VIP that passes some names through: every connection's ClientHello is
  // peeked first to choose between the two.
  bool mixesModes() const { return terminatesTls() && !sniRoutes.empty(); }
};

struct GlobalConfig {
  unsigned workers = 0;  // 0: one per core
  Millis drainTimeout{30000};
  // Connections a reload leaves draining (their VIP or server removed) are closed, when still
  // open, between drain_timeout and drain_timeout + drain_spread, not all in one instant.
  Millis drainSpread{5000};
  std::string accessLog = "stdout";  // stdout | off | a file path
  uint64_t maxConnections = 100000;  // client connections open at once, across all workers
  int listenBacklog = 4096;
  // Capacity of each relay pipe. Larger pipes move more per splice() call (less CPU per MiB);
  // a pipe is held only while its direction has bytes in flight.
  uint64_t pipeSize = 1 << 20;
  // Signs sticky-session cookies, so that every node with the same secret honours them and a
  // client cannot make one up. Empty: a random key made at start (cookies then last as long as
  // the process, and only its own).
  std::string stickySecret;
  // The secret before it: cookies sealed with it are still honoured (and re-issued under the
  // current one), so a secret can be replaced without losing every shopper's server.
  std::string stickyPreviousSecret;
};

// One `admin.tokens` entry: who may use the admin API, and for what. Only the token's SHA-256
// is in the config (`sluice token` makes a token and its line).
struct AdminToken {
  std::string name;  // in the audit log
  enum class Role { kRead, kAdmin } role = Role::kRead;
  std::array<unsigned char, 32> sha256{};
};

// `admin:`: the admin listener (metrics, health and readiness, the API). Absent: off.
struct AdminConfig {
  bool enabled = false;
  SocketAddress listen = *SocketAddress::parse("127.0.0.1:9900");
  std::vector<AdminToken> tokens;
  // Host header values the listener answers besides its own address and localhost (against DNS
  // rebinding: a page elsewhere cannot make a browser talk to it under another name).
  std::vector<std::string> allowedHosts;
  std::string auditLog;   // JSON lines, one per write; resolved against the config's directory
  std::string stateFile;  // live operations (drained, disabled servers), kept across restarts
  // `tls: {certificate: NAME}`: the listener speaks HTTPS with this entry of `certificates:`
  // (a reload may renew it; turning TLS on or off takes a restart).
  std::string tlsCertificateName;
  std::shared_ptr<const Certificate> tls;
};

// `cluster:`: this node is one of several sharing their config through etcd (README, "Cluster
// mode"). The file then holds what is the node's own (cluster, admin, global); certificates,
// server groups and VIPs come from etcd. Absent: a single node whose file is its config.
struct ClusterConfig {
  bool enabled = false;
  std::string nodeId;  // cluster.node.id: default the host's name
  // cluster.node.listen_address: VIPs whose listen host is the wildcard (0.0.0.0 or [::])
  // listen on this address of the node instead; empty: on the wildcard.
  std::string listenAddress;
  std::string dataDir;  // the last good config and its certificates, kept for a restart
  std::vector<std::string> endpoints;         // etcd.endpoints: http(s)://host:port
  std::string prefix = "/sluice/v1/default";  // etcd.prefix: every key of this cluster
  Millis timeout{2000};                       // etcd.timeout: per request and endpoint
  std::string caFile, certFile, keyFile;      // etcd.tls
  std::string user, password;                 // etcd.auth (password or password_file)
  // cluster.session_ticket_rotation: how often the cluster's session-ticket key is replaced
  // (the previous one is still accepted for one more period).
  Millis sessionTicketRotation{12 * 3600 * 1000};
  // cluster.sticky_secret_rotation: the same for the sticky-cookie secret (cookies under the
  // previous one are sealed anew on their next response).
  Millis stickySecretRotation{24 * 3600 * 1000};
};

struct ConfigSnapshot {
  std::string sourcePath;
  GlobalConfig global;
  AdminConfig admin;
  ClusterConfig cluster;
  std::vector<CertificateConfig> certificates;
  std::vector<ServerGroupConfig> serverGroups;
  std::vector<VipConfig> vips;

  // The worker count in force: `workers`, or the number of cores when it is `auto`.
  unsigned workerCount() const;
};

}  // namespace sluice
