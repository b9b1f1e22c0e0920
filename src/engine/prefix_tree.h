// Radix tree over token ids: which KV sequences ("owners", llama seq ids) hold which token
// prefixes. Used by the scheduler to find the longest cached prefix of a new prompt and to
// account for KV cells shared between sequences. Not thread-safe: scheduler thread only.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/types.h"

namespace wharf::engine {

class PrefixTree {
 public:
  PrefixTree();
  ~PrefixTree();

  // Records that `owner` holds KV for exactly `tokens` at positions 0..n-1. Replaces any path the
  // owner had before.
  void insert(int owner, std::span<const Token> tokens);
  // Forgets the owner; no-op if absent.
  void erase(int owner);
  bool contains(int owner) const { return paths_.count(owner) != 0; }
  const std::vector<Token>* path(int owner) const;

  struct Match {
    int owner = -1;   // -1: nothing matched
    size_t len = 0;   // number of leading tokens shared with that owner
  };
  // Longest prefix of `tokens` held by any owner.
  Match longest(std::span<const Token> tokens) const;

  // Distinct tokens stored (sum of edge lengths): the KV cells the owners occupy when shared
  // prefixes share cells.
  size_t unique_tokens() const { return unique_; }
  size_t owners() const { return paths_.size(); }

 private:
  struct Node {
    std::vector<Token> label;
    std::map<Token, std::unique_ptr<Node>> children;
    std::vector<int> owners;  // owners whose path covers this whole node
  };
  static void add_owner(Node* n, int owner);
  static void remove_owner(Node* n, int owner);

  std::unique_ptr<Node> root_;
  std::unordered_map<int, std::vector<Token>> paths_;
  size_t unique_ = 0;
};

}  // namespace wharf::engine
