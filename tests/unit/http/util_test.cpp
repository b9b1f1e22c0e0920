#include <gtest/gtest.h>

#include "http/server.h"
#include "http/util.h"

namespace wharf::http {
namespace {

TEST(HttpUtil, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(percent_decode("%"), "%");
  EXPECT_EQ(percent_decode("%e2%82%ac"), "\xe2\x82\xac");
}

TEST(HttpUtil, ParseQuery) {
  auto q = parse_query("a=1&b=hello%20world&c=x+y&flag&&=skip&a=2");
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q["a"], "1");
  EXPECT_EQ(q["b"], "hello world");
  EXPECT_EQ(q["c"], "x y");
  EXPECT_EQ(q["flag"], "");
  EXPECT_TRUE(parse_query("").empty());
}

TEST(HttpUtil, Lower) {
  EXPECT_EQ(to_lower("Content-Type"), "content-type");
  EXPECT_TRUE(iequals("Keep-Alive", "keep-alive"));
  EXPECT_FALSE(iequals("a", "ab"));
}

TEST(HttpUtil, ErrorBodyShape) {
  EXPECT_EQ(error_body(404, "nope"),
            R"({"error":{"code":null,"message":"nope","param":null,"type":"not_found_error"}})");
  EXPECT_EQ(error_body(413, "big"),
            R"({"error":{"code":"payload_too_large","message":"big","param":null,"type":"invalid_request_error"}})");
  EXPECT_EQ(error_body(431, "hdr"),
            R"({"error":{"code":null,"message":"hdr","param":null,"type":"invalid_request_error"}})");
  EXPECT_EQ(error_body(599, "x"),
            R"({"error":{"code":null,"message":"x","param":null,"type":"server_error"}})");
  // Invalid UTF-8 in a message never throws.
  EXPECT_NO_THROW(error_body(400, "\xff\xfe"));
}

TEST(HttpUtil, DisconnectRunsCallbacksOnce) {
  Disconnect d;
  int n = 0;
  d.on_fire([&] { ++n; });
  EXPECT_FALSE(d.fired());
  d.fire();
  d.fire();
  EXPECT_TRUE(d.fired());
  EXPECT_EQ(n, 1);
  d.on_fire([&] { n += 10; });  // already fired: runs at once
  EXPECT_EQ(n, 11);
}

}  // namespace
}  // namespace wharf::http
