// Master-key rotation in the SQLite LifecycleStore (sqlite/key_rotation.h).
// The re-wrap is a compare-and-swap per row inside one transaction: a row that
// changed since it was listed (a key destroyed by a purge, a TOTP re-enrolled)
// rolls everything back with Unavailable, and the caller lists again.
#include "store/sqlite/key_rotation.h"

#include "store/sqlite/internal.h"

namespace recall::store::sqlite {

StatusOr<std::vector<LifecycleStore::PracticeDataKey>> ListLiveDataKeysLocked(Db* db) {
  ASSIGN_OR_RETURN(Stmt s, db->Prepare("SELECT practice_id, key_id, master_version, wrapped FROM data_keys "
                                       "WHERE destroyed_at IS NULL ORDER BY practice_id, key_id"));
  std::vector<LifecycleStore::PracticeDataKey> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.Text(0), {s.Text(1), static_cast<uint32_t>(s.Int(2)), s.Blob(3)}});
  }
  return out;
}

namespace {
// Idempotency responses are BLOBs; TOTP secrets TEXT (as their stores write them).
constexpr char kSealedSelect[] =
    "SELECT 'idempotency', record_id, CAST(response_sealed AS TEXT) FROM idempotency_keys "
    "WHERE practice_id = '' AND response_sealed IS NOT NULL AND length(response_sealed) > 0 "
    "UNION ALL SELECT 'totp', user_id, totp_secret_sealed FROM users WHERE totp_secret_sealed <> '' "
    "ORDER BY 1, 2";
}  // namespace

StatusOr<std::vector<LifecycleStore::SealedSecret>> ListSealedSecretsLocked(Db* db) {
  ASSIGN_OR_RETURN(Stmt s, db->Prepare(kSealedSelect));
  std::vector<LifecycleStore::SealedSecret> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({s.Text(0), s.Text(1), s.Text(2)});
  }
  return out;
}

Status RewrapKeysLocked(Db* db, const std::vector<LifecycleStore::KeyRewrap>& keys,
                        const std::vector<LifecycleStore::SecretReseal>& secrets, const audit::AuditEvent& event) {
  Txn txn(db);
  RETURN_IF_ERROR(txn.Begin());
  ASSIGN_OR_RETURN(Stmt up, db->Prepare("UPDATE data_keys SET master_version = ?, wrapped = ? WHERE practice_id = ? "
                                        "AND key_id = ? AND master_version = ? AND destroyed_at IS NULL"));
  for (const auto& k : keys) {
    up.Reset();
    up.Bind(1, int64_t{k.key.master_version}).BindBlob(2, k.key.wrapped).Bind(3, k.practice_id).Bind(4, k.key.key_id);
    up.Bind(5, int64_t{k.old_master_version});
    RETURN_IF_ERROR(up.Run());
    if (sqlite3_changes(db->raw()) != 1) {
      return UnavailableError("data key " + k.key.key_id + " changed during the rotation; run it again");
    }
  }
  ASSIGN_OR_RETURN(Stmt totp, db->Prepare("UPDATE users SET totp_secret_sealed = ? WHERE user_id = ? "
                                          "AND totp_secret_sealed = ?"));
  ASSIGN_OR_RETURN(Stmt idem, db->Prepare("UPDATE idempotency_keys SET response_sealed = ? WHERE practice_id = '' "
                                          "AND record_id = ? AND CAST(response_sealed AS TEXT) = ?"));
  for (const auto& sec : secrets) {
    Stmt* up_secret = nullptr;
    if (sec.kind == LifecycleStore::kSealedTotp) {
      totp.Reset();
      totp.Bind(1, sec.new_sealed);
      up_secret = &totp;
    } else if (sec.kind == LifecycleStore::kSealedIdempotency) {
      idem.Reset();
      idem.BindBlob(1, sec.new_sealed);
      up_secret = &idem;
    } else {
      return InvalidArgumentError("unknown sealed secret kind");
    }
    up_secret->Bind(2, sec.owner_id).Bind(3, sec.old_sealed);
    RETURN_IF_ERROR(up_secret->Run());
    if (sqlite3_changes(db->raw()) != 1) {
      return UnavailableError("a sealed " + sec.kind + " secret of " + sec.owner_id +
                              " changed during the rotation; run it again");
    }
  }
  RETURN_IF_ERROR(AppendAuditLocked(db, event).status());
  return txn.Commit();
}

StatusOr<std::map<uint32_t, int64_t>> MasterVersionReferencesLocked(Db* db) {
  std::map<uint32_t, int64_t> out;
  ASSIGN_OR_RETURN(Stmt k, db->Prepare("SELECT master_version, COUNT(*) FROM data_keys WHERE destroyed_at IS NULL "
                                       "GROUP BY master_version"));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, k.Step());
    if (!row) break;
    out[static_cast<uint32_t>(k.Int(0))] += k.Int(1);
  }
  ASSIGN_OR_RETURN(auto secrets, ListSealedSecretsLocked(db));
  for (const auto& sec : secrets) {
    auto version = crypto::MasterKeyring::SealedSecretVersion(sec.sealed);
    if (!version.ok()) return DataLossError("a sealed " + sec.kind + " secret of " + sec.owner_id + " is malformed");
    out[*version] += 1;
  }
  return out;
}

}  // namespace recall::store::sqlite
