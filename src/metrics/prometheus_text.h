#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sluice {

// Writes the Prometheus text exposition format (version 0.0.4): each family's # HELP and # TYPE
// once, then its samples, label values escaped. The caller writes a family's samples together.
class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, Labels labels, uint64_t value);
  void sample(std::string_view name, Labels labels, double value);
  // One histogram's series from per-bucket (not cumulative) counts: _bucket for each bound and
  // +Inf, _sum (seconds) and _count.
  void histogram(std::string_view name, Labels labels, const uint64_t* buckets,
                 const double* bounds, size_t boundCount, double sumSeconds);

  const std::string& text() const { return out_; }

 private:
  void labels(Labels labels, std::string_view le = {});
  std::string out_;
};

}  // namespace sluice
