#pragma once
// The master-key rotation primitives of the SQLite LifecycleStore
// (store/lifecycle_store.h, "Master-key rotation"); private to
// src/store/sqlite/. The caller holds the store mutex.
#include <cstdint>
#include <map>
#include <vector>

#include "store/lifecycle_store.h"
#include "store/sqlite/db.h"

namespace recall::store::sqlite {

StatusOr<std::vector<LifecycleStore::PracticeDataKey>> ListLiveDataKeysLocked(Db* db);
StatusOr<std::vector<LifecycleStore::SealedSecret>> ListSealedSecretsLocked(Db* db);
Status RewrapKeysLocked(Db* db, const std::vector<LifecycleStore::KeyRewrap>& keys,
                        const std::vector<LifecycleStore::SecretReseal>& secrets, const audit::AuditEvent& event);
StatusOr<std::map<uint32_t, int64_t>> MasterVersionReferencesLocked(Db* db);

}  // namespace recall::store::sqlite
