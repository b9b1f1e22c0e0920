// Incremental detokenized text with UTF-8 completion and stop-string matching.
// Feed token pieces (raw bytes, possibly partial UTF-8) in order; get back text that is safe to
// send: whole UTF-8 characters only, and never any text that is, or may become, part of a stop
// string. Not thread-safe: owned by one sequence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wharf::engine {

// Length of the longest prefix of `s` that ends on a UTF-8 character boundary, treating an
// incomplete trailing sequence (at most 3 bytes) as not yet complete. Invalid bytes count as
// complete single characters (they are replaced when serialized).
size_t utf8_complete_prefix(std::string_view s);

class TextStream {
 public:
  explicit TextStream(std::vector<std::string> stops = {});

  struct Out {
    std::string text;       // safe to emit now
    bool stopped = false;   // a stop string matched; `text` ends right before it
  };

  // Appends a token's bytes. After `stopped` was returned once, further pushes return nothing.
  Out push(std::string_view piece);
  // End of generation: releases held-back text (partial stop prefixes, incomplete UTF-8 bytes
  // are dropped? no: kept as-is and left for the serializer to replace).
  std::string flush();

  // Total bytes emitted so far.
  size_t emitted() const { return emitted_; }

 private:
  std::vector<std::string> stops_;
  size_t max_stop_ = 0;
  std::string buf_;  // bytes received but not emitted
  size_t emitted_ = 0;
  bool stopped_ = false;
};

}  // namespace wharf::engine
