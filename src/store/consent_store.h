#pragma once
// ConsentStore: to be filled by the consent work (see store/store.h for the rules every
// sub-store keeps).
namespace recall::store {

class ConsentStore {
 public:
  virtual ~ConsentStore() = default;
};

}  // namespace recall::store
