#pragma once
// Versioned schema migrations, applied in order at open inside one transaction
// each. A migration, once released, never changes: add a new one instead.
#include <string_view>
#include <vector>

namespace recall::store::sqlite {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

const std::vector<Migration>& Migrations();

}  // namespace recall::store::sqlite
