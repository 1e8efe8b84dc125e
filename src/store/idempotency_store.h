#pragma once
// IdempotencyStore: the server's Idempotency-Key records, so that a retried
// POST returns the first response instead of acting twice, across restarts.
// See store/store.h for the rules every sub-store keeps.
//
// A record is scoped by (principal, practice, route, key): the caller hashes
// them into `scope_hash` (so neither the client's key nor a concrete path,
// which may name a patient, is stored in clear) and keeps the practice and the
// route template in clear for purging and operations. Its life:
//
//   Begin (pending) --Complete--> done (the sealed first response) --Sweep--> gone
//                   --Abandon---> gone (the request failed without an answer)
//
// A pending record older than `lease` is taken over by the next Begin (the
// server that began it died); a done record is replayed until `expires_at`.
// Response bodies are stored sealed by the caller (they can hold masked PHI),
// never in clear.
//
// These records cache answers of requests whose effects are audited by the
// handlers themselves; Begin, Complete and Abandon append no audit record of
// their own. Sweep appends one ("idempotency.sweep", a count) when it deletes.
//
// Thread-safety: as Store (writes serialised by the backend).
#include <cstdint>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "common/clock.h"
#include "common/status.h"

namespace recall::store {

struct IdempotencyRecord {
  std::string record_id;    // "idk_" + 24 hex; opaque; the sealing context
  std::string practice_id;  // "" for installation-level routes
  std::string principal;    // the caller's user id
  std::string route;        // the route template, "POST /v1/practices/{practice}/campaigns"
  std::string scope_hash;   // hex SHA-256 of (principal, practice, method + path, key)
  std::string body_hash;    // hex SHA-256 of the request body; "" while a streamed body is read
  bool done = false;
  int status = 0;                 // when done: the HTTP status
  std::string content_type;       // when done
  std::string response_sealed;    // when done: the body, sealed by the caller
  TimePoint created_at{};
  TimePoint expires_at{};
};

enum class IdempotencyBegin {
  kStarted,   // no live record: `record` was inserted as pending; run the request
  kDone,      // a done record: *existing holds it (compare body hashes, replay)
  kInFlight,  // a pending record within its lease: *existing holds it
};

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // Inserts `record` as pending unless a live record has its (practice_id,
  // scope_hash): a done one that has not expired, or a pending one younger
  // than `lease`. Expired or stale records with that scope are replaced.
  // InvalidArgument for an empty scope_hash or record_id.
  virtual StatusOr<IdempotencyBegin> Begin(const IdempotencyRecord& record, TimePoint now,
                                           std::chrono::milliseconds lease, IdempotencyRecord* existing) = 0;
  // Stores the first response of a pending record (and its body hash, for a
  // streamed body known only now). NotFound when the record is gone (swept,
  // taken over, or the practice purged).
  virtual Status Complete(const std::string& practice_id, const std::string& record_id, const std::string& body_hash,
                          int status, const std::string& content_type, const std::string& response_sealed) = 0;
  // Deletes a pending record (the request ended without an answer worth
  // replaying: a 5xx or an exception). OK when it is gone already.
  virtual Status Abandon(const std::string& practice_id, const std::string& record_id) = 0;
  // Deletes every record whose expires_at is before `now`, and pending ones
  // older than `lease`; appends `event` with details {"deleted": n} when n > 0.
  // Returns n.
  virtual StatusOr<int64_t> Sweep(TimePoint now, std::chrono::milliseconds lease, const audit::AuditEvent& event) = 0;
  // Live and pending records of one practice ("" for installation-level).
  virtual StatusOr<int64_t> Count(const std::string& practice_id) = 0;
};

}  // namespace recall::store
