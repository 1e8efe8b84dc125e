// Vocabulary, the parser, rendering and the canonical encoding.
#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

#include "common/text.h"
#include "templates/internal/text_util.h"
#include "templates/templates.h"

namespace recall::templates {
namespace {

// Names an author might reach for that would put clinical or identifying detail
// into outreach. They get their own error so the author learns why, instead of
// assuming the variable merely is not implemented yet. Compared after lower
// casing and mapping '-' and '.' to '_'.
// clang-format off
constexpr std::string_view kNotMinimumNecessary[] = {
    // Why the patient is seen.
    "diagnosis", "diagnoses", "dx", "visit_reason", "reason", "reason_for_visit",
    "chief_complaint", "condition", "conditions", "symptom", "symptoms",
    // What is done about it.
    "medication", "medications", "prescription", "rx", "procedure", "procedures", "treatment",
    "allergies",
    // What was found.
    "test", "test_name", "test_result", "test_results", "lab", "lab_result", "lab_results",
    "result", "results", "notes", "clinical_notes",
    // What kind of care (a visit type or a specialty implies the condition).
    "appointment_type", "visit_type", "department", "specialty", "provider_specialty",
    // Identity beyond a first name.
    "last_name", "full_name", "patient_name", "date_of_birth", "dob", "birth_date", "birthdate",
    "age", "ssn", "mrn", "medical_record_number", "insurance_id", "member_id", "policy_number",
    "patient_address", "patient_phone", "patient_email",
};
// clang-format on

std::string NormalizeForDenyList(std::string_view name) {
  std::string out = AsciiLower(name);
  std::replace(out.begin(), out.end(), '-', '_');
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

bool IsNotMinimumNecessary(std::string_view name) {
  const std::string normalized = NormalizeForDenyList(name);
  return std::find(std::begin(kNotMinimumNecessary), std::end(kNotMinimumNecessary), normalized) !=
         std::end(kNotMinimumNecessary);
}

Status ErrorAt(int line, int column, std::string_view message) {
  return InvalidArgumentError("line " + std::to_string(line) + ", column " +
                              std::to_string(column) + ": " + std::string(message));
}

// Variable names are ASCII by construction (see IsNameChar); the cap keeps a
// pathological tag from flooding a log line.
std::string Quoted(std::string_view name) {
  constexpr size_t kMaxShown = 64;
  if (name.size() <= kMaxShown) return "'" + std::string(name) + "'";
  return "'" + std::string(name.substr(0, kMaxShown)) + "...'";
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

bool IsTagSpace(char c) { return c == ' ' || c == '\t'; }

std::string AllowedList() {
  std::string out;
  for (std::string_view name : kAllowedVariables) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// The unsupported Mustache tag types, keyed by the sigil after "{{".
const char* UnsupportedSigil(char sigil) {
  switch (sigil) {
    case '#':
    case '^':
    case '/':
      return "sections ('{{#', '{{^', '{{/') are not supported; write one template per case";
    case '>':
      return "partials ('{{>') are not supported";
    case '&':
      return "unescaped output ('{{&') is not supported; values are always escaped for the channel";
    case '!':
      return "comments ('{{!') are not supported";
    case '=':
      return "delimiter changes ('{{=') are not supported";
    default:
      return nullptr;
  }
}

bool IsForbiddenControl(char32_t cp) {
  return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F;
}

std::string HexCodePoint(char32_t cp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "U+";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Vocabulary.

std::string_view ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kSms:
      return "sms";
    case Channel::kEmail:
      return "email";
    case Channel::kVoice:
      return "voice";
    case Channel::kRvm:
      return "rvm";
    case Channel::kPortal:
      return "portal";
  }
  return "unknown";
}

StatusOr<Channel> ParseChannel(std::string_view name) {
  for (Channel channel :
       {Channel::kSms, Channel::kEmail, Channel::kVoice, Channel::kRvm, Channel::kPortal}) {
    if (name == ChannelName(channel)) return channel;
  }
  return InvalidArgumentError("unknown channel; expected sms, email, voice, rvm or portal");
}

std::string_view PurposeName(Purpose purpose) {
  switch (purpose) {
    case Purpose::kCare:
      return "care";
    case Purpose::kOutreach:
      return "outreach";
  }
  return "unknown";
}

StatusOr<Purpose> ParsePurpose(std::string_view name) {
  if (name == "care") return Purpose::kCare;
  if (name == "outreach") return Purpose::kOutreach;
  return InvalidArgumentError("unknown purpose; expected care or outreach");
}

StatusOr<Tier> TierFromNumber(int number) {
  switch (number) {
    case 1:
      return Tier::kAdministrative;
    case 2:
      return Tier::kNotification;
    case 3:
      return Tier::kClinical;
    default:
      return InvalidArgumentError("tier must be 1, 2 or 3");
  }
}

bool IsAllowedVariable(std::string_view name) {
  return std::find(kAllowedVariables.begin(), kAllowedVariables.end(), name) !=
         kAllowedVariables.end();
}

// ---------------------------------------------------------------------------
// ParsedTemplate.

bool ParsedTemplate::UsesVariable(std::string_view name) const {
  return std::any_of(segments_.begin(), segments_.end(), [name](const Segment& segment) {
    return segment.kind == SegmentKind::kVariable && segment.text == name;
  });
}

std::vector<std::string> ParsedTemplate::Variables() const {
  std::vector<std::string> out;
  for (const auto& segment : segments_) {
    if (segment.kind == SegmentKind::kVariable) out.push_back(segment.text);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

StatusOr<ParsedTemplate> Parse(std::string_view text) {
  if (text.size() > kMaxTemplateBytes) {
    return ResourceExhaustedError("template is " + std::to_string(text.size()) +
                                  " bytes; the limit is " + std::to_string(kMaxTemplateBytes));
  }
  ParsedTemplate parsed;
  auto& segments = parsed.segments_;
  int line = 1;
  int column = 1;
  size_t pos = 0;

  auto append_literal = [&](std::string_view bytes, int at_line, int at_column) {
    if (segments.empty() || segments.back().kind != ParsedTemplate::SegmentKind::kLiteral) {
      segments.push_back(
          {ParsedTemplate::SegmentKind::kLiteral, std::string(), at_line, at_column});
    }
    segments.back().text.append(bytes);
  };

  while (pos < text.size()) {
    if (text.substr(pos, 2) != "{{") {
      const size_t start = pos;
      char32_t cp = 0;
      if (!internal::DecodeUtf8(text, &pos, &cp)) return ErrorAt(line, column, "invalid UTF-8");
      if (IsForbiddenControl(cp)) {
        return ErrorAt(line, column, "control character " + HexCodePoint(cp) + " is not allowed");
      }
      append_literal(text.substr(start, pos - start), line, column);
      if (cp == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
      continue;
    }

    // A tag. Everything up to the closing "}}" is ASCII or an error, so the
    // column advances one per byte.
    const int tag_line = line;
    const int tag_column = column;
    size_t p = pos + 2;
    int c = column + 2;
    auto at_end = [&](size_t at) {
      return at >= text.size() || text[at] == '\n' || text[at] == '\r';
    };
    auto unclosed = [&] {
      return ErrorAt(tag_line, tag_column,
                     "unclosed tag: expected '}}' before the end of the line");
    };

    if (p < text.size() && text[p] == '{') {
      return ErrorAt(tag_line, tag_column,
                     "triple mustache '{{{' (unescaped output) is not supported; values are "
                     "always escaped for the channel");
    }
    while (p < text.size() && IsTagSpace(text[p])) {
      ++p;
      ++c;
    }
    if (at_end(p)) return unclosed();
    if (const char* why = UnsupportedSigil(text[p])) return ErrorAt(tag_line, tag_column, why);

    const size_t name_begin = p;
    while (p < text.size() && IsNameChar(text[p])) {
      ++p;
      ++c;
    }
    const std::string_view name = text.substr(name_begin, p - name_begin);
    while (p < text.size() && IsTagSpace(text[p])) {
      ++p;
      ++c;
    }
    if (text.substr(p, 2) != "}}") {
      if (at_end(p) || text[p] == '}' || text[p] == '{') return unclosed();
      // No "}}" left on the line: the author forgot to close the tag; otherwise
      // something stray sits inside it.
      const size_t eol = text.find_first_of("\r\n", p);
      const std::string_view rest = text.substr(p, eol == std::string_view::npos ? eol : eol - p);
      if (rest.find("}}") == std::string_view::npos) return unclosed();
      return ErrorAt(line, c,
                     "unexpected character in tag; a tag holds one variable name, as in "
                     "'{{ first_name }}'");
    }
    if (name.empty()) return ErrorAt(tag_line, tag_column, "empty tag");
    if (!IsAllowedVariable(name)) {
      if (IsNotMinimumNecessary(name)) {
        return ErrorAt(tag_line, tag_column,
                       "variable " + Quoted(name) +
                           " is not minimum-necessary: outreach may not carry clinical or "
                           "identifying detail; allowed: " +
                           AllowedList());
      }
      const std::string lower = AsciiLower(name);
      if (IsAllowedVariable(lower)) {
        return ErrorAt(tag_line, tag_column,
                       "unknown variable " + Quoted(name) +
                           "; variable names are lower case: " + Quoted(lower));
      }
      return ErrorAt(tag_line, tag_column,
                     "unknown variable " + Quoted(name) + "; allowed: " + AllowedList());
    }
    segments.push_back(
        {ParsedTemplate::SegmentKind::kVariable, std::string(name), tag_line, tag_column});
    pos = p + 2;
    column = c + 2;
  }
  return parsed;
}

// ---------------------------------------------------------------------------
// Rendering.

Escaping BodyEscapingFor(Channel channel) {
  return channel == Channel::kEmail ? Escaping::kHtml : Escaping::kPlain;
}

namespace {

void AppendHtmlEscaped(std::string_view value, std::string* out) {
  for (char c : value) {
    switch (c) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        *out += "&quot;";
        break;
      case '\'':
        *out += "&#39;";
        break;
      default:
        *out += c;
    }
  }
}

Status CheckValue(std::string_view name, std::string_view value, Escaping escaping) {
  size_t pos = 0;
  while (pos < value.size()) {
    char32_t cp = 0;
    if (!internal::DecodeUtf8(value, &pos, &cp)) {
      return InvalidArgumentError("value for variable " + Quoted(name) + " is not valid UTF-8");
    }
    const bool allowed_space = escaping != Escaping::kHeader && (cp == '\t' || cp == '\n');
    if ((cp < 0x20 && !allowed_space) || cp == 0x7F) {
      return InvalidArgumentError("value for variable " + Quoted(name) +
                                  " holds a control character " + HexCodePoint(cp));
    }
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::string> Render(const ParsedTemplate& parsed, const Values& values,
                             Escaping escaping) {
  std::string out;
  for (const auto& segment : parsed.segments()) {
    if (segment.kind == ParsedTemplate::SegmentKind::kLiteral) {
      if (escaping == Escaping::kHeader &&
          segment.text.find_first_of("\r\n") != std::string::npos) {
        return InvalidArgumentError("line " + std::to_string(segment.line) +
                                    ": a header template must be one line");
      }
      out += segment.text;
      continue;
    }
    const auto it = values.find(segment.text);
    if (it == values.end()) {
      return FailedPreconditionError("no value for variable " + Quoted(segment.text) + " (line " +
                                     std::to_string(segment.line) + ", column " +
                                     std::to_string(segment.column) + ")");
    }
    RETURN_IF_ERROR(CheckValue(segment.text, it->second, escaping));
    if (escaping == Escaping::kHtml) {
      AppendHtmlEscaped(it->second, &out);
    } else {
      out += it->second;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Whole templates.

StatusOr<std::string> SerializeCanonical(const Template& t) {
  ASSIGN_OR_RETURN(std::string language, NormalizeLanguageTag(t.language));
  if (!IsValidUtf8(t.subject)) return InvalidArgumentError("subject: is not valid UTF-8");
  if (!IsValidUtf8(t.body)) return InvalidArgumentError("body: is not valid UTF-8");

  std::string out = "recall-template-v1\n";
  auto field = [&out](std::string_view name, std::string_view bytes) {
    out.append(name);
    out += '=';
    out += std::to_string(bytes.size());
    out += ':';
    out.append(bytes);
    out += '\n';
  };
  field("channel", ChannelName(t.channel));
  field("tier", std::to_string(static_cast<int>(t.tier)));
  field("purpose", PurposeName(t.purpose));
  field("language", language);
  field("version", std::to_string(t.version));
  field("subject", t.subject);
  field("body", t.body);
  return out;
}

}  // namespace recall::templates
