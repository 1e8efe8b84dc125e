// The connection wrapper's statement cache (db.h).
#include "store/sqlite/db.h"
#include "store/sqlite/migrations.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace recall::store::sqlite {
namespace {

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("recall-db-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(path_);
    auto db = Db::Open(path_.string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)").ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove(path_);
  }

  std::filesystem::path path_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbTest, ReusesAStatementAndForgetsItsBindings) {
  {
    auto ins = db_->Prepare("INSERT INTO t (k, v) VALUES (?, ?)");
    ASSERT_TRUE(ins.ok());
    ins->Bind(1, int64_t{1}).Bind(2, "one");
    ASSERT_TRUE(ins->Run().ok());
  }
  const size_t cached = db_->cached_statements();
  {
    // The same SQL again: the cached statement, with no binding left over (v is NULL).
    auto ins = db_->Prepare("INSERT INTO t (k, v) VALUES (?, ?)");
    ASSERT_TRUE(ins.ok());
    ins->Bind(1, int64_t{2});
    ASSERT_TRUE(ins->Run().ok());
  }
  EXPECT_EQ(db_->cached_statements(), cached);
  auto q = db_->Prepare("SELECT v IS NULL FROM t WHERE k = 2");
  ASSERT_TRUE(q.ok());
  auto row = q->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(q->Int(0), 1);
}

TEST_F(DbTest, NestedUseOfTheSameSqlGetsItsOwnStatement) {
  for (int64_t k = 1; k <= 3; ++k) {
    auto ins = db_->Prepare("INSERT INTO t (k, v) VALUES (?, 'x')");
    ASSERT_TRUE(ins.ok());
    ins->Bind(1, k);
    ASSERT_TRUE(ins->Run().ok());
  }
  auto outer = db_->Prepare("SELECT k FROM t ORDER BY k");
  ASSERT_TRUE(outer.ok());
  int rows = 0;
  for (;;) {
    auto more = outer->Step();
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    ++rows;
    // The same text while the outer statement is mid-iteration.
    auto inner = db_->Prepare("SELECT k FROM t ORDER BY k");
    ASSERT_TRUE(inner.ok());
    auto first = inner->Step();
    ASSERT_TRUE(first.ok() && *first);
    EXPECT_EQ(inner->Int(0), 1);
  }
  EXPECT_EQ(rows, 3);
}

TEST_F(DbTest, ReturnedStatementsHoldNoReadSoVacuumRuns) {
  {
    auto q = db_->Prepare("SELECT k FROM t");
    ASSERT_TRUE(q.ok());
    ASSERT_TRUE(q->Step().ok());  // left mid-way, then returned
  }
  EXPECT_TRUE(db_->Exec("VACUUM").ok());
  EXPECT_FALSE(db_->Prepare("SELECT nope FROM t").ok());  // errors are not cached
  EXPECT_FALSE(db_->Prepare("SELECT nope FROM t").ok());
}

// Migrations apply in version order, each version once, none missing: a fresh
// database and an upgraded one end with the same schema.
TEST(MigrationsTest, AreInVersionOrderWithoutGaps) {
  int expected = 1;
  for (const Migration& m : Migrations()) EXPECT_EQ(m.version, expected++) << m.description;
  EXPECT_GE(expected, 15);
}

}  // namespace
}  // namespace recall::store::sqlite
