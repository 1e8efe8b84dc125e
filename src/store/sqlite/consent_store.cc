#include "store/sqlite/internal.h"

namespace recall::store::sqlite {
namespace {
class SqliteConsentStore final : public ConsentStore {
 public:
  SqliteConsentStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

 private:
  [[maybe_unused]] Db* db_;
  [[maybe_unused]] std::mutex* mu_;
};
}  // namespace

std::unique_ptr<ConsentStore> NewSqliteConsentStore(Db* db, std::mutex* mu) { return std::make_unique<SqliteConsentStore>(db, mu); }

}  // namespace recall::store::sqlite
