#include "campaigns/speech.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "common/text.h"

extern char** environ;

namespace recall::campaigns {

Status SpeakToWav(const std::string& binary, const std::string& language, const std::string& text,
                  const std::string& wav_path) {
  std::string script = wav_path + ".XXXXXX";
  const int fd = ::mkstemp(script.data());  // 0600
  if (fd < 0) return InternalError("cannot create a temporary file beside the WAV");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) {
    ::unlink(script.c_str());
    return InternalError("cannot write the voice script");
  }
  // The WAV holds PHI (a spoken first name): create it private before espeak-ng writes it.
  const int wav = ::open(wav_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (wav >= 0) ::close(wav);
  std::vector<std::string> voices = {AsciiLower(language), AsciiLower(language.substr(0, language.find('-'))), "en"};
  voices.erase(std::unique(voices.begin(), voices.end()), voices.end());
  Status result = InternalError("espeak-ng could not speak the script");
  for (const std::string& voice : voices) {
    std::vector<std::string> args = {binary, "-v", voice, "-w", wav_path, "-f", script};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      result = InternalError("cannot run espeak-ng (is the espeak-ng package installed?)");
      break;
    }
    int wstatus = 0;
    if (::waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
      result = OkStatus();
      break;
    }
  }
  ::unlink(script.c_str());
  return result;
}

}  // namespace recall::campaigns
