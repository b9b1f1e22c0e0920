// Internal helpers: UTF-8 validation, integer reading, body parsing.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "api/json_fields.h"

namespace wharf::api::detail {
namespace {

TEST(Utf8, Valid) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("\xc2\x80"));              // U+0080
  EXPECT_TRUE(valid_utf8("\xdf\xbf"));              // U+07FF
  EXPECT_TRUE(valid_utf8("\xe0\xa0\x80"));          // U+0800
  EXPECT_TRUE(valid_utf8("\xed\x9f\xbf"));          // U+D7FF
  EXPECT_TRUE(valid_utf8("\xee\x80\x80"));          // U+E000
  EXPECT_TRUE(valid_utf8("\xef\xbf\xbf"));          // U+FFFF
  EXPECT_TRUE(valid_utf8("\xf0\x90\x80\x80"));      // U+10000
  EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
  EXPECT_TRUE(valid_utf8(std::string("a\0b", 3)));
}

TEST(Utf8, Invalid) {
  for (const char* s : {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xc2\x41", "\xe0\x80\x80",
                        "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x80\x80\x80",
                        "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xfe",
                        "\xe6\x97", "ok\xf0\x9f\x98"}) {
    EXPECT_FALSE(valid_utf8(s)) << testing::PrintToString(std::string(s));
  }
}

TEST(AsInt64, Forms) {
  int64_t v = 0;
  EXPECT_TRUE(as_int64(json(5), v));
  EXPECT_EQ(v, 5);
  EXPECT_TRUE(as_int64(json(-5), v));
  EXPECT_EQ(v, -5);
  EXPECT_TRUE(as_int64(json(5.0), v));
  EXPECT_EQ(v, 5);
  EXPECT_TRUE(as_int64(json(-0.0), v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(as_int64(json(INT64_MAX), v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_FALSE(as_int64(json(5.5), v));
  EXPECT_FALSE(as_int64(json(UINT64_MAX), v));
  EXPECT_FALSE(as_int64(json(1e19), v));
  EXPECT_FALSE(as_int64(json(true), v));
  EXPECT_FALSE(as_int64(json("5"), v));
  EXPECT_FALSE(as_int64(json(nullptr), v));
}

TEST(ParseBody, Errors) {
  EXPECT_TRUE(parse_body("{}").has_value());
  EXPECT_TRUE(parse_body(" {\"a\": [1, {\"b\": \"]]]]\"}]} ").has_value());
  EXPECT_FALSE(parse_body("").has_value());
  EXPECT_FALSE(parse_body("[]").has_value());
  EXPECT_FALSE(parse_body("{} {}").has_value());
  EXPECT_FALSE(parse_body("{\"a\":1 /* c */}").has_value());
  EXPECT_FALSE(parse_body("{\"a\":NaN}").has_value());
  EXPECT_FALSE(parse_body("{\"a\":Infinity}").has_value());
  EXPECT_NO_THROW((void)parse_body("{\"a\":1e999}"));
  std::string deep = "{\"a\":" + std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']') + "}";
  EXPECT_FALSE(parse_body(deep).has_value());
  std::string okdeep = "{\"a\":" + std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_TRUE(parse_body(okdeep).has_value());
  auto r = parse_body("{\"a\":}");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::invalid_request);
  EXPECT_EQ(r.error().message.find("[json.exception"), std::string::npos) << r.error().message;
}

TEST(Fields, NumberRejectsNonFinite) {
  // JSON cannot spell NaN/Infinity (and 1e999 is a parse error), but values built in code can.
  EXPECT_FALSE(parse_body("{\"t\":1e999}").has_value());
  for (double bad : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    json j = {{"t", bad}};
    Fields f(j);
    EXPECT_FALSE(f.number("t", -HUGE_VAL, HUGE_VAL).has_value());
    EXPECT_FALSE(f.ok());
    EXPECT_EQ(f.error().param, "t");
  }
}

TEST(Fields, FirstErrorWinsAndPrefix) {
  json j = {{"a", "x"}, {"b", 1}, {"c", nullptr}};
  Fields f(j, "outer.");
  EXPECT_FALSE(f.get("c"));
  EXPECT_FALSE(f.get("missing"));
  EXPECT_FALSE(f.integer("a", 0, 10).has_value());
  EXPECT_FALSE(f.boolean("b").has_value());
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().param, "outer.a");
  EXPECT_EQ(f.error().message, "'outer.a' must be an integer");
}

}  // namespace
}  // namespace wharf::api::detail
