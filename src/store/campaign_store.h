#pragma once
// CampaignStore: to be filled by the campaign work (see store/store.h for the rules every
// sub-store keeps).
namespace recall::store {

class CampaignStore {
 public:
  virtual ~CampaignStore() = default;
};

}  // namespace recall::store
