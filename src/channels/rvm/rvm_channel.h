#pragma once
// RvmChannel: ringless voicemail drops through an RVM provider's REST API.
//
// A ringless voicemail deposits a recorded message straight into the
// recipient's mobile voicemail box without ringing the handset. Recall treats
// it as a call for consent purposes (see docs/consent.md); this class only
// delivers. Real RVM vendors are cloud APIs that cannot be reached from the
// build environment, so Recall speaks one documented provider contract
// modelled on the common vendor shape (docs/channels.md, "RVM provider
// contract"); a vendor that differs needs a small adapter in front of it.
//
//   POST {api_base}/v1/drops                multipart/form-data
//     to            the recipient, E.164
//     from          the practice's number (caller id), E.164
//     client_ref    Recall's message id, so a resend is recognisable
//     callback_url  optional: status_callback_url + "?msg=<message_id>"
//     audio         file part, audio/wav: the WAV at OutboundMessage.audio_path
//   Authorization: Bearer <api_key>
//
//   2xx (200/201) {"id": "...", "status": "queued"}  accepted; Receipt.provider_id = id
//   400/404/422 {"error": {"code": "invalid_number" | "landline_number", ...}}
//                                              the number cannot take a drop
//
// Delivery is reported later to the callback URL (rvm_callbacks.h).
//
// Thread-safety: Send() may be called from many threads at once; each call uses
// its own libcurl handle and the channel holds no mutable state.
//
// Errors (Send):
//   InvalidArgument     channel not "rvm", a malformed message id, a recipient
//                       that is not E.164, an audio file that is missing, not a
//                       regular file, empty or over max_audio_bytes.
//   FailedPrecondition  400/404/422 with error code invalid_number or
//                       landline_number (a hard bounce: the message carries
//                       kHardBounceMarker); any other 4xx (request refused);
//                       401/403 ("configuration: credentials rejected").
//   Unavailable         connection refused, DNS, timeout, 408, 429, 5xx; and a
//                       2xx whose body is not JSON with an "id": the drop may
//                       have been accepted, a retry reuses the message id
//                       (client_ref) so the provider or the callbacks
//                       reconcile it.
// Error messages carry the message id, the HTTP status and the provider's error
// code (when it is a short token) only: never a number, a path or a body.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "common/status.h"

namespace recall::channels {

struct RvmConfig {
  // The provider's base URL, without a trailing path, e.g.
  // "https://api.rvm-vendor.example". http:// only for loopback hosts
  // (127.0.0.1, localhost, [::1]): every request carries the API key.
  std::string api_base;
  // The bearer token. Required.
  std::string api_key;
  // The practice's number shown as caller id (E.164). Required.
  std::string from_number;
  // Recall's status webhook, http(s)://; Send() appends "msg=<message_id>".
  // "" (default) sends no callback_url.
  std::string status_callback_url;
  // Largest WAV accepted (default 10 MiB); a larger one is InvalidArgument.
  std::size_t max_audio_bytes = 10u << 20;
  // Time allowed to connect (default 5 s) and for the whole upload (60 s).
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{60000};
};

// The provider error codes that mean the number itself cannot take a drop.
inline constexpr std::string_view kRvmInvalidNumberCode = "invalid_number";
inline constexpr std::string_view kRvmLandlineCode = "landline_number";

// Creates a channel named "rvm". InvalidArgument when api_base is not https://
// (or loopback http://), the API key is empty, from_number is not E.164, the
// callback URL is not http(s)://, max_audio_bytes is 0 or a timeout is not
// positive. Internal when libcurl cannot be initialised.
StatusOr<std::unique_ptr<Channel>> NewRvmChannel(RvmConfig config);

// Maps the provider's answer to a Status, as documented above. `what` (e.g.
// "rvm for msg_1") prefixes error messages. On success `receipt`, when not
// null, receives the drop id and status.
Status InterpretRvmResponse(long http_code, std::string_view body, std::string_view what,
                            Receipt* receipt = nullptr);

}  // namespace recall::channels
