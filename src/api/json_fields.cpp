#include "api/json_fields.h"

#include <cmath>
#include <cstdio>
#include <exception>

namespace wharf::api::detail {

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;  // continuation byte, overlong lead (C0/C1) or > F4
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = p[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    i += len;
  }
  return true;
}

namespace {

// Deepest nesting of arrays/objects outside strings; stops counting past the limit.
bool depth_ok(const std::string& body) {
  int depth = 0;
  bool in_str = false, esc = false;
  for (char c : body) {
    if (in_str) {
      if (esc) {
        esc = false;
      } else if (c == '\\') {
        esc = true;
      } else if (c == '"') {
        in_str = false;
      }
      continue;
    }
    if (c == '"') {
      in_str = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

Result<json> parse_body(const std::string& body) {
  if (!valid_utf8(body)) return Error::invalid("Request body is not valid UTF-8");
  if (!depth_ok(body)) {
    return Error::invalid("Request body is nested too deeply (more than " +
                          std::to_string(kMaxJsonDepth) + " levels)");
  }
  try {
    json j = json::parse(body);
    if (!j.is_object()) return Error::invalid("Request body must be a JSON object");
    return j;
  } catch (const json::exception& e) {
    std::string what = e.what();
    // Strip nlohmann's "[json.exception.parse_error.101] " prefix.
    if (auto pos = what.find("] "); what.rfind("[json.exception", 0) == 0 && pos != std::string::npos)
      what.erase(0, pos + 2);
    return Error::invalid("Invalid JSON body: " + what);
  } catch (const std::exception& e) {
    return Error::invalid(std::string("Invalid JSON body: ") + e.what());
  } catch (...) {
    return Error::invalid("Invalid JSON body");
  }
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool as_int64(const json& v, int64_t& out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return false;
    out = static_cast<int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    out = v.get<int64_t>();
    return true;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    // [-2^63, 2^63): both bounds exactly representable as doubles.
    if (!std::isfinite(d) || std::trunc(d) != d || d < -9223372036854775808.0 ||
        d >= 9223372036854775808.0)
      return false;
    out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

std::string fmt_num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string type_message(const std::string& name, const char* what) {
  return "'" + name + "' must be " + what;
}

void Fields::fail(const std::string& key, const std::string& msg) {
  fail(Error::invalid(msg, name(key)));
}

const json* Fields::get(const char* key) const {
  auto it = obj_.find(key);
  if (it == obj_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<bool> Fields::boolean(const char* key) {
  if (!ok()) return std::nullopt;
  const json* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    fail(key, type_message(name(key), "a boolean"));
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::string> Fields::string(const char* key) {
  if (!ok()) return std::nullopt;
  const json* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    fail(key, type_message(name(key), "a string"));
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<int64_t> Fields::integer(const char* key, int64_t lo, int64_t hi) {
  if (!ok()) return std::nullopt;
  const json* v = get(key);
  if (!v) return std::nullopt;
  int64_t x = 0;
  if (!v->is_number() || !as_int64(*v, x)) {
    if (v->is_number() && v->is_number_float() && std::isfinite(v->get<double>()) &&
        std::trunc(v->get<double>()) == v->get<double>()) {
      fail(key, "'" + name(key) + "' is out of range");  // integral but beyond int64
    } else {
      fail(key, type_message(name(key), "an integer"));
    }
    return std::nullopt;
  }
  if (x < lo || x > hi) {
    std::string msg = "'" + name(key) + "' must be ";
    if (hi == INT64_MAX) {
      msg += ">= " + std::to_string(lo);
    } else if (lo == INT64_MIN) {
      msg += "<= " + std::to_string(hi);
    } else {
      msg += "between " + std::to_string(lo) + " and " + std::to_string(hi);
    }
    fail(key, msg + ", got " + std::to_string(x));
    return std::nullopt;
  }
  return x;
}

std::optional<double> Fields::number(const char* key, double lo, double hi, bool lo_open,
                                     bool hi_open) {
  if (!ok()) return std::nullopt;
  const json* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    fail(key, type_message(name(key), "a number"));
    return std::nullopt;
  }
  const double d = v->get<double>();
  const bool below = lo_open ? !(d > lo) : !(d >= lo);
  const bool above = hi_open ? !(d < hi) : !(d <= hi);
  if (!std::isfinite(d) || below || above) {
    std::string range = std::isinf(hi) ? std::string(lo_open ? "> " : ">= ") + fmt_num(lo)
                                       : std::string(lo_open ? "in (" : "in [") + fmt_num(lo) +
                                             ", " + fmt_num(hi) + (hi_open ? ")" : "]");
    fail(key, "'" + name(key) + "' must be " + range + ", got " + fmt_num(d));
    return std::nullopt;
  }
  return d;
}

const json* Fields::object(const char* key) {
  if (!ok()) return nullptr;
  const json* v = get(key);
  if (!v) return nullptr;
  if (!v->is_object()) {
    fail(key, type_message(name(key), "an object"));
    return nullptr;
  }
  return v;
}

const json* Fields::array(const char* key) {
  if (!ok()) return nullptr;
  const json* v = get(key);
  if (!v) return nullptr;
  if (!v->is_array()) {
    fail(key, type_message(name(key), "an array"));
    return nullptr;
  }
  return v;
}

}  // namespace wharf::api::detail
