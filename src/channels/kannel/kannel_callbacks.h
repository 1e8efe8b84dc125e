#pragma once
// Parsers for the two HTTP callbacks Kannel makes to Recall.
//
//   * Delivery reports. KannelChannel asks for them with a `dlr-url` of the form
//       <dlr base>?msg=<message_id>&status=%d&smsc_id=%F&time=%T
//     so the callback's query string carries Recall's own message id (the
//     client reference) and Kannel's status bits. ParseDeliveryReport takes
//     that query string.
//   * Inbound messages (MO). The sms-service group's `get-url` is
//       <inbound base>?from=%p&to=%P&text=%a&id=%I
//     (kInboundGetUrlQuery below). ParseInboundSms takes that query string.
//
// Both are pure functions over untrusted bytes: no I/O, no global state,
// thread-safe, bounded work (inputs over kMaxCallbackQueryBytes are refused
// before any decoding). They never crash and never throw; every malformed input
// is InvalidArgument with a message that names the offending field, never its
// value (query strings carry phone numbers and message bodies, which are PHI).
// The HTTP server that will route these callbacks arrives with issue 6.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace recall::channels {

// Query strings longer than this (1 MiB) are refused.
inline constexpr std::size_t kMaxCallbackQueryBytes = 1 << 20;

// The query template for the sms-service `get-url` (append it to the URL of
// Recall's inbound webhook). Keys must match ParseInboundSms.
inline constexpr std::string_view kInboundGetUrlQuery = "from=%p&to=%P&text=%a&id=%I";

// Kannel's delivery-report status bits (`%d`), one per report. dlr-mask=31
// asks for all of them.
enum class DeliveryStatus {
  kDelivered,  // 1: delivered to the handset
  kFailed,     // 2: delivery failed (final)
  kBuffered,   // 4: queued at the SMSC, not yet delivered (intermediate)
  kAccepted,   // 8: accepted by the SMSC (intermediate)
  kRejected,   // 16: rejected by the SMSC (final)
};
// "delivered", "failed", "buffered", "accepted" or "rejected".
std::string_view DeliveryStatusName(DeliveryStatus status);

struct DeliveryReport {
  std::string message_id;  // Recall's id, echoed from the dlr-url (`msg`)
  DeliveryStatus status = DeliveryStatus::kAccepted;
  std::string smsc_id;             // the SMSC's own message id (`%F`); may be empty
  std::optional<TimePoint> time;   // `%T` (Unix seconds) when present and numeric
};

// Parses a delivery-report query string (without the leading '?').
// InvalidArgument when: the input is too long; an escape is malformed; a key is
// repeated; `msg` is missing or not an opaque id ([A-Za-z0-9._-], 1..128
// bytes, not starting with '.'); `status` is missing or not one of 1, 2, 4, 8, 16; `smsc_id` is not
// valid UTF-8 or longer than 256 bytes. A `time` that is not a number is
// ignored (time stays empty). Unknown keys are ignored.
StatusOr<DeliveryReport> ParseDeliveryReport(std::string_view query);

struct InboundSms {
  std::string from_e164;  // the sender, e.g. "+15555550123" (`%p`)
  std::string to;         // the practice's number the patient wrote to (`%P`)
  std::string text;       // the body, valid UTF-8 (`%a`)
  std::string kannel_id;  // Kannel's id for this MO (`%I`), for de-duplication
};

// Parses an sms-service `get-url` query string (without the leading '?').
// InvalidArgument when: the input is too long; an escape is malformed; a key is
// repeated; `from` is missing or not E.164 ("+" then 8..15 digits); `to` is
// missing, empty or longer than 32 bytes; `text` is missing or not valid UTF-8;
// `id` is missing, empty or not an opaque id. An empty text is accepted (an
// empty SMS is legal; the classifier calls it `other`).
StatusOr<InboundSms> ParseInboundSms(std::string_view query);

// Percent-decoding for application/x-www-form-urlencoded values ('+' is a
// space). InvalidArgument on a truncated or non-hex escape. Exposed for tests
// and the test harness.
StatusOr<std::string> FormUrlDecode(std::string_view encoded);
// Percent-encodes everything except unreserved characters (RFC 3986).
std::string UrlEncode(std::string_view raw);

}  // namespace recall::channels
