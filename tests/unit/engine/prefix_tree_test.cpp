#include <gtest/gtest.h>

#include <vector>

#include "engine/prefix_tree.h"

using wharf::engine::PrefixTree;
using Toks = std::vector<int32_t>;

TEST(PrefixTree, LongestMatchAcrossOwners) {
  PrefixTree t;
  t.insert(1, Toks{1, 2, 3, 4, 5});
  t.insert(2, Toks{1, 2, 3, 9});
  EXPECT_EQ(t.unique_tokens(), 6u);  // 1 2 3 shared, then 4 5 and 9

  auto m = t.longest(Toks{1, 2, 3, 4, 7});
  EXPECT_EQ(m.owner, 1);
  EXPECT_EQ(m.len, 4u);
  m = t.longest(Toks{1, 2, 3, 9, 9});
  EXPECT_EQ(m.owner, 2);
  EXPECT_EQ(m.len, 4u);
  m = t.longest(Toks{1, 2});
  EXPECT_EQ(m.len, 2u);
  EXPECT_TRUE(m.owner == 1 || m.owner == 2);
  m = t.longest(Toks{7});
  EXPECT_EQ(m.owner, -1);
  EXPECT_EQ(m.len, 0u);
}

TEST(PrefixTree, EraseFreesOnlyUnsharedTokens) {
  PrefixTree t;
  t.insert(1, Toks{1, 2, 3, 4, 5});
  t.insert(2, Toks{1, 2, 3, 9});
  t.erase(1);
  EXPECT_EQ(t.unique_tokens(), 4u);
  auto m = t.longest(Toks{1, 2, 3, 4, 5});
  EXPECT_EQ(m.owner, 2);
  EXPECT_EQ(m.len, 3u);
  t.erase(2);
  EXPECT_EQ(t.unique_tokens(), 0u);
  EXPECT_EQ(t.longest(Toks{1}).owner, -1);
}

TEST(PrefixTree, ReinsertReplacesPath) {
  PrefixTree t;
  t.insert(3, Toks{5, 6});
  t.insert(3, Toks{5, 6, 7, 8});
  EXPECT_EQ(t.unique_tokens(), 4u);
  EXPECT_EQ(t.path(3)->size(), 4u);
  EXPECT_EQ(t.owners(), 1u);
}

TEST(PrefixTree, PrefixOwnerAndExtensionShareNodes) {
  PrefixTree t;
  t.insert(1, Toks{1, 2});
  t.insert(2, Toks{1, 2, 3});
  EXPECT_EQ(t.unique_tokens(), 3u);
  t.erase(2);
  EXPECT_EQ(t.unique_tokens(), 2u);
  auto m = t.longest(Toks{1, 2, 3});
  EXPECT_EQ(m.owner, 1);
  EXPECT_EQ(m.len, 2u);
}
