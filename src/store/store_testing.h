#pragma once
// Test helpers shared by the Store conformance suites: the list of backends
// every suite runs over, and a fixture that opens a fresh store of the
// parameter's backend in its own temp directory. Tests only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace recall::store {

struct Backend {
  std::string name;
  std::function<StatusOr<std::unique_ptr<Store>>(const std::filesystem::path& dir)> open;
};

// Every backend (SQLite now; PostgreSQL joins this list).
inline std::vector<Backend> Backends() {
  return {Backend{"sqlite", [](const std::filesystem::path& dir) {
                    return OpenSqliteStore(StoreOptions{(dir / "recall.db").string()});
                  }}};
}

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) { return info.param.name; }

// A practice row as the conformance suites use it.
inline PracticeRow PracticeRowForTest(const std::string& practice_id) {
  return PracticeRow{practice_id, "Maple Family Dental", "1 Main St, Springfield, IL 62701", "+12175550100",
                     "office@maple.example", "America/Chicago", "IL", "2025-11-25T00:00:00.000Z"};
}

class StoreTestBase : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("recall-store-") + std::to_string(::getpid()) + "-" + info->test_suite_name() +
                       "-" + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';  // parameterised names hold '/'
    }
    dir_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = GetParam().open(dir_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace recall::store
