// Error model shared by every layer: one enum, mapped to an HTTP status and the OpenAI error
// JSON in exactly one place (error.cpp). Thread-safe: pure functions and value types.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace wharf {

enum class Errc {
  invalid_request,     // 400 invalid_request_error: malformed JSON, wrong types, bad values
  context_length,      // 400 invalid_request_error, code context_length_exceeded
  unauthorized,        // 401 authentication_error, code invalid_api_key
  forbidden,           // 403 permission_error
  model_not_found,     // 404 invalid_request_error, code model_not_found
  not_found,           // 404 not_found_error (unknown route)
  method_not_allowed,  // 405
  payload_too_large,   // 413
  unsupported_media,   // 415 (not JSON)
  rate_limited,        // 429 rate_limit_error
  internal,            // 500 server_error
  bad_gateway,         // 502 upstream failure
  unavailable,         // 503 overloaded / loading / draining; carries Retry-After
  timeout,             // 504
};

struct Error {
  Errc code = Errc::internal;
  std::string message;
  std::string param;  // offending request field, "" when none
  int retry_after_s = 0;  // for unavailable / rate_limited; 0 = no header

  static Error invalid(std::string msg, std::string param = {}) {
    return {Errc::invalid_request, std::move(msg), std::move(param)};
  }
};

int http_status(Errc code);
const char* error_type(Errc code);        // OpenAI "type" field
const char* error_code_string(Errc code);  // OpenAI "code" field ("" -> null)
// {"error":{"message","type","param","code"}} serialized compactly.
std::string error_json(const Error& e);

// Minimal std::expected-style result (GCC 12 has no <expected> in C++20 mode).
template <class T>
class Result {
 public:
  Result(T v) : v_(std::move(v)) {}                // NOLINT(implicit)
  Result(Error e) : v_(std::move(e)) {}            // NOLINT(implicit)
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace wharf
