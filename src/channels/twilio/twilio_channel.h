#pragma once
// TwilioChannel: SMS and voice calls through a Twilio-compatible REST API
// (the 2010-04-01 Messages and Calls resources), which most practices' SMS and
// voice vendors speak.
//
// One TwilioChannel speaks for one account and one sender number. Send()
// makes one HTTPS POST, authenticated with HTTP basic auth (account SID :
// auth token), and returns when the provider has accepted (201) or refused the
// request; delivery is reported later through the StatusCallback URL (see
// twilio_callbacks.h):
//   sms    POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json
//          To, From (or MessagingServiceSid), Body, StatusCallback
//   voice  POST {api_base}/2010-04-01/Accounts/{sid}/Calls.json
//          To, From, Twiml (or Url), StatusCallback
// For voice, the call plays `voice_twiml_url`'s TwiML when configured;
// otherwise Send() builds inline TwiML: <Play> of the message's audio_path when
// that is an https:// URL, else <Say> of text_body (the approved script).
//
// The client reference. Each request's StatusCallback is
// `status_callback_url` + "?msg=<message_id>" (or "&msg=..."), so every
// callback maps back to Recall's message; a resend of the same message carries
// the same id. Receipt::provider_id is the provider's sid ("SM..." / "CA..."),
// Receipt::detail "status=<queued|...>".
//
// Thread-safety: Send() may be called from many threads at once; each call uses
// its own libcurl handle and the channel holds no mutable state.
//
// Errors (Send):
//   InvalidArgument     the message cannot be sent as given: channel not "sms"
//                       or "voice", malformed message id, no recipient, an
//                       empty or non-UTF-8 body, an SMS body over 1600
//                       characters, TwiML over 4000 bytes.
//   FailedPrecondition  the provider refused and retrying will not help:
//                         400 code 21211 (invalid 'To') / 21217 / 21614 (not a
//                           mobile number): a hard bounce, the message carries
//                           kHardBounceMarker;
//                         400 code 21610 (recipient replied STOP): permanent,
//                           not a hard bounce (the number is valid);
//                         other 4xx, 401/403 (credentials), 404 (account);
//                         or a 2xx without a sid (the request may have been
//                           accepted, so it is not retried).
//   Unavailable         connection refused, DNS, timeout, reset, 429 or 5xx;
//                       the caller may retry with backoff (same message id).
// Error messages carry the message id, the HTTP status and the provider's
// numeric error code only: never a number, a body, or the provider's error
// text (which quotes the phone number).
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "common/status.h"

namespace recall::channels {

struct TwilioConfig {
  // "https://api.twilio.com" or a compatible vendor's base, without a trailing
  // path. http:// is accepted only for loopback hosts (127.0.0.1, localhost,
  // [::1]), because every request carries the auth token.
  std::string api_base = "https://api.twilio.com";
  // The account SID ("AC..."; letters and digits only) and its auth token.
  std::string account_sid;
  std::string auth_token;
  // The practice's sender number (E.164). Required for voice; for SMS it may be
  // empty when messaging_service_sid is set (the service picks the sender).
  std::string from_number;
  // Optional: send SMS through this Messaging Service ("MG...") instead of
  // From.
  std::string messaging_service_sid;
  // Recall's status webhook, http(s)://; Send() appends "msg=<message_id>".
  // Optional: "" sends no StatusCallback (no delivery reports).
  std::string status_callback_url;
  // Voice: a URL serving the call's TwiML. "" (default) sends inline TwiML.
  std::string voice_twiml_url;
  // Voice, inline <Say>: BCP-47 language ("en-US", "es-MX") and voice name;
  // "" (default) leaves the provider's default.
  std::string say_language;
  std::string say_voice;
  // Time allowed to connect (default 5 s) and for the whole request (15 s).
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{15000};
};

// Creates a channel named "twilio". InvalidArgument when api_base is not
// https:// (or loopback http://), the account SID is empty or not
// alphanumeric, the token is empty, there is neither a sender number nor a
// messaging service, a URL is not http(s)://, or a timeout is not positive.
// Also initialises libcurl once per process.
StatusOr<std::unique_ptr<Channel>> NewTwilioChannel(TwilioConfig config);

// The inline TwiML Send() would use for a voice `message` (exposed for tests).
// InvalidArgument as for Send().
StatusOr<std::string> BuildVoiceTwiml(const TwilioConfig& config, const OutboundMessage& message);

// Maps the provider's answer to a Status, as documented above. `what` (e.g.
// "twilio sms for msg_1") prefixes error messages. On success `receipt`, when
// not null, receives the sid and status from the JSON body.
Status InterpretTwilioResponse(long http_code, std::string_view body, std::string_view what,
                               Receipt* receipt = nullptr);

}  // namespace recall::channels
