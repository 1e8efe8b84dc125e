#include "server/body_stream.h"

#include <stdexcept>

namespace recall::server::internal {

// --- HashingBodyStream -------------------------------------------------------

HashingBodyStream::HashingBodyStream(BodyStream& inner) : inner_(inner), ctx_(EVP_MD_CTX_new()) {
  if (ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = nullptr;
  }
}

HashingBodyStream::~HashingBodyStream() {
  if (ctx_ != nullptr) EVP_MD_CTX_free(ctx_);
}

Status HashingBodyStream::Read(const std::function<bool(std::string_view)>& chunk) {
  if (ctx_ == nullptr) return InternalError("SHA-256 unavailable");
  used_ = true;
  return inner_.Read([&](std::string_view data) {
    EVP_DigestUpdate(ctx_, data.data(), data.size());
    return chunk(data);
  });
}

Status HashingBodyStream::ReadRest() {
  if (inner_.finished()) return OkStatus();
  if (used_) return FailedPreconditionError("the body was partly read");
  return Read([](std::string_view) { return true; });
}

std::string HashingBodyStream::HexDigest() {
  if (!inner_.finished() || ctx_ == nullptr) return "";
  if (hex_.empty()) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_, digest, &len) != 1) return "";
    static const char kHex[] = "0123456789abcdef";
    for (unsigned int idx = 0; idx < len; ++idx) {
      hex_.push_back(kHex[digest[idx] >> 4]);
      hex_.push_back(kHex[digest[idx] & 0xF]);
    }
  }
  return hex_;
}

// --- BodyPipe ------------------------------------------------------------------

BodyPipe::BodyPipe(BodyStream& body, size_t capacity)
    : body_(body), capacity_(capacity), buffer_(this), in_(&buffer_) {
  reader_ = std::thread([this] {
    Status s = body_.Read([this](std::string_view chunk) { return Push(chunk); });
    std::lock_guard<std::mutex> lock(mu_);
    status_ = s;
    ended_ = true;
    cv_.notify_all();
  });
}

BodyPipe::~BodyPipe() { (void)Close(); }

Status BodyPipe::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  if (reader_.joinable()) reader_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

bool BodyPipe::Push(std::string_view chunk) {
  std::unique_lock<std::mutex> lock(mu_);
  if (chunk.empty()) return !closed_;
  // Small reads from the socket are coalesced into blocks of up to 64 KiB.
  cv_.wait(lock, [&] { return closed_ || queued_ + chunk.size() <= capacity_ || chunks_.empty(); });
  // The consumer stopped early (a malformed file): the rest of the body is
  // read and dropped, so the connection stays in step and the whole body is
  // hashed (Idempotency-Key).
  if (closed_) return true;
  if (!chunks_.empty() && chunks_.back().size() + chunk.size() <= 64 * 1024) {
    chunks_.back().append(chunk);
  } else {
    chunks_.emplace_back(chunk);
  }
  queued_ += chunk.size();
  cv_.notify_all();
  return true;
}

bool BodyPipe::Pop(std::string* chunk) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !chunks_.empty() || ended_; });
  if (!chunks_.empty()) {
    *chunk = std::move(chunks_.front());
    chunks_.pop_front();
    queued_ -= chunk->size();
    cv_.notify_all();
    return true;
  }
  // The reader is done: a clean end, or a body that must not look complete.
  if (!status_.ok() || !body_.finished()) throw std::runtime_error("the request body did not arrive whole");
  return false;
}

BodyPipe::Buffer::int_type BodyPipe::Buffer::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (!pipe_->Pop(&current_)) return traits_type::eof();
  setg(current_.data(), current_.data(), current_.data() + current_.size());
  return traits_type::to_int_type(*gptr());
}

}  // namespace recall::server::internal
