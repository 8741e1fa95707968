#include "metrics/prometheus_text.h"

#include <cstdio>

namespace sluice {
namespace {

std::string formatDouble(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", value);
  return text;
}

}  // namespace

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusText::labels(Labels labels, std::string_view le) {
  if (labels.size() == 0 && le.empty()) return;
  out_.push_back('{');
  bool first = true;
  auto one = [&](std::string_view key, std::string_view value) {
    if (!first) out_.push_back(',');
    first = false;
    out_.append(key).append("=\"");
    for (const char c : value) {
      if (c == '\\' || c == '"') {
        out_.push_back('\\');
        out_.push_back(c);
      } else if (c == '\n') {
        out_.append("\\n");
      } else {
        out_.push_back(c);
      }
    }
    out_.push_back('"');
  };
  for (const auto& [key, value] : labels)
    one(key, value);
  if (!le.empty()) one("le", le);
  out_.push_back('}');
}

void PrometheusText::sample(std::string_view name, Labels labelSet, uint64_t value) {
  out_.append(name);
  labels(labelSet);
  out_.push_back(' ');
  out_.append(std::to_string(value)).push_back('\n');
}

void PrometheusText::sample(std::string_view name, Labels labelSet, double value) {
  out_.append(name);
  labels(labelSet);
  out_.push_back(' ');
  out_.append(formatDouble(value)).push_back('\n');
}

void PrometheusText::histogram(std::string_view name, Labels labelSet, const uint64_t* buckets,
                               const double* bounds, size_t boundCount, double sumSeconds) {
  uint64_t cumulative = 0;
  const std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i <= boundCount; ++i) {
    cumulative += buckets[i];
    out_.append(bucket);
    labels(labelSet, i < boundCount ? formatDouble(bounds[i]) : "+Inf");
    out_.push_back(' ');
    out_.append(std::to_string(cumulative)).push_back('\n');
  }
  sample(std::string(name) + "_sum", labelSet, sumSeconds);
  sample(std::string(name) + "_count", labelSet, cumulative);
}

}  // namespace sluice
