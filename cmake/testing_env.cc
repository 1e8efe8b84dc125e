// Linked into every test binary: gives RECALL_SOURCE_DIR and RECALL_BINARY
// their build-time values when the environment does not set them (CTest's
// discovered tests, or a test binary run by hand).
#include <cstdlib>

namespace {
struct TestingEnv {
  TestingEnv() {
    setenv("RECALL_SOURCE_DIR", RECALL_SOURCE_DIR_DEFAULT, /*overwrite=*/0);
    setenv("RECALL_BINARY", RECALL_BINARY_DEFAULT, /*overwrite=*/0);
  }
};
const TestingEnv kTestingEnv;
}  // namespace
