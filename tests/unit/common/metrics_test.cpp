#include <gtest/gtest.h>

#include "common/error.h"
#include "common/metrics.h"

using namespace wharf;

TEST(Metrics, RendersCountersGaugesAndCumulativeHistograms) {
  metrics::Registry r;
  r.counter("wharf:x_total", "X.", {{"model", "m"}}).inc(3);
  r.gauge("wharf:g", "G.", {{"model", "m"}}).set(0.5);
  auto& h = r.histogram("wharf:h_seconds", "H.", {0.1, 1.0}, {{"model", "m"}});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  std::string t = r.render();
  EXPECT_NE(t.find("# TYPE wharf:x_total counter\nwharf:x_total{model=\"m\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("wharf:g{model=\"m\"} 0.5\n"), std::string::npos);
  EXPECT_NE(t.find("wharf:h_seconds_bucket{model=\"m\",le=\"0.1\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("wharf:h_seconds_bucket{model=\"m\",le=\"1\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("wharf:h_seconds_bucket{model=\"m\",le=\"+Inf\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("wharf:h_seconds_count{model=\"m\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("wharf:h_seconds_sum{model=\"m\"} 5.55"), std::string::npos);
}

TEST(Metrics, SameNameAndLabelsIsTheSameSeries) {
  metrics::Registry r;
  auto& a = r.counter("c_total", "C.", {{"k", "v"}});
  auto& b = r.counter("c_total", "C.", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
  auto& c = r.counter("c_total", "C.", {{"k", "w"}});
  EXPECT_NE(&a, &c);
  EXPECT_EQ(metrics::escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(Errors, MapToStatusAndOpenAiShape) {
  EXPECT_EQ(http_status(Errc::invalid_request), 400);
  EXPECT_EQ(http_status(Errc::unauthorized), 401);
  EXPECT_EQ(http_status(Errc::model_not_found), 404);
  EXPECT_EQ(http_status(Errc::unavailable), 503);
  std::string j = error_json(Error{Errc::context_length, "too long", "messages"});
  EXPECT_EQ(j, R"({"error":{"code":"context_length_exceeded","message":"too long","param":"messages","type":"invalid_request_error"}})");
  std::string bad = error_json(Error::invalid(std::string("bad \xff byte")));
  EXPECT_NE(bad.find("\"param\":null"), std::string::npos);
}
