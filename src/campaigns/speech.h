#pragma once
// Text to speech for voice and ringless-voicemail scripts: espeak-ng writes a
// WAV. Used by preview (what the approver hears) and by the dispatch worker
// (what the patient hears). The script goes through a private temporary file
// beside the WAV, never argv, so it never shows in a process listing.
#include <string>

#include "common/status.h"

namespace recall::campaigns {

// Speaks `text` in `language` (BCP-47; falls back to its primary subtag, then
// "en") into `wav_path` (created 0600). Internal when espeak-ng is missing or
// fails; the message never carries the text.
Status SpeakToWav(const std::string& espeak_binary, const std::string& language, const std::string& text,
                  const std::string& wav_path);

}  // namespace recall::campaigns
