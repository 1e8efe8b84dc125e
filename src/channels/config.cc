#include "channels/config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "channels/file/file_channel.h"
#include "channels/kannel/kannel_channel.h"
#include "channels/rvm/rvm_channel.h"
#include "channels/smtp/smtp_channel.h"
#include "channels/twilio/twilio_channel.h"
#include "common/text.h"

namespace recall::channels {
namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "channels config: ";

// Keys are echoed in errors only when they look like names.
std::string PrintableKey(std::string_view key) {
  const bool printable = !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  return printable ? "'" + std::string(key) + "'" : std::string("(unprintable)");
}

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FailedPreconditionError("cannot be read");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Reads the keys of one JSON object (a transport entry or a DKIM key), checks
// their types, and remembers which were read so the rest can be refused.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string where, const ChannelConfigOptions& options)
      : object_(object), where_(std::move(where)), options_(options) {}

  Status Error(std::string_view key, std::string_view problem) const {
    return InvalidArgumentError(std::string(kPrefix) + where_ + ": " + PrintableKey(key) + " " + std::string(problem));
  }
  Status Error(std::string_view problem) const {
    return InvalidArgumentError(std::string(kPrefix) + where_ + ": " + std::string(problem));
  }
  const std::string& where() const { return where_; }

  bool Has(const std::string& key) {
    seen_.insert(key);
    return object_.contains(key);
  }

  StatusOr<std::string> String(const std::string& key, bool required, std::string fallback = "") {
    if (!Has(key)) {
      if (required) return Error(key, "is required");
      return fallback;
    }
    const json& value = object_.at(key);
    if (!value.is_string()) return Error(key, "must be a string");
    std::string text = value.get<std::string>();
    if (!IsValidUtf8(text)) return Error(key, "is not UTF-8");
    if (required && text.empty()) return Error(key, "must not be empty");
    return text;
  }

  StatusOr<std::optional<int64_t>> Int(const std::string& key, int64_t min, int64_t max) {
    if (!Has(key)) return std::optional<int64_t>();
    const json& value = object_.at(key);
    if (!value.is_number_integer()) return Error(key, "must be an integer");
    const int64_t n = value.get<int64_t>();
    if (n < min || n > max) {
      return Error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return std::optional<int64_t>(n);
  }

  StatusOr<std::optional<double>> Number(const std::string& key, double min_exclusive, double max) {
    if (!Has(key)) return std::optional<double>();
    const json& value = object_.at(key);
    if (!value.is_number()) return Error(key, "must be a number");
    const double n = value.get<double>();
    if (!std::isfinite(n) || n <= min_exclusive || n > max) return Error(key, "is out of range");
    return std::optional<double>(n);
  }

  StatusOr<std::optional<bool>> Bool(const std::string& key) {
    if (!Has(key)) return std::optional<bool>();
    const json& value = object_.at(key);
    if (!value.is_boolean()) return Error(key, "must be true or false");
    return std::optional<bool>(value.get<bool>());
  }

  // A timeout in milliseconds, 1 ms .. 10 min; `fallback` when absent.
  StatusOr<std::chrono::milliseconds> Millis(const std::string& key, std::chrono::milliseconds fallback) {
    ASSIGN_OR_RETURN(auto ms, Int(key, 1, 600'000));
    return ms ? std::chrono::milliseconds(*ms) : fallback;
  }

  // A secret from `key` (inline, discouraged), `key_env` or `key_file`:
  // exactly one. Its value never appears in an error.
  StatusOr<std::string> Secret(const std::string& key, bool required) {
    const bool inline_value = Has(key);
    const bool from_env = Has(key + "_env");
    const bool from_file = Has(key + "_file");
    const int sources = int{inline_value} + int{from_env} + int{from_file};
    if (sources > 1) return Error(key, "is given more than once (use one of " + key + "_env, " + key + "_file)");
    if (sources == 0) {
      if (required) return Error(key + "_env", "is required (or " + key + "_file)");
      return std::string();
    }
    std::string secret;
    if (inline_value) {
      if (!object_.at(key).is_string()) return Error(key, "must be a string");
      secret = object_.at(key).get<std::string>();
    } else if (from_env) {
      ASSIGN_OR_RETURN(std::string name, String(key + "_env", true));
      std::optional<std::string> value;
      if (options_.getenv) {
        value = options_.getenv(name);
      } else if (const char* raw = std::getenv(name.c_str()); raw != nullptr) {
        value = std::string(raw);
      }
      if (!value || value->empty()) {
        return Error(key + "_env", "names an environment variable that is unset or empty (" + PrintableKey(name) + ")");
      }
      secret = std::move(*value);
    } else {
      ASSIGN_OR_RETURN(std::string path, String(key + "_file", true));
      auto content = ReadWholeFile(path);
      if (!content.ok()) return Error(key + "_file", "names a file that cannot be read");
      secret = std::move(*content);
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ' ||
                                 secret.back() == '\t')) {
        secret.pop_back();
      }
    }
    if (secret.empty() && required) return Error(key, "is empty");
    return secret;
  }

  // InvalidArgument naming the first key that was never read.
  Status RefuseUnknownKeys() const {
    for (const auto& [key, value] : object_.items()) {
      if (!seen_.count(key) && key != "comment") return Error(key, "is not a known key here");
    }
    return OkStatus();
  }

 private:
  const json& object_;
  const std::string where_;
  const ChannelConfigOptions& options_;
  std::set<std::string> seen_;
};

bool IsPracticeId(std::string_view id) {
  if (id == "*") return true;
  return id.starts_with("prc_") && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
         });
}

bool IsEntryChannel(std::string_view channel) {
  return IsKnownChannelKind(channel) || channel == "lookup" || channel == "*";
}

// Which entry channels each transport type can serve.
bool TypeServes(std::string_view type, std::string_view channel) {
  if (type == "smtp") return channel == "email";
  if (type == "kannel") return channel == "sms";
  if (type == "twilio") return channel == "sms" || channel == "voice";
  if (type == "rvm") return channel == "rvm";
  if (type == "twilio_lookup") return channel == "lookup";
  if (type == "file") return channel != "lookup";
  return false;
}

bool IsKnownType(std::string_view type) {
  return type == "smtp" || type == "kannel" || type == "twilio" || type == "rvm" || type == "file" ||
         type == "twilio_lookup";
}

StatusOr<std::vector<DkimOptions>> ReadDkim(const json& entry, const std::string& where,
                                            const ChannelConfigOptions& options) {
  std::vector<DkimOptions> keys;
  auto it = entry.find("dkim");
  if (it == entry.end()) return keys;
  if (!it->is_array()) {
    return InvalidArgumentError(std::string(kPrefix) + where + ": 'dkim' must be an array of objects");
  }
  for (size_t idx = 0; idx < it->size(); ++idx) {
    const json& item = (*it)[idx];
    const std::string item_where = where + ": dkim[" + std::to_string(idx) + "]";
    if (!item.is_object()) return InvalidArgumentError(std::string(kPrefix) + item_where + ": must be an object");
    ObjectReader r(item, item_where, options);
    DkimOptions d;
    ASSIGN_OR_RETURN(d.domain, r.String("domain", true));
    ASSIGN_OR_RETURN(d.selector, r.String("selector", true));
    // The private key is a secret like any other: key_file (usual) or key_env.
    ASSIGN_OR_RETURN(d.private_key_pem, r.Secret("key", true));
    RETURN_IF_ERROR(r.RefuseUnknownKeys());
    keys.push_back(std::move(d));
  }
  return keys;
}

StatusOr<std::unique_ptr<Channel>> BuildKannel(ObjectReader& r) {
  KannelConfig c;
  ASSIGN_OR_RETURN(c.sendsms_url, r.String("sendsms_url", true));
  ASSIGN_OR_RETURN(c.username, r.String("username", true));
  ASSIGN_OR_RETURN(c.password, r.Secret("password", true));
  ASSIGN_OR_RETURN(c.from, r.String("from", false));
  ASSIGN_OR_RETURN(c.smsc_id, r.String("smsc_id", false));
  ASSIGN_OR_RETURN(c.dlr_url_base, r.String("dlr_url_base", true));
  ASSIGN_OR_RETURN(auto mask, r.Int("dlr_mask", 0, 31));
  if (mask) c.dlr_mask = static_cast<int>(*mask);
  ASSIGN_OR_RETURN(c.connect_timeout, r.Millis("connect_timeout_ms", c.connect_timeout));
  ASSIGN_OR_RETURN(c.request_timeout, r.Millis("timeout_ms", c.request_timeout));
  RETURN_IF_ERROR(r.RefuseUnknownKeys());
  return NewKannelChannel(std::move(c));
}

StatusOr<std::unique_ptr<Channel>> BuildTwilio(ObjectReader& r) {
  TwilioConfig c;
  ASSIGN_OR_RETURN(c.api_base, r.String("api_base", false, c.api_base));
  ASSIGN_OR_RETURN(c.account_sid, r.String("account_sid", true));
  ASSIGN_OR_RETURN(c.auth_token, r.Secret("auth_token", true));
  ASSIGN_OR_RETURN(c.from_number, r.String("from", false));
  ASSIGN_OR_RETURN(c.messaging_service_sid, r.String("messaging_service_sid", false));
  ASSIGN_OR_RETURN(c.status_callback_url, r.String("status_callback_url", false));
  ASSIGN_OR_RETURN(c.voice_twiml_url, r.String("voice_twiml_url", false));
  ASSIGN_OR_RETURN(c.say_language, r.String("say_language", false));
  ASSIGN_OR_RETURN(c.say_voice, r.String("say_voice", false));
  ASSIGN_OR_RETURN(c.connect_timeout, r.Millis("connect_timeout_ms", c.connect_timeout));
  ASSIGN_OR_RETURN(c.request_timeout, r.Millis("timeout_ms", c.request_timeout));
  RETURN_IF_ERROR(r.RefuseUnknownKeys());
  return NewTwilioChannel(std::move(c));
}

StatusOr<std::unique_ptr<Channel>> BuildRvm(ObjectReader& r) {
  RvmConfig c;
  ASSIGN_OR_RETURN(c.api_base, r.String("api_base", true));
  ASSIGN_OR_RETURN(c.api_key, r.Secret("api_key", true));
  ASSIGN_OR_RETURN(c.from_number, r.String("from", true));
  ASSIGN_OR_RETURN(c.status_callback_url, r.String("status_callback_url", false));
  ASSIGN_OR_RETURN(auto max_audio, r.Int("max_audio_bytes", 1, int64_t{1} << 30));
  if (max_audio) c.max_audio_bytes = static_cast<size_t>(*max_audio);
  ASSIGN_OR_RETURN(c.connect_timeout, r.Millis("connect_timeout_ms", c.connect_timeout));
  ASSIGN_OR_RETURN(c.request_timeout, r.Millis("timeout_ms", c.request_timeout));
  RETURN_IF_ERROR(r.RefuseUnknownKeys());
  return NewRvmChannel(std::move(c));
}

StatusOr<std::unique_ptr<Channel>> BuildFile(ObjectReader& r, const Clock& clock) {
  FileChannelOptions o;
  ASSIGN_OR_RETURN(o.dir, r.String("dir", true));
  RETURN_IF_ERROR(r.RefuseUnknownKeys());
  return NewFileChannel(std::move(o), clock);
}

StatusOr<std::unique_ptr<LineTypeLookup>> BuildLookup(ObjectReader& r) {
  TwilioLookupConfig c;
  ASSIGN_OR_RETURN(c.api_base, r.String("api_base", false, c.api_base));
  ASSIGN_OR_RETURN(c.account_sid, r.String("account_sid", true));
  ASSIGN_OR_RETURN(c.auth_token, r.Secret("auth_token", true));
  ASSIGN_OR_RETURN(c.connect_timeout, r.Millis("connect_timeout_ms", c.connect_timeout));
  ASSIGN_OR_RETURN(c.request_timeout, r.Millis("timeout_ms", c.request_timeout));
  RETURN_IF_ERROR(r.RefuseUnknownKeys());
  return NewTwilioLookup(std::move(c));
}

StatusOr<ChannelRegistry::Entry> BuildEntry(const json& item, size_t index, const Clock& clock,
                                            const ChannelConfigOptions& options) {
  std::string where = "entry " + std::to_string(index);
  if (!item.is_object()) return InvalidArgumentError(std::string(kPrefix) + where + ": must be an object");
  ObjectReader r(item, where, options);
  ChannelRegistry::Entry entry;
  ASSIGN_OR_RETURN(entry.practice, r.String("practice", false, "*"));
  if (!IsPracticeId(entry.practice)) return r.Error("practice", "must be \"*\" or a practice id (prc_...)");
  ASSIGN_OR_RETURN(entry.channel, r.String("channel", true));
  if (!IsEntryChannel(entry.channel)) return r.Error("channel", "must be email, sms, voice, rvm, lookup or *");
  ASSIGN_OR_RETURN(entry.type, r.String("type", true));
  if (!IsKnownType(entry.type)) return r.Error("type", "must be smtp, kannel, twilio, rvm, file or twilio_lookup");
  if (!TypeServes(entry.type, entry.channel)) {
    return r.Error("type", "cannot serve channel " + PrintableKey(entry.channel));
  }
  ASSIGN_OR_RETURN(entry.rate_per_second, r.Number("rate_per_second", 0, 100000));
  ASSIGN_OR_RETURN(auto burst, r.Int("burst", 1, 100000));
  if (burst) entry.burst = static_cast<int>(*burst);

  // From here on errors name the type too.
  const std::string context = std::string(kPrefix) + where + " (" + entry.type + ")";
  if (entry.type == "smtp") {
    // DKIM keys are objects: read them with their own reader, then the rest.
    ASSIGN_OR_RETURN(auto dkim, ReadDkim(item, where, options));
    SmtpOptions o;
    ASSIGN_OR_RETURN(o.host, r.String("host", true));
    ASSIGN_OR_RETURN(auto port, r.Int("port", 1, 65535));
    if (port) o.port = static_cast<int>(*port);
    ASSIGN_OR_RETURN(std::string tls, r.String("tls", false, "starttls"));
    if (tls == "none") {
      o.tls = SmtpTls::kNone;
    } else if (tls == "starttls") {
      o.tls = SmtpTls::kStartTlsRequired;
    } else if (tls == "starttls_if_offered") {
      o.tls = SmtpTls::kStartTlsIfOffered;
    } else if (tls == "implicit") {
      o.tls = SmtpTls::kImplicit;
    } else {
      return r.Error("tls", "must be none, starttls, starttls_if_offered or implicit");
    }
    ASSIGN_OR_RETURN(o.ca_file, r.String("ca_file", false));
    ASSIGN_OR_RETURN(auto verify, r.Bool("verify_peer"));
    if (verify) o.verify_peer = *verify;
    ASSIGN_OR_RETURN(o.username, r.String("username", false));
    ASSIGN_OR_RETURN(o.password, r.Secret("password", !o.username.empty()));
    ASSIGN_OR_RETURN(o.helo_domain, r.String("helo_domain", false));
    ASSIGN_OR_RETURN(o.envelope_from, r.String("envelope_from", false));
    ASSIGN_OR_RETURN(o.connect_timeout, r.Millis("connect_timeout_ms", o.connect_timeout));
    ASSIGN_OR_RETURN(o.total_timeout, r.Millis("timeout_ms", o.total_timeout));
    r.Has("dkim");  // read above
    RETURN_IF_ERROR(r.RefuseUnknownKeys());
    o.dkim = std::move(dkim);
    auto channel = NewSmtpChannel(std::move(o), clock);
    if (!channel.ok()) return channel.status().WithContext(context);
    entry.channel_impl = std::move(channel).value();
  } else if (entry.type == "twilio_lookup") {
    auto lookup = BuildLookup(r);
    if (!lookup.ok()) {
      return lookup.status().message().starts_with(kPrefix) ? lookup.status() : lookup.status().WithContext(context);
    }
    entry.lookup_impl = std::move(lookup).value();
  } else {
    StatusOr<std::unique_ptr<Channel>> channel = InternalError("unreachable");
    if (entry.type == "kannel") channel = BuildKannel(r);
    if (entry.type == "twilio") channel = BuildTwilio(r);
    if (entry.type == "rvm") channel = BuildRvm(r);
    if (entry.type == "file") channel = BuildFile(r, clock);
    if (!channel.ok()) {
      // Our own messages already name the entry; the factories' do not.
      return channel.status().message().starts_with(kPrefix) ? channel.status() : channel.status().WithContext(context);
    }
    entry.channel_impl = std::move(channel).value();
  }
  return entry;
}

}  // namespace

ChannelRate DefaultRateFor(std::string_view channel) {
  double per_second = 1;
  if (channel == "rvm") per_second = 3;
  if (channel == "email") per_second = 100;
  if (channel == "lookup") per_second = 10;
  return {per_second, std::max(1, static_cast<int>(per_second))};
}

const ChannelRegistry::Entry* ChannelRegistry::Match(const std::string& practice_id, std::string_view channel) const {
  const Entry* best = nullptr;
  int best_rank = -1;
  for (const Entry& e : entries_) {
    const bool practice_exact = e.practice == practice_id;
    if (!practice_exact && e.practice != "*") continue;
    const bool channel_exact = e.channel == channel;
    // "*" stands for any message channel, never for the lookup.
    if (!channel_exact && (e.channel != "*" || channel == "lookup")) continue;
    const int rank = (practice_exact ? 2 : 0) + (channel_exact ? 1 : 0);
    if (rank > best_rank) {
      best = &e;
      best_rank = rank;
    }
  }
  return best;
}

StatusOr<Channel*> ChannelRegistry::For(const std::string& practice_id, std::string_view channel) const {
  if (!IsKnownChannelKind(channel)) return InvalidArgumentError("channels: unknown message channel");
  const Entry* e = Match(practice_id, channel);
  if (e == nullptr || e->channel_impl == nullptr) {
    return NotFoundError("no transport configured for " + std::string(channel) + " of practice " + practice_id);
  }
  return e->channel_impl.get();
}

StatusOr<ChannelRate> ChannelRegistry::RateFor(const std::string& practice_id, std::string_view channel) const {
  if (!IsKnownChannelKind(channel) && channel != "lookup") {
    return InvalidArgumentError("channels: unknown channel");
  }
  const Entry* e = Match(practice_id, channel);
  if (e == nullptr) {
    return NotFoundError("no transport configured for " + std::string(channel) + " of practice " + practice_id);
  }
  ChannelRate rate = DefaultRateFor(channel);
  if (e->rate_per_second) {
    rate.per_second = *e->rate_per_second;
    rate.burst = std::max(1, static_cast<int>(rate.per_second));
  }
  if (e->burst) rate.burst = *e->burst;
  return rate;
}

StatusOr<LineTypeLookup*> ChannelRegistry::LookupFor(const std::string& practice_id) const {
  const Entry* e = Match(practice_id, "lookup");
  if (e == nullptr || e->lookup_impl == nullptr) {
    return NotFoundError("no carrier lookup configured for practice " + practice_id);
  }
  return e->lookup_impl.get();
}

StatusOr<std::unique_ptr<ChannelRegistry>> ParseChannelConfig(std::string_view json_text, const Clock& clock,
                                                              const ChannelConfigOptions& options) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    // The byte offset only: the text around it may be a secret.
    return InvalidArgumentError(std::string(kPrefix) + "not JSON (at byte " + std::to_string(e.byte) + ")");
  }
  if (!root.is_object()) return InvalidArgumentError(std::string(kPrefix) + "must be an object with \"transports\"");
  for (const auto& [key, value] : root.items()) {
    if (key != "transports" && key != "comment") {
      return InvalidArgumentError(std::string(kPrefix) + PrintableKey(key) + " is not a known key here");
    }
  }
  auto transports = root.find("transports");
  if (transports == root.end() || !transports->is_array()) {
    return InvalidArgumentError(std::string(kPrefix) + "'transports' must be an array");
  }
  std::vector<ChannelRegistry::Entry> entries;
  for (size_t index = 0; index < transports->size(); ++index) {
    ASSIGN_OR_RETURN(auto entry, BuildEntry((*transports)[index], index, clock, options));
    for (size_t other = 0; other < entries.size(); ++other) {
      if (entries[other].practice == entry.practice && entries[other].channel == entry.channel) {
        return InvalidArgumentError(std::string(kPrefix) + "entry " + std::to_string(index) +
                                    ": same practice and channel as entry " + std::to_string(other));
      }
    }
    entries.push_back(std::move(entry));
  }
  return std::make_unique<ChannelRegistry>(std::move(entries));
}

StatusOr<std::unique_ptr<ChannelRegistry>> LoadChannelConfig(const std::string& path, const Clock& clock,
                                                             const ChannelConfigOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFoundError("channels config file not found (see docs/channels.md)");
  }
  auto text = ReadWholeFile(path);
  if (!text.ok()) return FailedPreconditionError("channels config file cannot be read");
  return ParseChannelConfig(*text, clock, options);
}

}  // namespace recall::channels
