// BCP-47 well-formedness (RFC 5646 section 2.1) and canonical case (2.1.1).
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "templates/templates.h"

namespace recall::templates {
namespace {

constexpr size_t kMaxTagBytes = 128;

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllOf(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}
bool IsAlnumChar(char c) { return IsAlpha(c) || IsDigit(c); }

bool Alpha(std::string_view s, size_t min, size_t max) {
  return s.size() >= min && s.size() <= max && AllOf(s, IsAlpha);
}
bool Alnum(std::string_view s, size_t min, size_t max) {
  return s.size() >= min && s.size() <= max && AllOf(s, IsAlnumChar);
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}
std::string Title(std::string_view s) {
  std::string out = AsciiLower(s);
  if (!out.empty()) out[0] = Upper(out.substr(0, 1))[0];
  return out;
}

Status Bad(std::string_view why) { return InvalidArgumentError(std::string(why)); }
Status BadSubtag(std::string_view subtag, std::string_view why) {
  // A subtag is at most 8 ASCII letters or digits once it has passed the
  // character check below; anything else is not quoted.
  if (subtag.size() > 8 || !AllOf(subtag, IsAlnumChar)) {
    return InvalidArgumentError(std::string(why));
  }
  return InvalidArgumentError("subtag '" + std::string(subtag) + "' " + std::string(why));
}

}  // namespace

StatusOr<std::string> NormalizeLanguageTag(std::string_view tag) {
  if (tag.empty()) return Bad("language tag is empty");
  if (tag.size() > kMaxTagBytes) return Bad("language tag is longer than 128 characters");

  std::vector<std::string_view> subtags;
  size_t begin = 0;
  while (true) {
    const size_t dash = tag.find('-', begin);
    const std::string_view subtag =
        tag.substr(begin, dash == std::string_view::npos ? std::string_view::npos : dash - begin);
    if (subtag.empty()) return Bad("language tag has an empty subtag");
    if (!Alnum(subtag, 1, 8)) return BadSubtag(subtag, "must be 1 to 8 ASCII letters or digits");
    subtags.push_back(subtag);
    if (dash == std::string_view::npos) break;
    begin = dash + 1;
  }

  const std::string first = AsciiLower(subtags[0]);
  if (first == "x") return Bad("private-use-only language tags are not accepted");
  if (first == "i") return Bad("grandfathered 'i-' language tags are not accepted");

  std::vector<std::string> out;
  size_t idx = 0;
  // language = 2*3ALPHA ["-" extlang] / 4ALPHA / 5*8ALPHA
  if (!Alpha(subtags[0], 2, 8)) return BadSubtag(subtags[0], "is not a language subtag");
  out.push_back(first);
  ++idx;
  if (subtags[0].size() <= 3) {
    // extlang = 3ALPHA *2("-" 3ALPHA)
    int extlangs = 0;
    while (idx < subtags.size() && Alpha(subtags[idx], 3, 3)) {
      if (++extlangs > 3)
        return BadSubtag(subtags[idx], "is one extended language subtag too many");
      out.push_back(AsciiLower(subtags[idx]));
      ++idx;
    }
  }
  // script = 4ALPHA
  if (idx < subtags.size() && Alpha(subtags[idx], 4, 4)) {
    out.push_back(Title(subtags[idx]));
    ++idx;
  }
  // region = 2ALPHA / 3DIGIT
  if (idx < subtags.size() &&
      (Alpha(subtags[idx], 2, 2) || (subtags[idx].size() == 3 && AllOf(subtags[idx], IsDigit)))) {
    out.push_back(Upper(subtags[idx]));
    ++idx;
  }
  // variant = 5*8alphanum / (DIGIT 3alphanum)
  std::set<std::string> variants;
  while (idx < subtags.size() &&
         (subtags[idx].size() >= 5 || (subtags[idx].size() == 4 && IsDigit(subtags[idx][0])))) {
    std::string variant = AsciiLower(subtags[idx]);
    if (!variants.insert(variant).second) return BadSubtag(subtags[idx], "is a repeated variant");
    out.push_back(std::move(variant));
    ++idx;
  }
  // extension = singleton 1*("-" (2*8alphanum)); privateuse = "x" 1*("-" (1*8alphanum))
  std::set<std::string> singletons;
  while (idx < subtags.size()) {
    const std::string singleton = AsciiLower(subtags[idx]);
    if (singleton.size() != 1) return BadSubtag(subtags[idx], "is out of place");
    if (!singletons.insert(singleton).second) {
      return BadSubtag(subtags[idx], "is a repeated extension singleton");
    }
    out.push_back(singleton);
    ++idx;
    const bool private_use = singleton == "x";
    const size_t min = private_use ? 1 : 2;
    const size_t first_of_extension = idx;
    while (idx < subtags.size() && subtags[idx].size() >= min &&
           (private_use || subtags[idx].size() > 1)) {
      out.push_back(AsciiLower(subtags[idx]));
      ++idx;
    }
    if (idx == first_of_extension) {
      return BadSubtag(singleton, "starts an extension with no subtags");
    }
    if (private_use && idx != subtags.size()) return Bad("private use must come last");
  }

  std::string joined;
  for (const auto& subtag : out) {
    if (!joined.empty()) joined += '-';
    joined += subtag;
  }
  return joined;
}

}  // namespace recall::templates
