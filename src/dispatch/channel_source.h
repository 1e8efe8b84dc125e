#pragma once
// The worker's ChannelSource over the IT engineer's channel configuration
// (channels/config.h: <data>/channels.json). Used by `recall worker` and
// `recall serve`.
#include <memory>

#include "channels/config.h"
#include "dispatch/worker.h"

namespace recall::dispatch {

class RegistryChannelSource final : public ChannelSource {
 public:
  explicit RegistryChannelSource(std::unique_ptr<channels::ChannelRegistry> registry)
      : registry_(std::move(registry)) {}
  StatusOr<channels::Channel*> ChannelFor(const std::string& practice_id, const std::string& channel) override {
    return registry_->For(practice_id, channel);
  }
  // The transport's rate; the default class rate when the entry is unknown
  // (ChannelFor then fails anyway).
  RateLimit RateFor(const std::string& practice_id, const std::string& channel) override {
    auto rate = registry_->RateFor(practice_id, channel);
    if (!rate.ok()) return RateLimit{};
    return RateLimit{rate->per_second, rate->burst};
  }

 private:
  std::unique_ptr<channels::ChannelRegistry> registry_;
};

}  // namespace recall::dispatch
