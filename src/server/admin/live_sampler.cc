#include "server/admin/live_sampler.h"

#include <pthread.h>

#include "server/runtime.h"

namespace sluice {
namespace {

constexpr size_t kWindow = 10;  // seconds the rates are over

}  // namespace

LiveSampler::LiveSampler(const Runtime& runtime, EventBus& events)
    : runtime_(runtime), events_(events) {
  revision_ = runtime_.revision();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sluice-sampler");
    run();
  });
}

LiveSampler::~LiveSampler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LiveSampler::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    sampleOnce();
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

void LiveSampler::sampleOnce() {
  const auto now = std::chrono::steady_clock::now();
  const auto totals = runtime_.metrics().vipTotals();
  {
    std::lock_guard lock(mutex_);
    for (const auto& [vip, t] : totals) {
      uint64_t requests = 0;
      for (uint64_t count : t.requests)
        requests += count;
      auto& samples = vips_[vip];
      samples.push_back({now, requests, t.accepted});
      while (samples.size() > kWindow + 1)
        samples.pop_front();
    }
  }
  // What changed since the last look, as events.
  const auto snapshot = runtime_.snapshot();
  const auto states = runtime_.serverStates();
  const uint64_t revision = runtime_.revision();
  if (revision != revision_) {
    events_.publish("revision", {{"revision", revision}, {"vips", snapshot->vips.size()}});
    revision_ = revision;
  }
  const TimePoint clock = Clock::now();
  std::map<std::string, std::string> seen;
  for (size_t g = 0; g < snapshot->serverGroups.size(); ++g) {
    const ServerGroupConfig& group = snapshot->serverGroups[g];
    for (size_t s = 0; s < group.servers.size(); ++s) {
      const ServerHealth& health = states->of(g, s);
      const std::string key = group.name + "/" + group.servers[s].name;
      const std::string state =
          health.ejected(clock) ? "ejected" : ServerHealth::toString(health.state());
      seen[key] = state;
      const auto before = serverStates_.find(key);
      if (before != serverStates_.end() && before->second != state) {
        events_.publish("server", {{"group", group.name},
                                   {"server", group.servers[s].name},
                                   {"from", before->second},
                                   {"state", state}});
      }
    }
  }
  std::lock_guard lock(mutex_);  // stats() reads it; this thread alone writes it
  serverStates_ = std::move(seen);
}

nlohmann::json LiveSampler::stats() const {
  const auto totals = runtime_.metrics().vipTotals();
  const auto servers = runtime_.metrics().serverTotals();
  nlohmann::json vips = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (const auto& [vip, t] : totals) {
    double requestRate = 0, connectionRate = 0;
    if (const auto found = vips_.find(vip); found != vips_.end() && found->second.size() >= 2) {
      const Sample& first = found->second.front();
      const Sample& last = found->second.back();
      const double seconds = std::chrono::duration<double>(last.at - first.at).count();
      if (seconds > 0) {
        requestRate = static_cast<double>(last.requests - first.requests) / seconds;
        connectionRate = static_cast<double>(last.accepted - first.accepted) / seconds;
      }
    }
    nlohmann::json classes = nlohmann::json::object();
    for (size_t k = 0; k < kCodeClasses.size(); ++k)
      classes[kCodeClasses[k]] = t.requests[k];
    vips.push_back({{"name", vip},
                    {"connections", t.active},
                    {"accepted", t.accepted},
                    {"connections_per_s", connectionRate},
                    {"requests_per_s", requestRate},
                    {"requests", classes},
                    {"bytes_in", t.bytesIn},
                    {"bytes_out", t.bytesOut}});
  }
  nlohmann::json serverList = nlohmann::json::array();
  for (const auto& [key, t] : servers) {
    serverList.push_back({{"group", key.first},
                          {"server", key.second},
                          {"connections", t.connections},
                          {"connect_failures", t.connectFailures},
                          {"ejections", t.ejections},
                          {"state", serverStates_.count(key.first + "/" + key.second)
                                        ? serverStates_.at(key.first + "/" + key.second)
                                        : ""}});
  }
  return {{"window_s", kWindow}, {"vips", vips}, {"servers", serverList}};
}

}  // namespace sluice
