// Small, allocation-light helpers shared by the HTTP server and client: percent-decoding,
// query-string parsing, ASCII lower-casing. Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace wharf::http {

// Decodes %XX escapes (and '+' as a space when plus_as_space). Malformed escapes ("%zz", a
// trailing "%") are kept literally; never throws on any input.
std::string percent_decode(std::string_view s, bool plus_as_space = false);

// Parses "a=1&b=x%20y&flag" into {"a":"1","b":"x y","flag":""}. Keys and values are
// percent-decoded with '+' as space; empty pieces are skipped; the first occurrence of a
// repeated key wins.
std::map<std::string, std::string> parse_query(std::string_view query);

// ASCII lower-case copy.
std::string to_lower(std::string_view s);

// Case-insensitive ASCII equality.
bool iequals(std::string_view a, std::string_view b);

}  // namespace wharf::http
