#include "audit/audit.h"

#include <nlohmann/json.hpp>

#include "common/random.h"
#include "crypto/crypto.h"

namespace recall::audit {

namespace {

// "2025-11-01" or "2025-11-01T10:00:00Z": dates of events, not of patients.
bool IsIsoDateOrTime(std::string_view v) {
  if (v.size() < 10 || v[4] != '-' || v[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (v[i] < '0' || v[i] > '9') return false;
  }
  return v.size() == 10 || v[10] == 'T';
}

bool LooksLikePhi(std::string_view v) {
  if (v.find('@') != std::string_view::npos) return true;
  if (IsIsoDateOrTime(v)) return false;
  int digits = 0;
  for (char c : v) {
    if (static_cast<unsigned char>(c) < 0x20) return true;
    if (c >= '0' && c <= '9') {
      if (++digits >= 7) return true;
    } else if (c != '-' && c != ' ' && c != '(' && c != ')' && c != '.') {
      digits = 0;
    }
  }
  return false;
}

// Opaque ids and hashes legitimately carry long digit runs: prefix_hex / hex digests.
bool IsOpaqueToken(std::string_view v) {
  if (v.empty()) return false;
  const size_t us = v.find('_');
  std::string_view hex = us == std::string_view::npos ? v : v.substr(us + 1);
  if (us != std::string_view::npos) {
    for (char c : v.substr(0, us)) {
      if (!(c >= 'a' && c <= 'z')) return false;
    }
  }
  if (hex.size() < 16) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// FormatRfc3339Millis without iostreams (it is on the append hot path):
// "YYYY-MM-DDTHH:MM:SS.mmmZ", UTC. Civil date from days: H. Hinnant's algorithm.
std::string FormatTime(TimePoint t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t).time_since_epoch().count();
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  int64_t rem = ms - days * 86400000;
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 0 || y > 9999) return FormatRfc3339Millis(t);
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&out](size_t pos, int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) out[pos + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, y, 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, rem / 3600000, 2);
  put(14, rem / 60000 % 60, 2);
  put(17, rem / 1000 % 60, 2);
  put(20, rem % 1000, 3);
  return out;
}

void AppendLp(std::string& out, std::string_view field) {
  const auto n = static_cast<uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(field);
}

}  // namespace

Status CheckEvent(const AuditEvent& event) {
  if (event.actor.empty() || event.action.empty()) return InvalidArgumentError("audit event needs actor and action");
  for (const auto& [key, value] : event.details) {
    if (const auto* s = std::get_if<std::string>(&value)) {
      if (LooksLikePhi(*s) && !IsOpaqueToken(*s)) {
        return InvalidArgumentError("audit detail '" + key + "' looks like PHI and was refused");
      }
    }
  }
  return OkStatus();
}

namespace {

// Bytes nlohmann-json writes as they are (dump without ensure_ascii): printable
// ASCII other than '"' and '\\'.
bool IsPlainJsonText(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace

std::string DetailsToJson(const Details& details) {
  // The common case, written directly: keys and string values of plain ASCII
  // (ids, codes). Byte for byte what the general path below produces (the same
  // key order, no spaces, integers in decimal): audit_test checks it.
  std::string out = "{";
  bool plain = true;
  for (const auto& [key, value] : details) {
    if (!IsPlainJsonText(key)) {
      plain = false;
      break;
    }
    if (out.size() > 1) out.push_back(',');
    out.push_back('"');
    out.append(key);
    out.append("\":");
    if (const auto* s = std::get_if<std::string>(&value)) {
      if (!IsPlainJsonText(*s)) {
        plain = false;
        break;
      }
      out.push_back('"');
      out.append(*s);
      out.push_back('"');
    } else if (const auto* i = std::get_if<int64_t>(&value)) {
      out.append(std::to_string(*i));
    } else {
      out.append(std::get<bool>(value) ? "true" : "false");
    }
  }
  if (plain) {
    out.push_back('}');
    return out;
  }
  nlohmann::json j = nlohmann::json::object();
  for (const auto& entry : details) {
    const std::string& key = entry.first;  // named: clang 14 cannot capture a structured binding
    std::visit([&](const auto& v) { j[key] = v; }, entry.second);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CanonicalEncoding(const AuditRecord& r) {
  std::string out = "recall.audit.v1";
  out.push_back('\0');
  const auto seq = static_cast<uint64_t>(r.seq);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((seq >> shift) & 0xff));
  AppendLp(out, r.time);
  AppendLp(out, r.actor);
  AppendLp(out, r.action);
  AppendLp(out, r.practice_id);
  AppendLp(out, r.subject);
  AppendLp(out, r.details_json);
  AppendLp(out, r.prev_hash);
  return out;
}

std::string ComputeHash(const AuditRecord& record) { return HexEncode(crypto::Sha256(CanonicalEncoding(record))); }

AuditRecord SealRecord(const AuditEvent& event, int64_t seq, const std::string& prev_hash) {
  AuditRecord r;
  r.seq = seq;
  r.time = FormatTime(event.time);
  r.actor = event.actor;
  r.action = event.action;
  r.practice_id = event.practice_id;
  r.subject = event.subject;
  r.details_json = DetailsToJson(event.details);
  r.prev_hash = prev_hash;
  r.hash = ComputeHash(r);
  return r;
}

bool ChainVerifier::Feed(const AuditRecord& record) {
  if (first_bad_seq_) return false;
  ++records_;
  auto fail = [&](std::string why) {
    first_bad_seq_ = record.seq;
    reason_ = std::move(why);
    return false;
  };
  if (record.seq != expected_seq_) {
    return fail(record.seq > expected_seq_ ? "sequence gap (a record is missing)" : "sequence out of order");
  }
  if (record.prev_hash != last_hash_) return fail("previous-hash link broken (record removed or reordered)");
  if (ComputeHash(record) != record.hash) return fail("hash mismatch (record content changed)");
  last_hash_ = record.hash;
  ++expected_seq_;
  return true;
}

}  // namespace recall::audit
