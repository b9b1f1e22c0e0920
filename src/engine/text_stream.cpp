#include "engine/text_stream.h"

#include <algorithm>

namespace wharf::engine {

size_t utf8_complete_prefix(std::string_view s) {
  // Look back at most 3 bytes for the lead byte of a trailing multi-byte sequence.
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

TextStream::TextStream(std::vector<std::string> stops) : stops_(std::move(stops)) {
  stops_.erase(std::remove_if(stops_.begin(), stops_.end(), [](auto& s) { return s.empty(); }),
               stops_.end());
  for (auto& s : stops_) max_stop_ = std::max(max_stop_, s.size());
}

TextStream::Out TextStream::push(std::string_view piece) {
  Out out;
  if (stopped_) return out;
  buf_.append(piece);

  // Earliest full stop-string match wins.
  size_t stop_at = std::string::npos;
  for (const auto& s : stops_) {
    size_t p = buf_.find(s);
    if (p != std::string::npos) stop_at = std::min(stop_at, p);
  }
  if (stop_at != std::string::npos) {
    stopped_ = true;
    out.stopped = true;
    out.text = buf_.substr(0, stop_at);
    emitted_ += out.text.size();
    buf_.clear();
    return out;
  }

  // Hold back the longest suffix that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const auto& s : stops_) {
    size_t maxk = std::min(s.size() - 1, buf_.size());
    for (size_t k = maxk; k > hold; --k) {
      if (buf_.compare(buf_.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
    }
  }
  size_t safe = utf8_complete_prefix(std::string_view(buf_).substr(0, buf_.size() - hold));
  out.text = buf_.substr(0, safe);
  buf_.erase(0, safe);
  emitted_ += out.text.size();
  return out;
}

std::string TextStream::flush() {
  if (stopped_) return {};
  std::string rest;
  rest.swap(buf_);
  emitted_ += rest.size();
  return rest;
}

}  // namespace wharf::engine
