#include "engine/prefix_tree.h"

#include <algorithm>

namespace wharf::engine {

PrefixTree::PrefixTree() : root_(std::make_unique<Node>()) {}
PrefixTree::~PrefixTree() = default;

void PrefixTree::add_owner(Node* n, int owner) {
  if (std::find(n->owners.begin(), n->owners.end(), owner) == n->owners.end())
    n->owners.push_back(owner);
}

void PrefixTree::remove_owner(Node* n, int owner) {
  auto it = std::find(n->owners.begin(), n->owners.end(), owner);
  if (it != n->owners.end()) n->owners.erase(it);
}

const std::vector<Token>* PrefixTree::path(int owner) const {
  auto it = paths_.find(owner);
  return it == paths_.end() ? nullptr : &it->second;
}

void PrefixTree::insert(int owner, std::span<const Token> tokens) {
  erase(owner);
  paths_[owner].assign(tokens.begin(), tokens.end());
  Node* n = root_.get();
  size_t i = 0;
  while (i < tokens.size()) {
    auto it = n->children.find(tokens[i]);
    if (it == n->children.end()) {
      auto child = std::make_unique<Node>();
      child->label.assign(tokens.begin() + i, tokens.end());
      child->owners.push_back(owner);
      unique_ += child->label.size();
      n->children.emplace(tokens[i], std::move(child));
      return;
    }
    Node* c = it->second.get();
    size_t k = 0;
    while (k < c->label.size() && i + k < tokens.size() && c->label[k] == tokens[i + k]) ++k;
    if (k < c->label.size()) {
      // Split c at k: a new middle node holds label[0,k); c keeps the rest.
      auto mid = std::make_unique<Node>();
      mid->label.assign(c->label.begin(), c->label.begin() + k);
      mid->owners = c->owners;
      std::unique_ptr<Node> old = std::move(it->second);
      old->label.erase(old->label.begin(), old->label.begin() + k);
      Token key = old->label.front();
      mid->children.emplace(key, std::move(old));
      it->second = std::move(mid);
      c = it->second.get();
    }
    add_owner(c, owner);
    n = c;
    i += k;
  }
}

void PrefixTree::erase(int owner) {
  auto pit = paths_.find(owner);
  if (pit == paths_.end()) return;
  const std::vector<Token> toks = std::move(pit->second);
  paths_.erase(pit);
  Node* n = root_.get();
  size_t i = 0;
  while (i < toks.size()) {
    auto it = n->children.find(toks[i]);
    if (it == n->children.end()) return;
    Node* c = it->second.get();
    remove_owner(c, owner);
    if (c->owners.empty()) {
      // Owners of descendants are a subset of c's owners: the whole subtree is unowned now.
      std::vector<Node*> stack{c};
      while (!stack.empty()) {
        Node* x = stack.back();
        stack.pop_back();
        unique_ -= x->label.size();
        for (auto& [_, ch] : x->children) stack.push_back(ch.get());
      }
      n->children.erase(it);
      return;
    }
    i += c->label.size();
    n = c;
  }
}

PrefixTree::Match PrefixTree::longest(std::span<const Token> tokens) const {
  Match m;
  const Node* n = root_.get();
  size_t i = 0;
  while (i < tokens.size()) {
    auto it = n->children.find(tokens[i]);
    if (it == n->children.end()) break;
    const Node* c = it->second.get();
    size_t k = 0;
    while (k < c->label.size() && i + k < tokens.size() && c->label[k] == tokens[i + k]) ++k;
    if (k == 0 || c->owners.empty()) break;
    m.owner = c->owners.back();
    m.len = i + k;
    if (k < c->label.size()) break;
    i += k;
    n = c;
  }
  return m;
}

}  // namespace wharf::engine
