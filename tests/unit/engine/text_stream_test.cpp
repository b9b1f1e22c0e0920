#include <gtest/gtest.h>

#include "engine/text_stream.h"

using wharf::engine::TextStream;
using wharf::engine::utf8_complete_prefix;

TEST(Utf8, CompletePrefixHoldsPartialCharacters) {
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  std::string euro = "\xE2\x82\xAC";  // €
  EXPECT_EQ(utf8_complete_prefix(euro), 3u);
  EXPECT_EQ(utf8_complete_prefix(euro.substr(0, 2)), 0u);
  EXPECT_EQ(utf8_complete_prefix("a" + euro.substr(0, 1)), 1u);
  std::string emoji = "\xF0\x9F\x98\x80";
  EXPECT_EQ(utf8_complete_prefix("x" + emoji.substr(0, 3)), 1u);
  EXPECT_EQ(utf8_complete_prefix("x" + emoji), 5u);
}

TEST(TextStream, MultiByteCharacterSplitAcrossTokensIsEmittedWhole) {
  TextStream ts;
  std::string emoji = "\xF0\x9F\x98\x80";
  EXPECT_EQ(ts.push("hi ").text, "hi ");
  EXPECT_EQ(ts.push(emoji.substr(0, 1)).text, "");
  EXPECT_EQ(ts.push(emoji.substr(1, 2)).text, "");
  EXPECT_EQ(ts.push(emoji.substr(3)).text, emoji);
  EXPECT_EQ(ts.emitted(), 3u + 4u);
}

TEST(TextStream, StopStringAcrossTokensIsNeverEmitted) {
  TextStream ts({"END"});
  std::string all;
  for (const char* p : {"abc E", "N", "D tail"}) {
    auto o = ts.push(p);
    all += o.text;
    if (o.stopped) break;
  }
  EXPECT_EQ(all, "abc ");
  EXPECT_TRUE(ts.push("more").text.empty());
  EXPECT_EQ(ts.flush(), "");
}

TEST(TextStream, PartialStopPrefixIsReleasedWhenItDiverges) {
  TextStream ts({"END"});
  auto a = ts.push("xE");
  EXPECT_EQ(a.text, "x");
  EXPECT_FALSE(a.stopped);
  auto b = ts.push("Nx");
  EXPECT_EQ(b.text, "ENx");
  auto c = ts.push("EN");
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(ts.flush(), "EN");
}

TEST(TextStream, EarliestOfSeveralStopsWins) {
  TextStream ts({"world", "lo w"});
  auto o = ts.push("hello world");
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.text, "hel");
}

TEST(TextStream, StopInsideOneTokenKeepsTextBefore) {
  TextStream ts({"\n\n"});
  auto o = ts.push("line one\n\nline two");
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.text, "line one");
}
