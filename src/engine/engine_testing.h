#pragma once
// Test helper: an Engine over a fresh temp data directory with a FakeClock,
// removed at destruction. For tests only.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/engine.h"

namespace recall::engine {

class TestEngine {
 public:
  TestEngine() : clock_(TimePoint(std::chrono::seconds(1764086400))) {  // 2025-11-25T16:00:00Z
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("recall-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    EngineOptions o{dir_.string(), "", "test:runner", &clock_, nullptr};
    Status s = Engine::Init(o);
    if (s.ok()) {
      auto e = Engine::Open(o);
      if (e.ok()) engine_ = std::move(e).value();
      else status_ = e.status();
    } else {
      status_ = s;
    }
  }
  ~TestEngine() {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  Engine& operator*() { return *engine_; }
  Engine* operator->() { return engine_.get(); }
  const Status& status() const { return status_; }
  FakeClock& clock() { return clock_; }
  const std::filesystem::path& dir() const { return dir_; }
  // How many audit records carry `action`.
  int64_t CountAudit(const std::string& action) {
    int64_t n = 0;
    Status s = engine_->store().audit().Scan(1, [&](const audit::AuditRecord& r) {
      if (r.action == action) ++n;
      return true;
    });
    return s.ok() ? n : -1;
  }
  // Closes the engine (e.g. before scanning the data directory's bytes).
  void Close() { engine_.reset(); }

 private:
  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
  Status status_;
};

}  // namespace recall::engine
