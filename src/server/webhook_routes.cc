// Provider webhooks and the patients' links (docs/server.md, "Webhooks").
// Each is authenticated the way its provider does it; none takes a bearer
// token. Parsing is the channels' pure parsers; the effects are dispatch's
// feedback functions. Error bodies are fixed codes: query strings and bodies
// carry phone numbers and message text.
#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "channels/kannel/kannel_callbacks.h"
#include "channels/rvm/rvm_callbacks.h"
#include "channels/twilio/twilio_callbacks.h"
#include "channels/twilio/twilio_signature.h"
#include "crypto/crypto.h"
#include "dispatch/feedback.h"
#include "server/handlers.h"

namespace recall::server::internal {

namespace {

HttpResponse Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8") {
  HttpResponse res;
  res.status = status;
  res.content_type = std::move(content_type);
  res.body = std::move(body);
  return res;
}

// A plain page: no scripts, no third-party content, no cookies.
HttpResponse Page(int status, const std::string& title, const std::string& text) {
  return Text(status,
              "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + title +
                  "</title></head><body style=\"font-family:sans-serif;max-width:32em;margin:3em auto\"><h1>" + title +
                  "</h1><p>" + text + "</p></body></html>",
              "text/html; charset=utf-8");
}

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

bool SecretMatches(const std::string& configured, const std::string& given) {
  return !configured.empty() && crypto::ConstantTimeEquals(crypto::Sha256(configured), crypto::Sha256(given));
}

bool KannelSourceAllowed(const ServerOptions& options, const std::string& remote) {
  if (IsLoopbackHost(remote) || remote == "::ffff:127.0.0.1") return true;
  return std::find(options.kannel_allow_from.begin(), options.kannel_allow_from.end(), remote) !=
         options.kannel_allow_from.end();
}

std::string Digits(const std::string& number) {
  std::string out;
  for (char c : number) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

// The practice whose number (PracticeRow.phone, E.164) a patient wrote to.
// Providers differ in how they spell it ("+12175550100", "12175550100",
// "2175550100" for a NANP number), so digits are compared, with the NANP
// country code optional.
StatusOr<std::string> PracticeForNumber(engine::Engine& engine, const std::string& to) {
  const std::string want = Digits(to);
  if (want.empty()) return NotFoundError("no practice has the number written to");
  ASSIGN_OR_RETURN(auto practices, engine.store().practices().List());
  for (const auto& p : practices) {
    const std::string have = Digits(p.phone);
    if (have.empty()) continue;
    if (have == want || have == "1" + want || "1" + have == want) return p.practice_id;
  }
  return NotFoundError("no practice has the number written to");
}

// Message ids are globally unique; the practice is the one whose outbox has it.
StatusOr<std::string> PracticeForMessage(engine::Engine& engine, const std::string& message_id) {
  ASSIGN_OR_RETURN(auto practices, engine.store().practices().List());
  for (const auto& p : practices) {
    if (engine.store().outbox().Get(p.practice_id, message_id).ok()) return p.practice_id;
  }
  return NotFoundError("unknown message");
}

// Records a delivery report. A report can overtake the worker's MarkSent (the
// provider answers before the send is recorded): FailedPrecondition is retried
// for a few seconds, since providers do not resend delivery reports.
Status RecordReport(engine::Engine& engine, const std::string& message_id, const std::string& status,
                    const std::string& reason) {
  if (status == "pending") return OkStatus();  // changes nothing (feedback.h)
  ASSIGN_OR_RETURN(std::string practice, PracticeForMessage(engine, message_id));
  dispatch::DeliveryReport report{practice, message_id, status, reason};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (true) {
    Status s = dispatch::RecordDeliveryReport(engine, report);
    if (s.code() != StatusCode::kFailedPrecondition || std::chrono::steady_clock::now() > deadline) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

HttpResponse ReportResponse(const Status& s) {
  if (s.ok()) return Text(200, "");
  // Unknown messages are answered 200 as well: the provider cannot fix them,
  // and a retry storm would not help. Everything else is the status's code.
  if (s.code() == StatusCode::kNotFound) return Text(200, "");
  return StatusResponse(s);
}

std::string TwilioUrl(const ServerOptions& options, const HttpRequest& req) {
  if (!options.public_url.empty()) {
    std::string base = options.public_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + req.raw_target;
  }
  return std::string(req.tls ? "https://" : "http://") + req.Header("host") + req.raw_target;
}

// X-Twilio-Signature over the URL and the sorted form parameters.
StatusOr<channels::FormParams> VerifiedTwilioForm(const ServerOptions& options, const HttpRequest& req) {
  if (options.twilio_auth_token.empty()) return NotFoundError("not configured");
  ASSIGN_OR_RETURN(auto params, channels::ParseTwilioForm(req.body));
  if (!channels::ValidateTwilioSignature(options.twilio_auth_token, TwilioUrl(options, req), params,
                                         req.Header("x-twilio-signature"))) {
    return PermissionDeniedError("bad signature");
  }
  return params;
}

HttpResponse WebhookRefusal(const Status& s) {
  if (s.code() == StatusCode::kNotFound) return ErrorResponse(404, "not_found");
  if (s.code() == StatusCode::kPermissionDenied) return ErrorResponse(403, "forbidden");
  return ErrorResponse(400, "bad_request");
}

std::string TwilioDeliveryStatus(const channels::TwilioStatusCallback& cb) {
  using channels::TwilioStatus;
  switch (cb.status) {
    case TwilioStatus::kDelivered:
    case TwilioStatus::kRead:
    case TwilioStatus::kCompleted: return "delivered";
    case TwilioStatus::kUndelivered: return "undeliverable";
    case TwilioStatus::kFailed:
    case TwilioStatus::kBusy:
    case TwilioStatus::kNoAnswer:
    case TwilioStatus::kCanceled: return "failed";
    default: return "pending";
  }
}

// Provider message ids seen recently (Kannel's %I, Twilio's MessageSid): a
// provider that retries an inbound message it thinks failed must not have it
// classified twice (a second STOP audit, a second HELP reply). In memory,
// bounded; a restart forgets.
class RecentIds {
 public:
  // True the first time `id` is seen (among the last kCapacity).
  bool FirstTime(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!seen_.insert(id).second) return false;
    order_.push_back(id);
    if (order_.size() > kCapacity) {
      seen_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }
  // After a failure: the provider's retry should be handled.
  void Forget(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.erase(id);
  }

 private:
  static constexpr size_t kCapacity = 100000;
  std::mutex mu_;
  std::set<std::string> seen_;      // GUARDED_BY(mu_)
  std::deque<std::string> order_;   // GUARDED_BY(mu_)
};

Route Webhook(std::string method, std::string path, std::string summary, std::string body_type, std::string actor,
              RouteHandler handler) {
  Route r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.access = Access::kWebhook;
  r.scope = Scope::kInstallation;
  r.summary = std::move(summary);
  r.body_type = std::move(body_type);
  r.public_actor = std::move(actor);
  r.handler = std::move(handler);
  return r;
}

}  // namespace

void AddWebhookRoutes(Router& router, const Deps& deps) {
  const ServerOptions& options = deps.options;
  auto recent = std::make_shared<RecentIds>();
  // A committed opt-out's arrival -> commit time, for /metrics.
  Metrics* metrics = deps.metrics;
  auto observe_opt_out = [metrics](const RequestContext& ctx, const dispatch::InboundResult& result) {
    if (metrics == nullptr || !result.outcome.classification.opt_out) return;
    metrics->ObserveOptOutCommit(std::chrono::steady_clock::now() - ctx.http.received);
  };

  // --- Kannel: sms-service get-url (MO) and dlr-url --------------------------
  router.Add(Webhook("GET", "/v1/webhooks/kannel/{secret}/sms",
                     "Kannel sms-service inbound SMS (get-url " + std::string(channels::kInboundGetUrlQuery) +
                         "); the body of the answer is the reply Kannel sends",
                     "", "webhook:kannel", [&options, recent, observe_opt_out](RequestContext& ctx) {
                       if (!SecretMatches(options.kannel_secret, ctx.vars["secret"]) ||
                           !KannelSourceAllowed(options, ctx.http.remote_addr)) {
                         return ErrorResponse(403, "forbidden");
                       }
                       auto sms = channels::ParseInboundSms(ctx.http.query);
                       if (!sms.ok()) return ErrorResponse(400, "bad_request", sms.status().message());
                       if (!recent->FirstTime("kannel:" + sms->kannel_id)) return Text(200, "");  // a retry
                       auto practice = PracticeForNumber(*ctx.engine, sms->to);
                       if (!practice.ok()) {
                         recent->Forget("kannel:" + sms->kannel_id);
                         return ErrorResponse(404, "unknown_number");
                       }
                       auto result = dispatch::HandleInboundSms(*ctx.engine, *practice, sms->from_e164, sms->text);
                       if (!result.ok()) {
                         recent->Forget("kannel:" + sms->kannel_id);
                         return StatusResponse(result.status());
                       }
                       observe_opt_out(ctx, *result);
                       return Text(200, result->outcome.reply.value_or(""));
                     }));
  router.Add(Webhook("GET", "/v1/webhooks/kannel/{secret}/dlr",
                     "Kannel delivery report (dlr-url ?msg=<id>&status=%d&smsc_id=%F&time=%T)", "", "webhook:kannel",
                     [&options](RequestContext& ctx) {
                       if (!SecretMatches(options.kannel_secret, ctx.vars["secret"]) ||
                           !KannelSourceAllowed(options, ctx.http.remote_addr)) {
                         return ErrorResponse(403, "forbidden");
                       }
                       auto dlr = channels::ParseDeliveryReport(ctx.http.query);
                       if (!dlr.ok()) return ErrorResponse(400, "bad_request", dlr.status().message());
                       std::string status = "pending";
                       switch (dlr->status) {
                         case channels::DeliveryStatus::kDelivered: status = "delivered"; break;
                         case channels::DeliveryStatus::kFailed: status = "failed"; break;
                         case channels::DeliveryStatus::kRejected: status = "undeliverable"; break;
                         default: break;
                       }
                       return ReportResponse(RecordReport(*ctx.engine, dlr->message_id, status,
                                                          std::string("kannel_") +
                                                              std::string(channels::DeliveryStatusName(dlr->status))));
                     }));

  // --- Twilio-compatible: inbound message and status callback -----------------
  router.Add(Webhook("POST", "/v1/webhooks/twilio/sms",
                     "Twilio-compatible inbound SMS (X-Twilio-Signature); answers TwiML with the reply",
                     "application/x-www-form-urlencoded", "webhook:twilio",
                     [&options, recent, observe_opt_out](RequestContext& ctx) {
                       auto params = VerifiedTwilioForm(options, ctx.http);
                       if (!params.ok()) return WebhookRefusal(params.status());
                       auto msg = channels::ParseTwilioInboundMessage(ctx.http.body);
                       if (!msg.ok()) return ErrorResponse(400, "bad_request", msg.status().message());
                       if (!recent->FirstTime("twilio:" + msg->message_sid)) {  // a retry
                         return Text(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
                                     "application/xml");
                       }
                       auto practice = PracticeForNumber(*ctx.engine, msg->to);
                       if (!practice.ok()) {
                         recent->Forget("twilio:" + msg->message_sid);
                         return ErrorResponse(404, "unknown_number");
                       }
                       auto result = dispatch::HandleInboundSms(*ctx.engine, *practice, msg->from, msg->body);
                       if (!result.ok()) {
                         recent->Forget("twilio:" + msg->message_sid);
                         return StatusResponse(result.status());
                       }
                       observe_opt_out(ctx, *result);
                       std::string twiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>";
                       if (result->outcome.reply) twiml += "<Message>" + XmlEscape(*result->outcome.reply) + "</Message>";
                       twiml += "</Response>";
                       return Text(200, twiml, "application/xml");
                     }));
  router.Add(Webhook("POST", "/v1/webhooks/twilio/status",
                     "Twilio-compatible status callback (?msg=<id>; X-Twilio-Signature)",
                     "application/x-www-form-urlencoded", "webhook:twilio", [&options](RequestContext& ctx) {
                       auto params = VerifiedTwilioForm(options, ctx.http);
                       if (!params.ok()) return WebhookRefusal(params.status());
                       auto cb = channels::ParseTwilioStatusCallback(ctx.http.query, ctx.http.body);
                       if (!cb.ok()) return ErrorResponse(400, "bad_request", cb.status().message());
                       std::string reason = cb->error_code ? "twilio_" + std::to_string(*cb->error_code)
                                                           : "twilio_" + std::string(channels::TwilioStatusName(cb->status));
                       return ReportResponse(RecordReport(*ctx.engine, cb->message_id, TwilioDeliveryStatus(*cb), reason));
                     }));

  // --- RVM provider status callback ------------------------------------------
  router.Add(Webhook("POST", "/v1/webhooks/rvm/{secret}/status",
                     "RVM provider status callback (?msg=<id>; shared secret in the path)", "form-or-json",
                     "webhook:rvm", [&options](RequestContext& ctx) {
                       if (!SecretMatches(options.rvm_secret, ctx.vars["secret"])) return ErrorResponse(403, "forbidden");
                       auto cb = channels::ParseRvmStatusCallback(ctx.http.query, ctx.http.Header("content-type"),
                                                                  ctx.http.body);
                       if (!cb.ok()) return ErrorResponse(400, "bad_request", cb.status().message());
                       std::string status = "pending";
                       switch (cb->status) {
                         case channels::RvmDropStatus::kDelivered: status = "delivered"; break;
                         case channels::RvmDropStatus::kFailed: status = cb->hard_bounce ? "undeliverable" : "failed"; break;
                         case channels::RvmDropStatus::kUndeliverable: status = "undeliverable"; break;
                         default: break;
                       }
                       return ReportResponse(RecordReport(*ctx.engine, cb->message_id, status,
                                                          cb->error_code.value_or(
                                                              "rvm_" + std::string(channels::RvmDropStatusName(cb->status)))));
                     }));

  // --- patients' links ---------------------------------------------------------
  auto unsubscribe = [](RequestContext& ctx) {
    auto patient = dispatch::HandleUnsubscribe(*ctx.engine, ctx.vars["token"]);
    if (!patient.ok()) {
      if (patient.status().code() == StatusCode::kUnauthenticated) {
        return Page(404, "Link not valid", "This unsubscribe link is not valid. Please contact your practice.");
      }
      return Page(HttpStatusFor(patient.status().code()), "Please try again",
                  "We could not process this request right now. Please try again later.");
    }
    return Page(200, "You are unsubscribed",
                "You will no longer receive messages from this practice by email, text or phone. "
                "Appointment-related calls from the office itself are not affected.");
  };
  router.Add(Webhook("GET", "/u/{token}", "unsubscribe link: unsubscribes every channel; a plain confirmation page",
                     "", "link:unsubscribe", unsubscribe));
  router.Add(Webhook("POST", "/u/{token}", "RFC 8058 one-click unsubscribe (List-Unsubscribe=One-Click)", "*",
                     "link:unsubscribe", unsubscribe));
  router.Add(Webhook("GET", "/c/{token}", "consent confirmation link: records SMS consent", "", "link:confirm",
                     [](RequestContext& ctx) {
                       std::string agent = ctx.http.Header("user-agent").substr(0, 256);
                       auto patient = dispatch::HandleConsentConfirmation(*ctx.engine, ctx.vars["token"],
                                                                          ctx.http.remote_addr, agent);
                       if (!patient.ok()) {
                         if (patient.status().code() == StatusCode::kUnauthenticated) {
                           return Page(404, "Link not valid", "This confirmation link is not valid.");
                         }
                         return Page(HttpStatusFor(patient.status().code()), "Please try again",
                                     "We could not record your confirmation right now. Please try again later.");
                       }
                       return Page(200, "Thank you", "Your practice may now send you text messages. Reply STOP to any "
                                                     "message to stop them.");
                     }));
}

}  // namespace recall::server::internal
