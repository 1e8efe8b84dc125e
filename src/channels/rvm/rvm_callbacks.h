#pragma once
// Parser for the status callbacks an RVM provider makes to Recall.
//
// RvmChannel sends each drop with callback_url = <status_callback_url>?msg=<id>
// and client_ref = <id>. The provider POSTs every status change of that drop
// to the callback URL, form-encoded or as a JSON object:
//   client_ref   Recall's message id (or `msg`, in the body or the URL query)
//   status       queued | delivered | failed | undeliverable
//   id           the provider's drop id (optional)
//   error_code   the provider's reason code (optional), e.g. "landline_number"
//
// The function is pure over untrusted bytes: no I/O, thread-safe, bounded work
// (inputs over kMaxRvmCallbackBytes are refused before decoding), never
// crashes, never throws. Every malformed input is InvalidArgument naming the
// offending field, never its value.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace recall::channels {

// Bodies and query strings longer than this (64 KiB) are refused.
inline constexpr std::size_t kMaxRvmCallbackBytes = 64 * 1024;

enum class RvmDropStatus {
  kQueued,         // accepted by the provider, not yet deposited (intermediate)
  kDelivered,      // deposited in the voicemail box (final)
  kFailed,         // the attempt failed; the number may be fine (final)
  kUndeliverable,  // the number cannot take a drop: invalid, landline (final)
};
// "queued", "delivered", "failed" or "undeliverable".
std::string_view RvmDropStatusName(RvmDropStatus status);

// One status callback. (Named apart from Kannel's DeliveryReport, which shares
// the recall::channels namespace.)
struct RvmDeliveryReport {
  std::string message_id;   // Recall's id: client_ref, or msg
  RvmDropStatus status = RvmDropStatus::kQueued;
  std::string provider_id;  // the drop id; "" when absent
  std::optional<std::string> error_code;  // [A-Za-z0-9_.-]{1,64} when present
  // True when the report marks the number invalid for RVM (status
  // undeliverable, or error_code invalid_number / landline_number).
  bool hard_bounce = false;
};

// Parses one callback. `url_query` is the query string of the URL the provider
// POSTed to (without '?'), `content_type` the request's Content-Type ("" when
// absent), `body` its body. A body is read as JSON when the content type is
// application/json or it starts with '{', as a form otherwise.
// InvalidArgument when: an input is too long; the form or JSON is malformed
// (JSON nested deeper than 4 levels included); a field is repeated, or is not
// a string (error_code may also be an integer); the message id is missing, not
// an opaque id ([A-Za-z0-9_.-], 1..128 bytes, not starting with '.'), or the
// body's and the URL's ids differ; status is missing or unknown; id or
// error_code is not a short token. Unknown fields are ignored.
StatusOr<RvmDeliveryReport> ParseRvmStatusCallback(std::string_view url_query, std::string_view content_type,
                                                   std::string_view body);

}  // namespace recall::channels
