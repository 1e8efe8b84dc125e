#pragma once
// LineTypeLookup: asks a carrier-data provider whether a phone number is a
// mobile line.
//
// Why: libphonenumber reports US and Canadian numbers as FIXED_LINE_OR_MOBILE
// (the numbering plan does not tell them apart), so SMS eligibility needs the
// practice export's column ("Mobile Phone") or a carrier lookup. The lookup
// vendor receives phone numbers, so it is a subprocessor: RefreshLineTypes
// (line_types.h) refuses to run unless the practice has an active "lookup"
// vendor with a BAA.
//
// TwilioLookup speaks a Twilio-Lookup-v2-compatible API:
//   GET {api_base}/v2/PhoneNumbers/{E.164, URL-encoded}?Fields=line_type_intelligence
//   HTTP basic auth: account SID : auth token
//   200 {"line_type_intelligence": {"type": "mobile" | "landline" | ...}}
// and maps line_type_intelligence.type to Recall's three values:
//   mobile                                  -> "mobile"
//   landline                                -> "landline"
//   fixedVoip, nonFixedVoip, tollFree, voicemail, pager, premium, sharedCost,
//   uan, personal, unknown, null, absent, anything else -> "unknown"
// Only "mobile" makes a number textable: VoIP numbers may or may not take SMS
// and a wrong guess sends to a line that cannot receive it, so they stay
// "unknown" (the practice's export column may still say "mobile").
//
// Thread-safety: Lookup() may be called from several threads; each call uses
// its own libcurl handle.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace recall::channels {

class LineTypeLookup {
 public:
  virtual ~LineTypeLookup() = default;
  // "twilio_lookup", ...; stable, used in audit details.
  virtual std::string_view name() const = 0;
  // The line type of `e164`: "mobile", "landline" or "unknown".
  //   InvalidArgument     `e164` is not "+" then 8..15 digits, or the provider
  //                       refused it as malformed (400).
  //   NotFound            the provider does not know the number (404).
  //   FailedPrecondition  credentials rejected (401/403: "configuration: ..."),
  //                       or another 4xx.
  //   Unavailable         connection failure, timeout, 408, 429, 5xx, or a 200
  //                       whose body is not the expected JSON; retry later.
  // Messages never carry the number, the credentials or the body.
  virtual StatusOr<std::string> Lookup(const std::string& e164) = 0;
};

struct TwilioLookupConfig {
  // "https://lookups.twilio.com" or a compatible vendor's base. http:// only
  // for loopback hosts (every request carries the auth token).
  std::string api_base = "https://lookups.twilio.com";
  std::string account_sid;  // letters and digits
  std::string auth_token;
  // Time allowed to connect (default 5 s) and for the whole request (10 s).
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{10000};
};

// InvalidArgument when api_base is not https:// (or loopback http://), the
// account SID is empty or not alphanumeric, the token is empty, or a timeout
// is not positive. Internal when libcurl cannot be initialised.
StatusOr<std::unique_ptr<LineTypeLookup>> NewTwilioLookup(TwilioLookupConfig config);

// line_type_intelligence.type -> "mobile" | "landline" | "unknown" (above).
std::string_view MapLineTypeIntelligence(std::string_view provider_type);

// Maps the provider's answer to a line type or a Status, as documented for
// Lookup(). Exposed for tests.
StatusOr<std::string> InterpretLookupResponse(long http_code, std::string_view body);

}  // namespace recall::channels
