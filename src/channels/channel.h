#pragma once
// Channel: the one narrow seam between dispatch and the outside world.
//
// A Channel delivers one OutboundMessage (an email, an SMS, a voice call, a
// ringless voicemail) to a provider and returns a Receipt, or a Status saying
// what the caller should do next:
//   kInvalidArgument     the message itself is malformed (a header carrying CR/LF,
//                        an address that is not an addr-spec, a missing field);
//                        do not retry the same message.
//   kFailedPrecondition  the provider refused permanently (an SMTP 5xx, a
//                        rejected login, a missing STARTTLS); do not retry until
//                        the cause is fixed. When the refusal means the contact
//                        itself is invalid (a hard bounce), the message carries
//                        kHardBounceMarker and IsHardBounce() is true: the caller
//                        marks that contact invalid.
//   kUnavailable         a transient failure (refused connection, timeout, an
//                        SMTP 4xx); the caller may retry with backoff. A retry
//                        reuses the same message_id, so a resend that does arrive
//                        twice is recognisable (same Message-ID / client ref).
//   kInternal            a broken invariant or a local I/O failure.
//
// Ownership: a Channel owns its provider configuration; it never owns the
// Clock it was given (the caller keeps that alive for the channel's lifetime).
// Messages are borrowed for the duration of Send only.
//
// Thread-safety: every Channel in this folder is safe to call Send on from
// several threads at once; wrappers must keep that promise.
//
// PHI: error messages and receipts carry opaque ids (msg_..., prc_...), codes
// and field names only — never an address, a name or a body.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"

namespace recall::channels {

// One message, fully rendered. Which fields matter depends on `channel`:
//   email: to, from_name, from_address, reply_to, subject, text_body, html_body,
//          unsubscribe_url, unsubscribe_mailto, postal_address.
//   sms:   to, text_body.
//   voice / rvm: to, audio_path (and text_body as the transcript).
struct OutboundMessage {
  // Stable and opaque, e.g. "msg_4f1c..." ([A-Za-z0-9_.-], not starting with
  // '.'). Becomes the email Message-ID <message_id@sender-domain>, the SMS client
  // reference and the file name of the file channel.
  std::string message_id;
  std::string practice_id;
  std::string channel;  // "email" | "sms" | "voice" | "rvm"
  std::string to;       // E.164 or an email addr-spec
  std::string from_name;     // display name, UTF-8 ("Clínica Maple")
  std::string from_address;  // addr-spec, the practice's own address
  std::string reply_to;      // addr-spec; "" omits Reply-To
  std::string subject;       // UTF-8, single line
  std::string text_body;     // UTF-8
  std::string html_body;     // UTF-8; "" sends text only
  std::string unsubscribe_url;     // "https://..." (RFC 8058 one-click); may be ""
  std::string unsubscribe_mailto;  // "mailto:..."; may be ""
  std::string postal_address;      // the practice's postal address (CAN-SPAM)
  std::string audio_path;          // voice / rvm only
};

// What the provider said when it accepted the message.
struct Receipt {
  std::string provider_id;  // e.g. "<msg_...@mapledental.example>", a file name
  std::string detail;       // no PHI: codes and opaque ids only
};

class Channel {
 public:
  virtual ~Channel() = default;
  // "smtp", "file", ...; stable, used in metrics and audit details.
  virtual std::string_view name() const = 0;
  // Delivers `message`. See the header comment for the failure codes.
  virtual StatusOr<Receipt> Send(const OutboundMessage& message) = 0;
};

// Appears in the message of a FailedPrecondition that is a hard bounce.
inline constexpr std::string_view kHardBounceMarker = "hard bounce: contact invalid";

// True when `status` is a permanent failure that marks the contact invalid.
bool IsHardBounce(const Status& status);

// Forwards every call to a target channel it owns. Subclass it and override
// only what you need (metrics, fault injection, tracing), as leveldb's
// EnvWrapper does for Env.
class ChannelWrapper : public Channel {
 public:
  explicit ChannelWrapper(std::unique_ptr<Channel> target) : target_(std::move(target)) {}

  Channel* target() const { return target_.get(); }

  std::string_view name() const override { return target_->name(); }
  StatusOr<Receipt> Send(const OutboundMessage& message) override { return target_->Send(message); }

 private:
  std::unique_ptr<Channel> target_;
};

// For tests: fails chosen calls with a chosen Status and forwards the rest.
// Calls are numbered from 1 in the order Send is entered. Thread-safe.
class FaultInjectingChannel final : public ChannelWrapper {
 public:
  using ChannelWrapper::ChannelWrapper;

  // Call number `n` (1-based) returns `status` (not OK) without reaching the target.
  void FailNthCallForTest(int n, Status status);
  // Every call from number `n` on fails with `status`.
  void FailFromCallForTest(int n, Status status);
  // Calls entered so far, failed or not.
  int calls() const;

  StatusOr<Receipt> Send(const OutboundMessage& message) override;

 private:
  mutable std::mutex mu_;
  int calls_ = 0;                 // GUARDED_BY(mu_)
  std::map<int, Status> faults_;  // GUARDED_BY(mu_)
  int fail_from_ = 0;             // GUARDED_BY(mu_); 0 = never
  Status fail_from_status_;       // GUARDED_BY(mu_)
};

// "email", "sms", "voice", "rvm"?
bool IsKnownChannelKind(std::string_view kind);
// Message ids are opaque and safe as file names: [A-Za-z0-9_.-]{1,128}, not
// starting with '.'. InvalidArgument otherwise (the id is not echoed).
Status CheckMessageId(std::string_view message_id);

}  // namespace recall::channels
