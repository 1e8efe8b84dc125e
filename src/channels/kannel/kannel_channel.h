#pragma once
// KannelChannel: SMS through a Kannel smsbox's `sendsms` HTTP interface.
//
// One KannelChannel speaks for one sender number (a practice's long code or
// short code) on one Kannel installation. Send() makes one HTTP GET to
// smsbox's sendsms URL and returns when smsbox has accepted or refused the
// message; delivery is reported later, asynchronously, through the `dlr-url`
// callback (see kannel_callbacks.h for its parser). Kannel accepting a message
// ("0: Accepted for delivery", or "3: Queued for later delivery" while the
// SMSC link is down) is success: Kannel now owns the retry.
//
// The client reference. Kannel's sendsms returns no id of its own, so each
// request carries Recall's OutboundMessage::message_id inside the dlr-url
// (`msg=<message_id>`); every delivery report comes back with it. A resend of
// the same message carries the same id, so reports for both are recognisable
// as one message. Receipt::provider_id is that message id.
//
// Encoding. Text is always sent as UTF-8 (`charset=UTF-8`). When every
// character fits the GSM 03.38 alphabet (templates::AnalyzeSms) the request
// uses `coding=0` and Kannel transcodes to GSM-7 at the SMSC; otherwise
// `coding=2` and Kannel sends UCS-2, so "más" or "ó" arrive intact instead of
// being folded to "?" by the GSM conversion.
//
// Thread-safety: Send() may be called from many threads at once; each call uses
// its own libcurl handle and the channel holds no mutable state.
//
// Errors (Send):
//   InvalidArgument     the message cannot be sent as given: not "sms", no recipient, an
//                       empty or non-UTF-8 body, a malformed message id, or
//                       Kannel answered 400.
//   FailedPrecondition  Kannel refused the credentials (401/403) or answered
//                       anything else that retrying will not fix (3xx, other
//                       4xx); fix the configuration first.
//   Unavailable         connection refused, DNS, timeout, reset, 429 or 5xx;
//                       the caller may retry with backoff (same message id).
// Error messages carry the message id and HTTP code only, never a number or
// a body.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "channels/channel.h"
#include "common/status.h"

namespace recall::channels {

struct KannelConfig {
  // smsbox's sendsms URL, e.g. "http://127.0.0.1:13013/cgi-bin/sendsms".
  std::string sendsms_url;
  // A sendsms-user group's username and password.
  std::string username;
  std::string password;
  // The practice's sender number (E.164 or a short code). Used when the
  // message's from_address is empty.
  std::string from;
  // Optional: route through this smsc-id only (sendsms `smsc`). Default: any.
  std::string smsc_id;
  // Recall's delivery-report webhook without a query, e.g.
  // "http://127.0.0.1:8080/v1/webhooks/kannel/<secret>/dlr". Send() appends
  // "?msg=<message_id>&status=%d&smsc_id=%F&time=%T" ('&' if it already has a
  // query). Required.
  std::string dlr_url_base;
  // Kannel's dlr-mask; 31 (default) asks for every report (delivered, failed,
  // buffered, accepted by the SMSC, rejected by the SMSC).
  int dlr_mask = 31;
  // Time allowed to connect to smsbox (default 2 s) and for the whole request
  // (default 10 s).
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{10000};
};

// Creates a channel. InvalidArgument when a URL is not http(s)://, or the
// username, password, sender or dlr_url_base is empty, or dlr_mask is not in
// 1..31. Also initialises libcurl once per process.
StatusOr<std::unique_ptr<Channel>> NewKannelChannel(KannelConfig config);

// The full sendsms URL Send() would request for `message` (exposed for tests;
// it contains the password, so never log it). InvalidArgument as for Send().
StatusOr<std::string> BuildSendsmsUrl(const KannelConfig& config, const OutboundMessage& message);

// Maps smsbox's answer to a Status, as documented above. `message_id` is
// used for the error message only. OK for any 2xx; `detail`, when not null,
// receives the first line of the body, cut to 100 printable ASCII bytes.
Status InterpretSendsmsResponse(long http_code, std::string_view body, std::string_view message_id,
                                std::string* detail = nullptr);

}  // namespace recall::channels
