#include "common/error.h"

#include <nlohmann/json.hpp>

namespace wharf {

int http_status(Errc code) {
  switch (code) {
    case Errc::invalid_request: return 400;
    case Errc::context_length: return 400;
    case Errc::unauthorized: return 401;
    case Errc::forbidden: return 403;
    case Errc::model_not_found: return 404;
    case Errc::not_found: return 404;
    case Errc::method_not_allowed: return 405;
    case Errc::payload_too_large: return 413;
    case Errc::unsupported_media: return 415;
    case Errc::rate_limited: return 429;
    case Errc::internal: return 500;
    case Errc::bad_gateway: return 502;
    case Errc::unavailable: return 503;
    case Errc::timeout: return 504;
  }
  return 500;
}

const char* error_type(Errc code) {
  switch (code) {
    case Errc::unauthorized: return "authentication_error";
    case Errc::forbidden: return "permission_error";
    case Errc::not_found: return "not_found_error";
    case Errc::rate_limited: return "rate_limit_error";
    case Errc::internal:
    case Errc::bad_gateway:
    case Errc::timeout: return "server_error";
    case Errc::unavailable: return "service_unavailable_error";
    default: return "invalid_request_error";
  }
}

const char* error_code_string(Errc code) {
  switch (code) {
    case Errc::context_length: return "context_length_exceeded";
    case Errc::unauthorized: return "invalid_api_key";
    case Errc::model_not_found: return "model_not_found";
    case Errc::payload_too_large: return "payload_too_large";
    case Errc::rate_limited: return "rate_limit_exceeded";
    case Errc::unavailable: return "service_unavailable";
    default: return "";
  }
}

std::string error_json(const Error& e) {
  nlohmann::json err = {{"message", e.message}, {"type", error_type(e.code)}};
  err["param"] = e.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.param);
  const char* c = error_code_string(e.code);
  err["code"] = *c ? nlohmann::json(c) : nlohmann::json(nullptr);
  // Messages may quote user input that is not valid UTF-8: replace rather than throw.
  return nlohmann::json{{"error", err}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace wharf
