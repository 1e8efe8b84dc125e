#include "channels/channel.h"

namespace recall::channels {

bool IsHardBounce(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition &&
         status.message().find(kHardBounceMarker) != std::string::npos;
}

void FaultInjectingChannel::FailNthCallForTest(int n, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_[n] = std::move(status);
}

void FaultInjectingChannel::FailFromCallForTest(int n, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_from_ = n;
  fail_from_status_ = std::move(status);
}

int FaultInjectingChannel::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

StatusOr<Receipt> FaultInjectingChannel::Send(const OutboundMessage& message) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int call = ++calls_;
    if (auto it = faults_.find(call); it != faults_.end() && !it->second.ok()) return it->second;
    if (fail_from_ > 0 && call >= fail_from_ && !fail_from_status_.ok()) return fail_from_status_;
  }
  return ChannelWrapper::Send(message);
}

bool IsKnownChannelKind(std::string_view kind) {
  return kind == "email" || kind == "sms" || kind == "voice" || kind == "rvm";
}

Status CheckMessageId(std::string_view message_id) {
  if (message_id.empty() || message_id.size() > 128 || message_id.front() == '.') {
    return InvalidArgumentError("message_id must be 1..128 characters and not start with '.'");
  }
  for (char c : message_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return InvalidArgumentError("message_id may hold only [A-Za-z0-9_.-]");
  }
  return OkStatus();
}

}  // namespace recall::channels
