#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "metrics/connection_end.h"
#include "metrics/counter.h"
#include "metrics/prometheus_text.h"

namespace sluice {
namespace {

// Every `end` a session can write (the string literals the sources pass to finish(),
// respondError(), logRequest(), answerLocally() and closedAs(), and the peek's outcomes) has a
// class: none falls through to internal_error, which would hide a real ending in the metrics.
TEST(ConnectionEnd, EveryEndTheSourcesWriteHasAResultClass) {
  const std::regex call(
      R"re((?:finish|respondError|logRequest|answerLocally|closedAs|abort|logHandshakeFailure)\([^;]*?"([a-z_]+)")re");
  std::set<std::string> ends = {"not_tls", "malformed_client_hello", "client_hello_too_large"};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(SLUICE_SOURCE_DIR)) {
    if (entry.path().extension() != ".cc") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string source = text.str();
    for (std::sregex_iterator it(source.begin(), source.end(), call), end; it != end; ++it)
      ends.insert((*it)[1]);
  }
  ASSERT_GT(ends.size(), 20u) << "the scan found the sessions' endings";
  for (const std::string& end : ends) {
    if (end == "internal_error") continue;
    EXPECT_NE(closeResultOf(end), CloseResult::kInternal) << end;
  }
  EXPECT_EQ(closeResultOf("keep_alive_timeout"), CloseResult::kOk);
  EXPECT_EQ(closeResultOf("server_response_timeout"), CloseResult::kServerTimeout);
  EXPECT_EQ(closeResultOf("drained"), CloseResult::kDrained);
  EXPECT_EQ(closeResultOf("no such end"), CloseResult::kInternal);
}

TEST(PrometheusText, EscapesLabelValuesAndWritesCumulativeHistograms) {
  PrometheusText out;
  out.family("x_total", "counter", "X");
  out.sample("x_total", {{"vip", "a\"b\\c\nd"}}, uint64_t{7});
  DurationHistogram histogram;
  histogram.observeMicros(300);       // 0.0005
  histogram.observeMicros(1000);      // 0.001 (a bound is inclusive)
  histogram.observeMicros(20000000);  // past 10 s: +Inf only
  uint64_t buckets[DurationHistogram::kBuckets];
  for (size_t i = 0; i < DurationHistogram::kBuckets; ++i)
    buckets[i] = histogram.bucket(i);
  out.histogram("d_seconds", {{"vip", "v"}}, buckets, kDurationBuckets.data(),
                kDurationBuckets.size(), static_cast<double>(histogram.sumMicros()) / 1e6);
  const std::string& text = out.text();
  EXPECT_NE(text.find("x_total{vip=\"a\\\"b\\\\c\\nd\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{vip=\"v\",le=\"0.0005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_bucket{vip=\"v\",le=\"0.001\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{vip=\"v\",le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{vip=\"v\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_count{vip=\"v\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_sum{vip=\"v\"} 20.0013\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace sluice
