#include "server/router.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace recall::server {
namespace {

Route Make(std::string method, std::string path, std::optional<users::Permission> permission = std::nullopt) {
  Route r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.permission = permission;
  r.handler = [](RequestContext&) { return HttpResponse{}; };
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(Make("GET", "/v1/practices/{practice}/patients/{patient}", users::Permission::kPatientReadMasked));
    router_.Add(Make("POST", "/v1/practices/{practice}/patients/import", users::Permission::kPatientImport));
    router_.Add(Make("POST", "/v1/practices/{practice}/patients/{patient}/reveal", users::Permission::kPatientReveal));
    router_.Add(Make("GET", "/healthz"));
  }
  Router router_;
};

TEST_F(RouterTest, MatchesTemplatesAndBindsVariables) {
  auto m = router_.Find("GET", "/v1/practices/prc_a/patients/pat_b");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.vars["practice"], "prc_a");
  EXPECT_EQ(m.vars["patient"], "pat_b");
  EXPECT_NE(router_.Find("HEAD", "/healthz").route, nullptr);
}

TEST_F(RouterTest, LiteralSegmentsWinOverVariables) {
  auto m = router_.Find("POST", "/v1/practices/prc_a/patients/import");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->path, "/v1/practices/{practice}/patients/import");
}

TEST_F(RouterTest, UnknownPathsAndMethods) {
  auto none = router_.Find("GET", "/v1/nowhere");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_FALSE(none.path_known);
  auto wrong = router_.Find("DELETE", "/healthz");
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_TRUE(wrong.path_known);
}

TEST_F(RouterTest, RefusesTraversalAndEscapes) {
  for (const char* path : {"/v1/practices/../healthz", "/v1/practices/./x/patients/y", "/v1/practices/%2e%2e/patients/x",
                           "/v1/practices/a%2Fb/patients/x", "/v1//patients", "relative", "", "/healthz/",
                           "/v1/practices/a b/patients/x", "/v1/practices/\xc3\xa9/patients/x"}) {
    EXPECT_TRUE(router_.Find("GET", path).bad_path) << path;
  }
  EXPECT_FALSE(IsSafeSegment(std::string(513, 'a')));
  EXPECT_TRUE(IsSafeSegment("u1.prc_x.pat_y.AbC-_~"));
}

TEST_F(RouterTest, OpenApiListsEveryRouteWithItsPermission) {
  nlohmann::json doc = router_.OpenApi();
  EXPECT_EQ(doc["paths"].size(), 4u);
  EXPECT_EQ(doc["paths"]["/v1/practices/{practice}/patients/{patient}/reveal"]["post"]["x-permission"],
            "patient.reveal");
  EXPECT_EQ(doc["paths"]["/v1/practices/{practice}/patients/{patient}"]["get"]["parameters"].size(), 2u);
  EXPECT_TRUE(doc["info"]["x-role-permissions"].contains("approver"));
}

}  // namespace
}  // namespace recall::server
