#include "config/config.h"

#include <thread>

namespace sluice {

const char* toString(ServiceType service) {
  switch (service) {
    case ServiceType::kTcp:
      return "tcp";
    case ServiceType::kHttp:
      return "http";
    case ServiceType::kHttpsPassthrough:
      return "https-passthrough";
    case ServiceType::kHttpsOffload:
      return "https-offload";
    case ServiceType::kHttpsBridge:
      return "https-bridge";
  }
  return "?";
}

const char* toString(BalanceAlgorithm balance) {
  switch (balance) {
    case BalanceAlgorithm::kRoundRobin:
      return "round_robin";
    case BalanceAlgorithm::kLeastConn:
      return "least_conn";
    case BalanceAlgorithm::kSourceHash:
      return "source_hash";
    case BalanceAlgorithm::kRandomTwo:
      return "random_two";
    case BalanceAlgorithm::kUriHash:
      return "uri_hash";
    case BalanceAlgorithm::kHeaderHash:
      return "header_hash";
  }
  return "?";
}

const char* toString(BackendProtocol protocol) {
  switch (protocol) {
    case BackendProtocol::kTcp:
      return "tcp";
    case BackendProtocol::kHttp:
      return "http";
    case BackendProtocol::kHttps:
      return "https";
  }
  return "?";
}

const char* toString(ProxyProtocol protocol) {
  switch (protocol) {
    case ProxyProtocol::kOff:
      return "off";
    case ProxyProtocol::kV1:
      return "v1";
    case ProxyProtocol::kV2:
      return "v2";
  }
  return "?";
}

unsigned ConfigSnapshot::workerCount() const {
  if (global.workers != 0) return global.workers;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

}  // namespace sluice
