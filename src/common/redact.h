#pragma once
// Masking of PHI for display to operators. Every place that shows a name, a
// phone or an email without an audited reveal goes through these functions.
#include <string>
#include <string_view>

namespace recall {

// "John" -> "J***"; "" -> "".
std::string MaskName(std::string_view name);
// "+15555554321" -> "+1 ***-***-4321"; other E.164 -> "+CC ***4321".
std::string MaskPhone(std::string_view e164);
// "jane.doe@example.com" -> "j***@e***.com".
std::string MaskEmail(std::string_view email);

}  // namespace recall
