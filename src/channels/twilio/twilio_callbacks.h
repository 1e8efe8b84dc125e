#pragma once
// Parsers for the webhooks a Twilio-compatible provider makes to Recall.
//
//   * Status callbacks. TwilioChannel sets each request's StatusCallback to
//       <status_callback_url>?msg=<message_id>
//     so the provider POSTs every status change of that message or call to a
//     URL that carries Recall's own message id. The body is form-encoded:
//     MessageSid + MessageStatus (+ ErrorCode) for SMS, CallSid + CallStatus
//     for voice.
//   * Inbound messages. The practice number's messaging webhook receives a
//     form-encoded POST with From, To, Body and MessageSid.
//
// Check the request's X-Twilio-Signature first (twilio_signature.h) with the
// params from ParseTwilioForm, then parse. All functions are pure over
// untrusted bytes: no I/O, thread-safe, bounded work (inputs over
// kMaxTwilioCallbackBytes are refused before decoding), never crash, never
// throw. Every malformed input is InvalidArgument naming the offending field,
// never its value (numbers and bodies are PHI).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "channels/twilio/twilio_signature.h"
#include "common/status.h"

namespace recall::channels {

// Bodies and query strings longer than this (1 MiB) are refused.
inline constexpr std::size_t kMaxTwilioCallbackBytes = 1 << 20;

// Decodes an application/x-www-form-urlencoded body (or a query string without
// its '?') into parameters, in order, keys may repeat. InvalidArgument when the
// input is too long, an escape is malformed, or a key or value is not UTF-8.
StatusOr<FormParams> ParseTwilioForm(std::string_view form);

// Message and call statuses, as the provider names them.
enum class TwilioStatus {
  // Messages.
  kAccepted, kScheduled, kQueued, kSending, kSent, kDelivered, kUndelivered, kFailed, kRead, kCanceled,
  // Calls (kQueued, kFailed and kCanceled are shared).
  kInitiated, kRinging, kInProgress, kCompleted, kBusy, kNoAnswer,
};
// The provider's spelling: "queued", "in-progress", "no-answer", ...
std::string_view TwilioStatusName(TwilioStatus status);
// True for a status after which no other arrives (delivered, undelivered,
// failed, read, canceled, completed, busy, no-answer).
bool IsFinalTwilioStatus(TwilioStatus status);

struct TwilioStatusCallback {
  std::string message_id;    // Recall's id, from the URL's `msg`
  bool is_call = false;      // CallSid/CallStatus rather than MessageSid/MessageStatus
  std::string provider_sid;  // "SM..." / "MM..." / "CA..."
  TwilioStatus status = TwilioStatus::kQueued;
  std::optional<int> error_code;  // ErrorCode, e.g. 30003 (unreachable handset)
};

// Parses a status callback: `url_query` is the query string of the URL the
// provider POSTed to (without '?'), `body` its form-encoded body.
// InvalidArgument when: either is too long or malformed (as ParseTwilioForm);
// a key the parser reads is repeated; `msg` is missing or not an opaque id;
// neither MessageSid nor CallSid is present, or both are; the sid is not 2
// letters then 1..64 alphanumerics; the status is missing or unknown for its
// kind; ErrorCode is present, non-empty and not a number in 0..999999.
// Unknown keys are ignored.
StatusOr<TwilioStatusCallback> ParseTwilioStatusCallback(std::string_view url_query, std::string_view body);

struct TwilioInboundMessage {
  std::string from;         // the patient, E.164
  std::string to;           // the practice number written to
  std::string body;         // UTF-8, may be empty
  std::string message_sid;  // provider id, for de-duplication
};

// Parses an inbound-message webhook body. InvalidArgument when: the body is
// too long or malformed; a read key is repeated; From is missing or not E.164
// ("+" then 8..15 digits); To is missing, empty or over 32 bytes; Body is
// missing; MessageSid is missing or malformed (as above). Unknown keys (NumMedia,
// FromCity, ...) are ignored.
StatusOr<TwilioInboundMessage> ParseTwilioInboundMessage(std::string_view body);

}  // namespace recall::channels
