#pragma once
// Test helpers for code that drives the dispatch worker: a channel that
// records what it is asked to send, and a ChannelSource over two of them.
// For tests only.
#include <mutex>
#include <string>
#include <vector>

#include "channels/channel.h"
#include "dispatch/worker.h"

namespace recall::dispatch {

// Records what it is asked to send; fails on demand. Thread-safe.
class RecordingChannel final : public channels::Channel {
 public:
  std::string_view name() const override { return "recording"; }
  StatusOr<channels::Receipt> Send(const channels::OutboundMessage& m) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    if (!fail_with_.ok()) return fail_with_;
    sent_.push_back(m);
    return channels::Receipt{"prov-" + m.message_id, ""};
  }
  void FailWith(Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_with_ = std::move(s);
  }
  std::vector<channels::OutboundMessage> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::vector<channels::OutboundMessage> sent_;
  Status fail_with_;
  int calls_ = 0;
};

class TestChannels final : public ChannelSource {
 public:
  StatusOr<channels::Channel*> ChannelFor(const std::string&, const std::string& channel) override {
    if (channel == "sms") return &sms;
    if (channel == "email") return &email;
    return NotFoundError("no transport for " + channel);
  }
  RateLimit RateFor(const std::string&, const std::string& channel) override {
    return channel == "sms" ? sms_rate : RateLimit{100, 100};
  }
  RecordingChannel sms, email;
  RateLimit sms_rate{100, 100};
};

}  // namespace recall::dispatch
