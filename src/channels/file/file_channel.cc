#include "channels/file/file_channel.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "channels/smtp/mime_builder.h"

namespace recall::channels {
namespace {

// The one place this folder turns errno into a Status.
Status ErrnoStatus(std::string_view what, int err) {
  return InternalError("file channel: " + std::string(what) + ": " + std::strerror(err));
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

class FileChannel final : public Channel {
 public:
  FileChannel(std::string dir, const Clock& clock) : dir_(std::move(dir)), clock_(clock) {}

  std::string_view name() const override { return "file"; }

  StatusOr<Receipt> Send(const OutboundMessage& m) override {
    RETURN_IF_ERROR(CheckMessageId(m.message_id));
    if (!IsKnownChannelKind(m.channel)) return InvalidArgumentError("unknown channel kind for " + m.message_id);
    const TimePoint now = clock_.Now();
    std::string content;
    std::string file_name;
    if (m.channel == "email") {
      ASSIGN_OR_RETURN(content, MimeBuilder::Build(m, now));
      file_name = m.message_id + ".eml";
    } else {
      if (m.to.empty() || HasLineBreak(m.to)) return InvalidArgumentError("to is empty or has a line break");
      if (HasLineBreak(m.practice_id) || HasLineBreak(m.audio_path)) {
        return InvalidArgumentError("practice_id or audio_path has a line break");
      }
      if (m.text_body.empty() && m.audio_path.empty()) {
        return InvalidArgumentError("message has neither text_body nor audio_path");
      }
      content = "Channel: " + m.channel + "\nMessage-ID: " + m.message_id + "\nPractice: " + m.practice_id +
                "\nTo: " + m.to + "\nDate: " + FormatRfc3339Millis(now) + "\n";
      if (!m.audio_path.empty()) content += "Audio: " + m.audio_path + "\n";
      content += "\n" + m.text_body;
      if (content.back() != '\n') content += "\n";
      file_name = m.message_id + ".txt";
    }
    RETURN_IF_ERROR(WriteAtomically(file_name, content));
    return Receipt{file_name, "file " + m.channel};
  }

 private:
  Status WriteAtomically(const std::string& file_name, std::string_view content) {
    const std::string final_path = dir_ + "/" + file_name;
    const std::string tmp_path = dir_ + "/." + file_name + "." + std::to_string(::getpid()) + "." +
                                 std::to_string(next_tmp_.fetch_add(1)) + ".tmp";
    const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus("open", errno);
    Status status = WriteAll(fd, content);
    if (status.ok() && ::fsync(fd) != 0) status = ErrnoStatus("fsync", errno);
    if (::close(fd) != 0 && status.ok()) status = ErrnoStatus("close", errno);
    if (status.ok() && ::rename(tmp_path.c_str(), final_path.c_str()) != 0) status = ErrnoStatus("rename", errno);
    if (!status.ok()) ::unlink(tmp_path.c_str());
    return status;
  }

  const std::string dir_;
  const Clock& clock_;
  std::atomic<uint64_t> next_tmp_{0};
};

}  // namespace

StatusOr<std::unique_ptr<Channel>> NewFileChannel(FileChannelOptions options, const Clock& clock) {
  if (options.dir.empty()) return InvalidArgumentError("file channel dir is empty");
  if (::mkdir(options.dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", errno);
  struct stat st {};
  if (::stat(options.dir.c_str(), &st) != 0) return ErrnoStatus("stat", errno);
  if (!S_ISDIR(st.st_mode)) return InternalError("file channel: dir is not a directory");
  return std::unique_ptr<Channel>(new FileChannel(std::move(options.dir), clock));
}

}  // namespace recall::channels
