#pragma once
// Internal to src/server/: helpers for streamed request bodies (http.h,
// BodyStream): a decorator that hashes a body as it passes, and an
// std::istream over a body for the CSV importer.
//
// BodyPipe: a reader thread pulls the body from the socket (BodyStream::Read)
// into a bounded queue; the handler's thread reads the queue through an
// istream, so at most `capacity` bytes of the upload are in memory and none
// is written to disk. When the body breaks off or is over its limit, the
// istream goes bad (badbit) instead of ending: a truncated CSV must never
// look complete to the importer, which then rolls back.
//
// Thread-safety: a BodyPipe is used by one consumer thread; its reader thread
// is its own. HashingBodyStream is not thread-safe (one Read at a time, as
// any BodyStream).
#include <openssl/evp.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <istream>
#include <memory>
#include <mutex>
#include <streambuf>
#include <string>
#include <thread>

#include "common/status.h"
#include "server/http.h"

namespace recall::server::internal {

// Hashes (SHA-256) every byte read through it.
class HashingBodyStream final : public BodyStream {
 public:
  explicit HashingBodyStream(BodyStream& inner);
  ~HashingBodyStream() override;
  HashingBodyStream(const HashingBodyStream&) = delete;
  HashingBodyStream& operator=(const HashingBodyStream&) = delete;

  Status Read(const std::function<bool(std::string_view)>& chunk) override;
  bool finished() const override { return inner_.finished(); }
  size_t bytes() const override { return inner_.bytes(); }

  // Reads (and hashes) whatever is left unread. No-op when finished; the
  // errors of Read otherwise. A Read that was cancelled part-way cannot be
  // resumed: FailedPrecondition.
  Status ReadRest();
  // Hex SHA-256 of the whole body; "" unless finished().
  std::string HexDigest();

 private:
  BodyStream& inner_;
  EVP_MD_CTX* ctx_ = nullptr;
  bool used_ = false;
  std::string hex_;
};

class BodyPipe {
 public:
  // Starts the reader thread at once.
  explicit BodyPipe(BodyStream& body, size_t capacity = size_t{1} << 20);
  // Close()s.
  ~BodyPipe();
  BodyPipe(const BodyPipe&) = delete;
  BodyPipe& operator=(const BodyPipe&) = delete;

  std::istream& stream() { return in_; }
  // Stops the reader (reading and dropping the rest of the body if the
  // consumer stopped early), joins it, and returns its status:
  // ResourceExhausted over the body's limit, InvalidArgument for a body that
  // broke off.
  Status Close();

 private:
  class Buffer final : public std::streambuf {
   public:
    explicit Buffer(BodyPipe* pipe) : pipe_(pipe) {}

   protected:
    int_type underflow() override;

   private:
    BodyPipe* pipe_;
    std::string current_;
  };

  bool Push(std::string_view chunk);
  // The next chunk for the consumer; false at the end of the body. Throws
  // (so the istream sets badbit) when the reader failed.
  bool Pop(std::string* chunk);

  BodyStream& body_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;  // GUARDED_BY(mu_)
  size_t queued_ = 0;               // GUARDED_BY(mu_)
  bool ended_ = false;              // GUARDED_BY(mu_): the reader returned
  bool closed_ = false;             // GUARDED_BY(mu_): the consumer stopped
  Status status_;                   // GUARDED_BY(mu_): the reader's
  Buffer buffer_;
  std::istream in_;
  std::thread reader_;
};

}  // namespace recall::server::internal
