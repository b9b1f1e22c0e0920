// Internal helpers for the protocol adapters: safe JSON body parsing and typed, validated field
// access. Not part of the public api interface. Thread-safe: pure functions and local state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace wharf::api::detail {

using json = nlohmann::json;

// Deepest array/object nesting accepted in a request body (bounds recursion in nlohmann's
// copy/dump and in our own walkers).
inline constexpr int kMaxJsonDepth = 128;

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool valid_utf8(std::string_view s);

// Parses a request body: valid UTF-8, nesting depth <= kMaxJsonDepth, valid JSON, an object.
// Never throws; errors are invalid_request.
Result<json> parse_body(const std::string& body);

// Serializes without ever throwing on invalid UTF-8 (replaced with U+FFFD).
std::string dump(const json& j);

// Reads an integer value: JSON integers, or floats with an integral value (5.0). Booleans and
// strings are not numbers. False when not an integer or outside int64.
bool as_int64(const json& v, int64_t& out);

// Reads fields of one JSON object, remembering the first error. Absent and null fields read as
// "not given" (std::nullopt / nullptr). After an error every read returns "not given".
class Fields {
 public:
  Fields(const json& obj, std::string prefix = {}) : obj_(obj), prefix_(std::move(prefix)) {}

  bool ok() const { return !err_.has_value(); }
  const Error& error() const { return *err_; }
  void fail(Error e) {
    if (!err_) err_ = std::move(e);
  }
  // Fails with invalid_request naming prefix+key.
  void fail(const std::string& key, const std::string& msg);
  std::string name(const std::string& key) const { return prefix_ + key; }

  // The raw value, or nullptr when absent or null.
  const json* get(const char* key) const;

  std::optional<bool> boolean(const char* key);
  std::optional<std::string> string(const char* key);
  std::optional<int64_t> integer(const char* key, int64_t lo, int64_t hi);
  // lo/hi inclusive unless the *_open flag is set. Rejects non-finite values.
  std::optional<double> number(const char* key, double lo, double hi, bool lo_open = false,
                               bool hi_open = false);
  const json* object(const char* key);
  const json* array(const char* key);

 private:
  const json& obj_;
  std::string prefix_;
  std::optional<Error> err_;
};

// "must be a <what>" message for a field of the wrong type.
std::string type_message(const std::string& name, const char* what);
std::string fmt_num(double v);

}  // namespace wharf::api::detail
