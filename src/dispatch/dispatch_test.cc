// Tests of the dispatch gate's send-time policy: recipient zones, quiet hours
// and send windows, frequency caps. Every instant is fixed; nothing reads the
// wall clock.
#include <date/tz.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/clock.h"
#include "dispatch/frequency_caps.h"
#include "dispatch/recipient_time_zone.h"
#include "dispatch/send_window.h"
#include "dispatch/zone_tables.h"

namespace recall::dispatch {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;

constexpr char kNewYork[] = "America/New_York";
constexpr char kChicago[] = "America/Chicago";
constexpr char kLosAngeles[] = "America/Los_Angeles";

TimePoint Utc(std::string_view rfc3339) {
  StatusOr<TimePoint> t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : TimePoint{};
}

// Wall-clock time `hh:mm` on `ymd` in `zone`; the earlier instant when
// ambiguous.
TimePoint Local(const char *zone, date::year_month_day ymd, int hh,
                int mm = 0) {
  const date::local_seconds local =
      date::local_days{ymd} + hours{hh} + minutes{mm};
  return date::zoned_time<seconds>(zone, local, date::choose::earliest)
      .get_sys_time();
}

std::string Show(TimePoint t) { return FormatRfc3339Millis(t); }

const ZoneTables &Tables() {
  StatusOr<const ZoneTables *> tables = DefaultZoneTables();
  EXPECT_TRUE(tables.ok()) << tables.status().ToString();
  return **tables;
}

SendDecision Check(TimePoint now, std::vector<std::string> zones,
                   const std::string &state = "", SendWindow practice = {}) {
  StatusOr<SendDecision> decision = CheckSendTime(now, zones, state, practice);
  EXPECT_TRUE(decision.ok()) << decision.status().ToString();
  return decision.ok() ? *decision : SendDecision{};
}

RecipientZones Zones(RecipientLocation loc) {
  if (loc.practice_timezone.empty())
    loc.practice_timezone = kChicago;
  StatusOr<RecipientZones> zones = RecipientTimeZones(loc);
  EXPECT_TRUE(zones.ok()) << zones.status().ToString();
  return zones.ok() ? *zones : RecipientZones{};
}

// ---------------------------------------------------------------- tables

TEST(ZoneTablesTest, DefaultTablesLoad) {
  const ZoneTables &tables = Tables();
  EXPECT_GE(tables.state_zones.size(), 51u); // 50 states + DC (+ territories)
  EXPECT_GE(tables.area_codes.size(), 50u);
  EXPECT_NE(tables.RulesFor("FL"), nullptr);
  EXPECT_NE(tables.RulesFor("OK"), nullptr);
  EXPECT_NE(tables.RulesFor("MD"), nullptr);
  EXPECT_EQ(tables.RulesFor("NY"), nullptr);
  EXPECT_EQ(tables.RulesFor("FL")->window, (SendWindow{8 * 60, 20 * 60}));
  EXPECT_EQ(tables.RulesFor("FL")->same_subject_per_24h, 3);
}

TEST(ZoneTablesTest, FinerTablesStayInsideTheirState) {
  const ZoneTables &tables = Tables();
  const auto subset = [&](const std::string &state,
                          const std::vector<std::string> &zones) {
    const std::vector<std::string> &all = tables.state_zones.at(state);
    return std::includes(all.begin(), all.end(), zones.begin(), zones.end());
  };
  for (const Zip3Range &range : tables.zip3) {
    EXPECT_TRUE(subset(range.state, range.zones)) << "zip3 " << range.first;
  }
  for (const auto &[code, entry] : tables.area_codes) {
    EXPECT_TRUE(subset(entry.state, entry.zones)) << "area code " << code;
  }
}

TEST(ZoneTablesTest, EveryMultiZoneStateHasZip3RangesAndAreaCodes) {
  const ZoneTables &tables = Tables();
  for (const auto &[state, zones] : tables.state_zones) {
    if (zones.size() < 2)
      continue;
    bool has_zip3 = false;
    for (const Zip3Range &range : tables.zip3)
      has_zip3 |= range.state == state;
    bool has_code = false;
    for (const auto &[code, entry] : tables.area_codes)
      has_code |= entry.state == state;
    EXPECT_TRUE(has_zip3) << state;
    EXPECT_TRUE(has_code) << state;
  }
}

TEST(ZoneTablesTest, FindZip3) {
  const ZoneTables &tables = Tables();
  ASSERT_NE(tables.FindZip3(325), nullptr);
  EXPECT_EQ(tables.FindZip3(325)->state, "FL");
  EXPECT_THAT(tables.FindZip3(325)->zones, ElementsAre(kChicago));
  EXPECT_EQ(tables.FindZip3(340), nullptr); // military AA, not Florida
  EXPECT_EQ(tables.FindZip3(100),
            nullptr); // New York: single zone, the state decides
  EXPECT_EQ(tables.FindZip3(0), nullptr);
  EXPECT_EQ(tables.FindZip3(999)->state, "AK");
}

class ZoneTablesFilesTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("recall_dispatch_tables_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::copy(DefaultDataDir(), dir_,
                          std::filesystem::copy_options::recursive);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Append(const std::string &file, const std::string &line) {
    std::ofstream out(dir_ / file, std::ios::app);
    out << line << "\n";
  }
  std::filesystem::path dir_;
};

TEST_F(ZoneTablesFilesTest, CopyLoads) {
  EXPECT_TRUE(LoadZoneTables(dir_.string()).ok());
}

TEST_F(ZoneTablesFilesTest, MissingFileIsNotFound) {
  std::filesystem::remove(dir_ / "area_codes.tsv");
  EXPECT_EQ(LoadZoneTables(dir_.string()).status().code(),
            StatusCode::kNotFound);
}

TEST_F(ZoneTablesFilesTest, UnknownZoneIsRejectedWithLine) {
  Append("area_codes.tsv", "999\tNY\tAmerica/Atlantis");
  const Status status = LoadZoneTables(dir_.string()).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), ::testing::HasSubstr("area_codes.tsv:"));
}

TEST_F(ZoneTablesFilesTest, OverlappingZip3RangesAreRejected) {
  Append("zip3.tsv", "324\t326\tFL\tAmerica/Chicago");
  EXPECT_EQ(LoadZoneTables(dir_.string()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ZoneTablesFilesTest, WrongColumnCountAndUnknownStateAreRejected) {
  Append("states.tsv", "ZZ");
  EXPECT_EQ(LoadZoneTables(dir_.string()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ZoneTablesFilesTest, AreaCodeOfUnknownStateIsRejected) {
  Append("area_codes.tsv", "999\tZZ\tAmerica/Chicago");
  EXPECT_EQ(LoadZoneTables(dir_.string()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ZoneTablesTest, DefaultDataDirHonoursEnvironment) {
  const char *old = std::getenv("RECALL_DATA_FILES");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("RECALL_DATA_FILES", "/opt/recall-data", 1);
  EXPECT_EQ(DefaultDataDir(), "/opt/recall-data/timezones");
  if (old != nullptr) {
    ::setenv("RECALL_DATA_FILES", saved.c_str(), 1);
  } else {
    ::unsetenv("RECALL_DATA_FILES");
    EXPECT_TRUE(std::filesystem::is_directory(DefaultDataDir()));
  }
}

TEST(SendWindowTest, Parse) {
  EXPECT_EQ(*SendWindow::Parse("08:30-17:00"), (SendWindow{510, 1020}));
  EXPECT_EQ(*SendWindow::Parse(" 09:00\xE2\x80\x93"
                               "18:00 "),
            (SendWindow{540, 1080}));
  EXPECT_EQ(*SendWindow::Parse("00:00-24:00"), SendWindow{});
  EXPECT_EQ(SendWindow::Parse("08:30-17:00")->ToString(), "08:30-17:00");
  for (const char *bad :
       {"", "8:30-17:00", "08:30", "17:00-08:00", "09:00-09:00", "08:60-09:00",
        "24:30-25:00", "08:00-24:01", "ab:cd-ef:gh", "08:00-12:00-13:00"}) {
    EXPECT_EQ(SendWindow::Parse(bad).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
}

// ---------------------------------------------------------------- recipient
// zones

TEST(RecipientTimeZoneTest, LosAngelesRecipientOfChicagoPractice) {
  const RecipientZones zones = Zones({"90012", "CA", "+12135550100", kChicago});
  EXPECT_THAT(zones.zones, ElementsAre(kLosAngeles));
  EXPECT_EQ(zones.source, ZoneSource::kState);
  EXPECT_EQ(zones.rules_state, "CA");
  EXPECT_EQ(*RecipientTimeZone({"90012", "CA", "", kChicago}), kLosAngeles);
}

TEST(RecipientTimeZoneTest, FloridaPanhandleZipIsCentralMiamiIsEastern) {
  const RecipientZones pensacola = Zones({"32501", "FL", "", kNewYork});
  EXPECT_THAT(pensacola.zones, ElementsAre(kChicago));
  EXPECT_EQ(pensacola.source, ZoneSource::kPostalCode);
  EXPECT_EQ(pensacola.rules_state, "FL");

  const RecipientZones miami = Zones({"33101", "FL", "", kChicago});
  EXPECT_THAT(miami.zones, ElementsAre(kNewYork));
  EXPECT_EQ(miami.source, ZoneSource::kPostalCode);

  // ZIP+4 works; the ZIP decides even without a state, and names the state.
  const RecipientZones zip4 = Zones({"32501-1234", "", "", kNewYork});
  EXPECT_THAT(zip4.zones, ElementsAre(kChicago));
  EXPECT_EQ(zip4.rules_state, "FL");
}

TEST(RecipientTimeZoneTest, StraddlingZip3GivesEveryZone) {
  // 324: Panama City (Central) and Port St. Joe (Eastern).
  EXPECT_THAT(Zones({"32401", "FL", "", kNewYork}).zones,
              ElementsAre(kChicago, kNewYork));
  // El Paso.
  EXPECT_THAT(Zones({"79901", "TX", "", kChicago}).zones,
              ElementsAre("America/Denver"));
  // Michigan's Upper Peninsula near Wisconsin.
  EXPECT_THAT(Zones({"49801", "MI", "", kNewYork}).zones,
              ElementsAre(kChicago, kNewYork));
}

TEST(RecipientTimeZoneTest, MultiZoneStateWithoutFinerInfoGivesEveryZone) {
  const RecipientZones tennessee = Zones({"", "TN", "", kLosAngeles});
  EXPECT_THAT(tennessee.zones, ElementsAre(kChicago, kNewYork));
  EXPECT_EQ(tennessee.source, ZoneSource::kState);
  // A single-zone ZIP of the state does not narrow the state ... (37201
  // Nashville)
  EXPECT_THAT(Zones({"37201", "TN", "", kLosAngeles}).zones,
              ElementsAre(kChicago));
  // ... and a same-state area code does: 865 is Knoxville.
  const RecipientZones knoxville =
      Zones({"", "TN", "+18655550100", kLosAngeles});
  EXPECT_THAT(knoxville.zones, ElementsAre(kNewYork));
  EXPECT_EQ(knoxville.source, ZoneSource::kState);
  // An area code of another state does not narrow it.
  EXPECT_THAT(Zones({"", "TN", "+12125550100", kLosAngeles}).zones,
              ElementsAre(kChicago, kNewYork));
}

TEST(RecipientTimeZoneTest, AreaCodeFallback) {
  const RecipientZones nyc = Zones({"", "", "+12125550100", kLosAngeles});
  EXPECT_THAT(nyc.zones, ElementsAre(kNewYork));
  EXPECT_EQ(nyc.source, ZoneSource::kAreaCode);
  EXPECT_EQ(nyc.rules_state, "NY");
  // 850 straddles the Apalachicola River.
  EXPECT_THAT(Zones({"", "", "+18505550100", kLosAngeles}).zones,
              ElementsAre(kChicago, kNewYork));
  // A ZIP of a single-zone state without a state falls through to the phone.
  EXPECT_THAT(Zones({"10001", "", "+13105550100", kChicago}).zones,
              ElementsAre(kLosAngeles));
}

TEST(RecipientTimeZoneTest, UnknownEverythingFallsBackToPractice) {
  const RecipientZones zones = Zones({"", "", "", kChicago});
  EXPECT_THAT(zones.zones, ElementsAre(kChicago));
  EXPECT_EQ(zones.source, ZoneSource::kPractice);
  EXPECT_EQ(zones.rules_state, "");
  // Malformed and non-US pieces are skipped, not fatal.
  const RecipientZones junk = Zones({"1234", "XX", "+447911123456", kNewYork});
  EXPECT_THAT(junk.zones, ElementsAre(kNewYork));
  EXPECT_EQ(junk.source, ZoneSource::kPractice);
  // An unassigned area code.
  EXPECT_EQ(Zones({"", "", "+19995550100", kNewYork}).source,
            ZoneSource::kPractice);
}

TEST(RecipientTimeZoneTest, StateNamesAreNormalized) {
  EXPECT_THAT(Zones({"", "california", "", kChicago}).zones,
              ElementsAre(kLosAngeles));
  EXPECT_EQ(Zones({"", "Florida", "", kChicago}).rules_state, "FL");
}

TEST(RecipientTimeZoneTest, StrictestStateRulesApply) {
  // Lives in New York, keeps a Miami number: Florida's rules apply.
  const RecipientZones zones = Zones({"10001", "NY", "+13055550100", kChicago});
  EXPECT_THAT(zones.zones, ElementsAre(kNewYork));
  EXPECT_EQ(zones.rules_state, "FL");
  // No stricter state involved: the address's state.
  EXPECT_EQ(Zones({"", "NY", "+13105550100", kChicago}).rules_state, "NY");
}

TEST(RecipientTimeZoneTest, PracticeZoneMustBeValid) {
  EXPECT_EQ(RecipientTimeZones({"", "", "", "Mars/Olympus"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RecipientTimeZones({"90012", "CA", "", ""}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(RecipientTimeZoneTest, ZoneSourceNames) {
  EXPECT_EQ(ZoneSourceName(ZoneSource::kPostalCode), "postal_code");
  EXPECT_EQ(ZoneSourceName(ZoneSource::kState), "state");
  EXPECT_EQ(ZoneSourceName(ZoneSource::kAreaCode), "area_code");
  EXPECT_EQ(ZoneSourceName(ZoneSource::kPractice), "practice");
}

// ---------------------------------------------------------------- send windows

using date::June;
using date::March;
using date::November;
using date::operator""_y;
using date::operator""_d;

constexpr date::year_month_day kJune15 = 2026_y / June / 15_d;
constexpr date::year_month_day kJune16 = 2026_y / June / 16_d;

TEST(CheckSendTimeTest, InsideFederalWindowIsAllowed) {
  const TimePoint now = Local(kNewYork, kJune15, 12);
  const SendDecision decision = Check(now, {kNewYork}, "NY");
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.reason, "");
  EXPECT_EQ(decision.zone, "");
  EXPECT_EQ(decision.next_allowed, now);
}

TEST(CheckSendTimeTest, EightThirtyPmIsFederallyAllowedButNotInFlorida) {
  const TimePoint now = Local(kNewYork, kJune15, 20, 30);
  EXPECT_TRUE(Check(now, {kNewYork}, "NY").allowed);
  EXPECT_TRUE(Check(now, {kNewYork}, "").allowed);
  const SendDecision florida = Check(now, {kNewYork}, "FL");
  EXPECT_FALSE(florida.allowed);
  EXPECT_EQ(florida.reason, kReasonQuietHoursState);
  EXPECT_EQ(florida.zone, kNewYork);
  EXPECT_EQ(Show(florida.next_allowed), Show(Local(kNewYork, kJune16, 8)));
  EXPECT_EQ(Check(now, {kNewYork}, "OK").reason, kReasonQuietHoursState);
  EXPECT_EQ(Check(now, {kNewYork}, "MD").reason, kReasonQuietHoursState);
}

TEST(CheckSendTimeTest, AfterNinePmDefersToEightNextMorning) {
  const SendDecision decision =
      Check(Local(kNewYork, kJune15, 21, 5), {kNewYork}, "NY");
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.reason, kReasonQuietHoursFederal);
  EXPECT_EQ(Show(decision.next_allowed),
            "2026-06-16T12:00:00.000Z"); // 08:00 EDT
  // Federal beats state in the reason: 22:00 in Florida is a federal violation.
  EXPECT_EQ(Check(Local(kNewYork, kJune15, 22), {kNewYork}, "FL").reason,
            kReasonQuietHoursFederal);
}

TEST(CheckSendTimeTest, WindowsAreHalfOpen) {
  EXPECT_TRUE(Check(Local(kNewYork, kJune15, 8), {kNewYork}).allowed);
  EXPECT_FALSE(
      Check(Local(kNewYork, kJune15, 8) - seconds{1}, {kNewYork}).allowed);
  EXPECT_TRUE(
      Check(Local(kNewYork, kJune15, 21) - seconds{1}, {kNewYork}).allowed);
  EXPECT_FALSE(Check(Local(kNewYork, kJune15, 21), {kNewYork}).allowed);
  EXPECT_TRUE(Check(Local(kNewYork, kJune15, 20) - std::chrono::milliseconds{1},
                    {kNewYork}, "FL")
                  .allowed);
  EXPECT_FALSE(Check(Local(kNewYork, kJune15, 20), {kNewYork}, "FL").allowed);
}

TEST(CheckSendTimeTest, EarlyMorningDefersToSameDay) {
  const TimePoint now = Local(kNewYork, kJune15, 7, 59);
  const SendDecision decision = Check(now, {kNewYork});
  EXPECT_EQ(decision.reason, kReasonQuietHoursFederal);
  EXPECT_EQ(decision.next_allowed, Local(kNewYork, kJune15, 8));
  // Sub-second "now" still defers to the whole minute.
  const SendDecision fractional =
      Check(now + std::chrono::milliseconds{250}, {kNewYork});
  EXPECT_EQ(fractional.next_allowed, Local(kNewYork, kJune15, 8));
}

TEST(CheckSendTimeTest, RecipientInLosAngelesPracticeInChicago) {
  // 09:00 in Chicago is 07:00 in Los Angeles: the patient's clock decides.
  const TimePoint now = Local(kChicago, kJune15, 9);
  const RecipientZones zones = Zones({"90012", "CA", "", kChicago});
  const SendDecision decision = Check(now, zones.zones, zones.rules_state);
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.reason, kReasonQuietHoursFederal);
  EXPECT_EQ(decision.zone, kLosAngeles);
  EXPECT_EQ(Show(decision.next_allowed), Show(Local(kLosAngeles, kJune15, 8)));
  EXPECT_EQ(Show(decision.next_allowed), "2026-06-15T15:00:00.000Z");
  // 22:30 in Chicago is 20:30 in Los Angeles: fine there.
  EXPECT_TRUE(
      Check(Local(kChicago, kJune15, 22, 30), zones.zones, zones.rules_state)
          .allowed);
}

TEST(CheckSendTimeTest, PracticeWindowIsInRecipientLocalTime) {
  const SendWindow office = *SendWindow::Parse("09:00-17:00");
  const SendDecision early =
      Check(Local(kLosAngeles, kJune15, 8, 30), {kLosAngeles}, "CA", office);
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.reason, kReasonPracticeWindow);
  EXPECT_EQ(early.next_allowed, Local(kLosAngeles, kJune15, 9));
  const SendDecision late =
      Check(Local(kLosAngeles, kJune15, 17), {kLosAngeles}, "CA", office);
  EXPECT_EQ(late.reason, kReasonPracticeWindow);
  EXPECT_EQ(late.next_allowed, Local(kLosAngeles, kJune16, 9));
  EXPECT_TRUE(
      Check(Local(kLosAngeles, kJune15, 16, 59), {kLosAngeles}, "CA", office)
          .allowed);
  // A wide practice window never loosens the federal one.
  const SendWindow all_day = *SendWindow::Parse("06:00-23:00");
  EXPECT_EQ(Check(Local(kLosAngeles, kJune15, 7), {kLosAngeles}, "CA", all_day)
                .reason,
            kReasonQuietHoursFederal);
}

TEST(CheckSendTimeTest, SeveralCandidateZonesMustAllAllow) {
  // Florida, no ZIP: Eastern and Central. 19:30 Central is 20:30 Eastern.
  const RecipientZones florida = Zones({"", "FL", "", kChicago});
  ASSERT_THAT(florida.zones, ElementsAre(kChicago, kNewYork));
  const SendDecision evening = Check(Local(kChicago, kJune15, 19, 30),
                                     florida.zones, florida.rules_state);
  EXPECT_FALSE(evening.allowed);
  EXPECT_EQ(evening.reason, kReasonQuietHoursState);
  EXPECT_EQ(evening.zone, kNewYork);
  // Next morning: 08:00 Central (the later-starting morning), 09:00 Eastern.
  EXPECT_EQ(Show(evening.next_allowed), Show(Local(kChicago, kJune16, 8)));
  // 07:30 Eastern is 06:30 Central: wait for 08:00 Central.
  const SendDecision morning = Check(Local(kNewYork, kJune16, 7, 30),
                                     florida.zones, florida.rules_state);
  EXPECT_EQ(morning.zone, kChicago);
  EXPECT_EQ(morning.next_allowed, Local(kChicago, kJune16, 8));
  // 08:30 Eastern = 07:30 Central: still too early in Central.
  EXPECT_FALSE(
      Check(Local(kNewYork, kJune16, 8, 30), florida.zones, florida.rules_state)
          .allowed);
  EXPECT_TRUE(
      Check(Local(kNewYork, kJune16, 9), florida.zones, florida.rules_state)
          .allowed);
  EXPECT_TRUE(Check(Local(kNewYork, kJune16, 19, 59), florida.zones,
                    florida.rules_state)
                  .allowed);
}

TEST(CheckSendTimeTest, SpringForwardInNewYork) {
  constexpr date::year_month_day kDay =
      2026_y / March / 8_d; // 02:00 EST -> 03:00 EDT
  // 01:00 EST (06:00Z): the morning opens at 08:00 EDT = 12:00Z, not 13:00Z.
  const SendDecision night = Check(Utc("2026-03-08T06:00:00Z"), {kNewYork});
  EXPECT_EQ(night.reason, kReasonQuietHoursFederal);
  EXPECT_EQ(Show(night.next_allowed), "2026-03-08T12:00:00.000Z");
  // The evening before (21:30 EST on the 7th) also lands on 08:00 EDT.
  EXPECT_EQ(Show(Check(Utc("2026-03-08T02:30:00Z"), {kNewYork}).next_allowed),
            "2026-03-08T12:00:00.000Z");
  // 20:59 EDT is allowed, 21:00 EDT = 01:00Z next day is not.
  EXPECT_TRUE(Check(Utc("2026-03-09T00:59:00Z"), {kNewYork}).allowed);
  EXPECT_FALSE(Check(Utc("2026-03-09T01:00:00Z"), {kNewYork}).allowed);
  // A practice window that opens inside the missing hour opens at the jump,
  // 03:00 EDT (07:00Z) - the federal window still holds until 08:00.
  const SendDecision gap = Check(Local(kNewYork, kDay, 1), {kNewYork}, "",
                                 *SendWindow::Parse("02:30-23:00"));
  EXPECT_EQ(Show(gap.next_allowed), "2026-03-08T12:00:00.000Z");
}

TEST(CheckSendTimeTest, FallBackInNewYork) {
  // 01:30 EDT on 2026-11-01 (05:30Z); clocks go back at 02:00 EDT to 01:00 EST.
  const SendDecision first = Check(Utc("2026-11-01T05:30:00Z"), {kNewYork});
  EXPECT_EQ(first.reason, kReasonQuietHoursFederal);
  EXPECT_EQ(Show(first.next_allowed), "2026-11-01T13:00:00.000Z"); // 08:00 EST
  // The repeated 01:30 EST (06:30Z) gives the same answer.
  EXPECT_EQ(Show(Check(Utc("2026-11-01T06:30:00Z"), {kNewYork}).next_allowed),
            "2026-11-01T13:00:00.000Z");
  // 21:00 EDT on Oct 31 (01:00Z Nov 1) -> 08:00 EST.
  EXPECT_EQ(Show(Check(Utc("2026-11-01T01:00:00Z"), {kNewYork}).next_allowed),
            "2026-11-01T13:00:00.000Z");
  // 12:00Z is 07:00 EST on the fall-back day (it would be 08:00 EDT the day
  // before).
  EXPECT_FALSE(Check(Utc("2026-11-01T12:00:00Z"), {kNewYork}).allowed);
  EXPECT_TRUE(Check(Utc("2026-10-31T12:00:00Z"), {kNewYork}).allowed);
  // Evening: 21:00 EST = 02:00Z on Nov 2.
  EXPECT_TRUE(Check(Utc("2026-11-02T01:59:59Z"), {kNewYork}).allowed);
  EXPECT_FALSE(Check(Utc("2026-11-02T02:00:00Z"), {kNewYork}).allowed);
}

TEST(CheckSendTimeTest, ZonesWithoutDstMixWithZonesWithIt) {
  // Arizona (no DST) and the Navajo Nation (Mountain with DST): in summer
  // Denver is an hour ahead, so its 21:00 ends the day.
  const SendDecision decision = Check(Local("America/Phoenix", kJune15, 20, 30),
                                      {"America/Denver", "America/Phoenix"});
  EXPECT_EQ(decision.zone, "America/Denver");
  EXPECT_EQ(decision.next_allowed, Local("America/Phoenix", kJune16, 8));
}

TEST(CheckSendTimeTest, Errors) {
  const TimePoint now = Local(kNewYork, kJune15, 12);
  EXPECT_EQ(CheckSendTime(now, {}, "", {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckSendTime(now, {"Mars/Olympus"}, "", {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      CheckSendTime(now, {kNewYork}, "", SendWindow{600, 600}).status().code(),
      StatusCode::kInvalidArgument);
  // Honolulu and Guam are 20 hours apart: a one-hour window never overlaps.
  EXPECT_EQ(CheckSendTime(now, {"Pacific/Honolulu", "Pacific/Guam"}, "",
                          SendWindow{8 * 60, 9 * 60})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
}

// Exhaustive cross-check around both DST changes and for several rule sets:
// next_allowed is never in the past, is itself allowed, and every whole second
// at a minute boundary between now and it is not.
TEST(CheckSendTimeTest, NextAllowedIsTheEarliestAllowedInstant) {
  struct Case {
    std::vector<std::string> zones;
    std::string state;
    SendWindow practice;
  };
  const std::vector<Case> cases = {
      {{kNewYork}, "", {}},
      {{kChicago, kNewYork}, "FL", {}},
      {{kNewYork}, "MD", *SendWindow::Parse("09:15-17:45")},
      {{"America/Denver", "America/Phoenix"}, "", {}},
  };
  for (const TimePoint start :
       {Utc("2026-03-07T00:00:00Z"), Utc("2026-10-31T00:00:00Z")}) {
    for (const Case &c : cases) {
      for (TimePoint now = start; now < start + hours{72}; now += minutes{53}) {
        const SendDecision decision = Check(now, c.zones, c.state, c.practice);
        ASSERT_GE(decision.next_allowed, now);
        if (decision.allowed) {
          EXPECT_EQ(decision.next_allowed, now);
          continue;
        }
        EXPECT_TRUE(
            Check(decision.next_allowed, c.zones, c.state, c.practice).allowed)
            << Show(now);
        EXPECT_FALSE(Check(decision.next_allowed - seconds{1}, c.zones, c.state,
                           c.practice)
                         .allowed)
            << Show(now);
        for (TimePoint probe = date::ceil<minutes>(now);
             probe < decision.next_allowed; probe += minutes{1}) {
          ASSERT_FALSE(Check(probe, c.zones, c.state, c.practice).allowed)
              << Show(now) << " " << Show(probe);
        }
      }
    }
  }
}

// ---------------------------------------------------------------- caps

const TimePoint kNow = Utc("2026-06-15T16:00:00Z");

CapDecision Caps(const std::vector<SendRecord> &recent,
                 const std::string &channel = "sms",
                 const std::string &subject = "appointment_reminder",
                 const std::string &state = "NY", CapPolicy policy = {}) {
  StatusOr<CapDecision> decision =
      CheckCaps(kNow, recent, channel, subject, state, policy);
  EXPECT_TRUE(decision.ok()) << decision.status().ToString();
  return decision.ok() ? *decision : CapDecision{};
}

SendRecord Sent(std::chrono::seconds ago, const std::string &channel = "sms",
                const std::string &subject = "appointment_reminder") {
  return {kNow - ago, channel, subject, "cmp_test"};
}

TEST(CheckCapsTest, NoHistoryIsAllowed) {
  const CapDecision decision = Caps({});
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.reason, "");
  EXPECT_EQ(decision.next_allowed, kNow);
}

TEST(CheckCapsTest, DailyCapIsRollingAndPerChannel) {
  const CapDecision decision = Caps({Sent(hours{10})});
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.reason, kReasonCapDaily);
  EXPECT_EQ(decision.next_allowed, kNow + hours{14});
  // Another channel has its own cap.
  EXPECT_TRUE(Caps({Sent(hours{10}, "email")}).allowed);
  EXPECT_FALSE(Caps({Sent(hours{10}, "email")}, "email").allowed);
  // Exactly 24 hours ago no longer counts; a second earlier still does.
  EXPECT_TRUE(Caps({Sent(hours{24})}).allowed);
  EXPECT_EQ(Caps({Sent(hours{24} - seconds{1})}).next_allowed,
            kNow + seconds{1});
  // A second one per day when configured.
  EXPECT_TRUE(
      Caps({Sent(hours{10})}, "sms", "x", "NY", CapPolicy{2, 3}).allowed);
  EXPECT_EQ(
      Caps({Sent(hours{10}), Sent(hours{3})}, "sms", "x", "NY", CapPolicy{2, 3})
          .next_allowed,
      kNow + hours{14});
}

TEST(CheckCapsTest, WeeklyCapIsRolling) {
  const CapDecision decision =
      Caps({Sent(hours{24 * 6}), Sent(hours{24 * 4}), Sent(hours{24 * 2})});
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.reason, kReasonCapWeekly);
  EXPECT_EQ(decision.next_allowed,
            kNow + hours{24}); // when the 6-day-old send turns 7 days old
  // One of them just over a week old: two in the window, allowed.
  EXPECT_TRUE(
      Caps({Sent(hours{24 * 7}), Sent(hours{24 * 4}), Sent(hours{24 * 2})})
          .allowed);
  // Four in the week with per_week 3: wait for the two oldest to leave.
  const CapDecision four = Caps({Sent(hours{24 * 6}), Sent(hours{24 * 5}),
                                 Sent(hours{24 * 4}), Sent(hours{24 * 2})});
  EXPECT_EQ(four.next_allowed, kNow + hours{48});
}

TEST(CheckCapsTest, BindingCapGivesTheReason) {
  // Daily releases in 23 h, weekly in 24 h: weekly holds the message longest.
  const CapDecision weekly =
      Caps({Sent(hours{24 * 6}), Sent(hours{24 * 3}), Sent(hours{1})});
  EXPECT_EQ(weekly.reason, kReasonCapWeekly);
  EXPECT_EQ(weekly.next_allowed, kNow + hours{24});
  // Daily releases in 23 h, weekly in 2 h: daily holds it longest.
  const CapDecision daily =
      Caps({Sent(hours{24 * 7 - 2}), Sent(hours{24 * 3}), Sent(hours{1})});
  EXPECT_EQ(daily.reason, kReasonCapDaily);
  EXPECT_EQ(daily.next_allowed, kNow + hours{23});
}

TEST(CheckCapsTest, FloridaSameSubjectThreePer24Hours) {
  const CapPolicy loose{10, 10};
  const std::vector<SendRecord> three = {Sent(hours{20}, "sms"),
                                         Sent(hours{10}, "email"),
                                         Sent(hours{2}, "voice")};
  const CapDecision florida =
      Caps(three, "sms", "appointment_reminder", "FL", loose);
  EXPECT_FALSE(florida.allowed);
  EXPECT_EQ(florida.reason, kReasonStateSubject24h);
  EXPECT_EQ(florida.next_allowed, kNow + hours{4});
  EXPECT_EQ(Caps(three, "sms", "appointment_reminder", "OK", loose).reason,
            kReasonStateSubject24h);
  EXPECT_EQ(Caps(three, "sms", "appointment_reminder", "MD", loose).reason,
            kReasonStateSubject24h);
  // Not in New York; not on another subject; not with only two.
  EXPECT_TRUE(Caps(three, "sms", "appointment_reminder", "NY", loose).allowed);
  EXPECT_TRUE(Caps(three, "sms", "recall_due", "FL", loose).allowed);
  EXPECT_TRUE(
      Caps({three[0], three[1]}, "sms", "appointment_reminder", "FL", loose)
          .allowed);
}

TEST(CheckCapsTest, FutureDatedSendsCountAndNothingIsInThePast) {
  // Another worker's clock runs ahead: the record is dated 5 minutes from now.
  const CapDecision decision = Caps({Sent(-minutes{5})});
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.next_allowed, kNow + hours{24} + minutes{5});
  for (int ago_minutes = -30; ago_minutes < 24 * 60 * 8; ago_minutes += 37) {
    const CapDecision d = Caps({Sent(minutes{ago_minutes}),
                                Sent(minutes{ago_minutes / 2}, "sms", "x")},
                               "sms", "appointment_reminder", "FL");
    EXPECT_GE(d.next_allowed, kNow);
    EXPECT_EQ(d.allowed, d.next_allowed == kNow);
  }
}

TEST(CheckCapsTest, ZeroDisablesACap) {
  EXPECT_TRUE(
      Caps({Sent(hours{1}), Sent(hours{2})}, "sms", "x", "NY", CapPolicy{0, 0})
          .allowed);
  EXPECT_EQ(
      Caps({Sent(hours{1}), Sent(hours{2})}, "sms", "x", "NY", CapPolicy{0, 2})
          .reason,
      kReasonCapWeekly);
}

} // namespace
} // namespace recall::dispatch
