#pragma once
// Channel configuration: which transport carries which practice's messages.
//
// The IT engineer wires vendors in one JSON file (default <data>/channels.json;
// format and example in docs/channels.md). ParseChannelConfig turns it into a
// ChannelRegistry that owns one Channel (or carrier lookup) per transport
// entry, built through the backends' factories, and answers:
//   For(practice, channel)     the Channel for a message of that kind
//   RateFor(practice, channel) the send rate for that sender class
//   LookupFor(practice)        the carrier line-type lookup
//
// Matching: an entry names a practice ("prc_..." or "*") and a channel
// ("email", "sms", "voice", "rvm", "lookup", or "*" = any message channel;
// "lookup" is never matched by "*"). For a (practice, channel) pair the entry
// for that exact practice wins over a "*" practice entry; within the same
// practice, the exact channel wins over "*". Two entries with the same
// practice and channel are refused.
//
// Secrets (passwords, tokens, API keys) come from `<key>_env` (the name of an
// environment variable) or `<key>_file` (a file whose content, trailing
// whitespace removed, is the secret); an inline `<key>` is accepted but
// discouraged (the file then holds the secret). Exactly one of the three.
//
// Ownership and thread-safety: the registry owns its channels; it is immutable
// after parsing, so For/RateFor/LookupFor may be called from any thread, and
// the channels keep their own thread-safety promise. The Clock given to
// ParseChannelConfig must outlive the registry.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/channel.h"
#include "channels/lookup/line_type_lookup.h"
#include "common/clock.h"
#include "common/status.h"

namespace recall::channels {

// A token bucket: `per_second` sustained, up to `burst` at once.
struct ChannelRate {
  double per_second = 1;
  int burst = 1;
};

// The default rate of a sender class when an entry has none: sms 1/s (a US
// long code), voice 1/s, rvm 3/s, email 100/s, lookup 10/s; burst defaults to
// max(1, per_second).
ChannelRate DefaultRateFor(std::string_view channel);

class ChannelRegistry {
 public:
  struct Entry {
    std::string practice;  // "prc_..." or "*"
    std::string channel;   // "email" | "sms" | "voice" | "rvm" | "lookup" | "*"
    std::string type;      // "smtp" | "kannel" | "twilio" | "rvm" | "file" | "twilio_lookup"
    std::optional<double> rate_per_second;
    std::optional<int> burst;
    std::unique_ptr<Channel> channel_impl;        // null for "lookup" entries
    std::unique_ptr<LineTypeLookup> lookup_impl;  // null otherwise
  };

  explicit ChannelRegistry(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  // The channel for a message of kind `channel` ("email", "sms", "voice",
  // "rvm") of `practice_id`. InvalidArgument for another kind; NotFound
  // ("no transport configured for sms of prc_...") when no entry matches.
  StatusOr<Channel*> For(const std::string& practice_id, std::string_view channel) const;
  // The matching entry's rate, or DefaultRateFor(channel) for what it leaves
  // out. Errors as For (channel may also be "lookup").
  StatusOr<ChannelRate> RateFor(const std::string& practice_id, std::string_view channel) const;
  // The carrier lookup for `practice_id`. NotFound when none is configured.
  StatusOr<LineTypeLookup*> LookupFor(const std::string& practice_id) const;

  size_t size() const { return entries_.size(); }

 private:
  // The best entry for (practice, channel), or null.
  const Entry* Match(const std::string& practice_id, std::string_view channel) const;

  std::vector<Entry> entries_;
};

struct ChannelConfigOptions {
  // Reads an environment variable for `*_env` keys; nullopt when unset.
  // Default (empty): ::getenv.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// Parses and builds. InvalidArgument when the text is not JSON, the shape is
// wrong, or an entry has an unknown key, a wrong type, an unknown type or
// channel, a type that cannot serve its channel, a missing required field, an
// unset secret variable or an unreadable secret file, a bad rate, or a
// duplicate (practice, channel); the message names the entry index and the
// key, never a secret. Errors of the backend factories (InvalidArgument for a
// bad URL, ...) are returned with the entry index prepended.
StatusOr<std::unique_ptr<ChannelRegistry>> ParseChannelConfig(std::string_view json_text, const Clock& clock,
                                                              const ChannelConfigOptions& options = {});

// Reads `path` and parses it. NotFound when the file does not exist;
// FailedPrecondition when it cannot be read; otherwise as ParseChannelConfig.
StatusOr<std::unique_ptr<ChannelRegistry>> LoadChannelConfig(const std::string& path, const Clock& clock,
                                                             const ChannelConfigOptions& options = {});

}  // namespace recall::channels
