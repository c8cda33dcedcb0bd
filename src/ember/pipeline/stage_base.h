// StageBase: the scaffolding every stage class would otherwise repeat, written once. A stage
// class derives from StageBase<Self, Transformer or Estimator, Params> and declares
//
//   static constexpr std::string_view kTypeName = "MyStage";
//
// and gets: `Params`, type_name(), ParamsJson() (the params through Params::Spec()),
// params(), the protected constructor from (Params, uid) and the member `params_`. A stage
// whose only state is its params also gets Make(Params, uid): the params checked against
// their spec, then by `static Status Check(const Params&)` when Self declares one; it
// declares `friend StageBase;` so that Make can construct it. A stage with more state (a
// fitted model) writes its own Make, which hides this one.
//
// The helper adds no virtual function: the two it defines are Stage's, marked final.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "ember/base/status_macros.h"
#include "ember/pipeline/stage.h"

namespace ember {

template <typename Self, typename Base, typename P>
class StageBase : public Base {
 public:
  using Params = P;

  static Result<std::shared_ptr<const Self>> Make(P p, std::string uid = {}) {
    EMBER_RETURN_IF_ERROR(P::Spec().Validate(p));
    if constexpr (requires(const P& q) { Self::Check(q); }) {
      EMBER_RETURN_IF_ERROR(Self::Check(p));
    }
    return std::shared_ptr<const Self>(new Self(std::move(p), std::move(uid)));
  }

  std::string_view type_name() const final { return Self::kTypeName; }
  Json ParamsJson() const final { return P::Spec().ToJson(params_); }
  const P& params() const { return params_; }

 protected:
  StageBase(P p, std::string uid) : Base(std::move(uid), Self::kTypeName), params_(std::move(p)) {}

  P params_;
};

}  // namespace ember
