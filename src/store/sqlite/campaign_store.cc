#include "store/sqlite/internal.h"

namespace recall::store::sqlite {
namespace {
class SqliteCampaignStore final : public CampaignStore {
 public:
  SqliteCampaignStore(Db* db, std::mutex* mu) : db_(db), mu_(mu) {}

 private:
  [[maybe_unused]] Db* db_;
  [[maybe_unused]] std::mutex* mu_;
};
}  // namespace

std::unique_ptr<CampaignStore> NewSqliteCampaignStore(Db* db, std::mutex* mu) { return std::make_unique<SqliteCampaignStore>(db, mu); }

}  // namespace recall::store::sqlite
