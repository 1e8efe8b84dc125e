#pragma once
// FileChannel: the channel for `make run`, demos and local development. It
// delivers nothing: each message becomes one file a person can read in a
// folder.
//
//   email          <dir>/<message_id>.eml — the RFC 5322 message exactly as the
//                  SMTP channel would send it (MimeBuilder, unsigned). Opens in
//                  any mail client.
//   sms/voice/rvm  <dir>/<message_id>.txt — a few "Field: value" lines, a blank
//                  line, then the text body (the transcript for voice/rvm).
//
// Writes are atomic (a temporary file in the same folder, fsync, rename), so a
// reader never sees half a message. A resend of the same message_id replaces
// the same file: the id is the file name, so duplicates are recognisable and
// the folder holds one file per message. The folder is created 0700 and the
// files 0600: they hold PHI.
//
// Thread-safety: Send may be called from several threads (distinct temporary
// names per call). The Clock must outlive the channel.
#include <memory>
#include <string>

#include "channels/channel.h"
#include "common/clock.h"
#include "common/status.h"

namespace recall::channels {

struct FileChannelOptions {
  std::string dir;  // created (0700) when missing
};

// InvalidArgument when dir is ""; Internal when it cannot be created or is not
// a directory.
StatusOr<std::unique_ptr<Channel>> NewFileChannel(FileChannelOptions options, const Clock& clock);

}  // namespace recall::channels
