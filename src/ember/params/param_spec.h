// ParamSpec<P>: the declarations of a stage's params struct P, one entry per param (JSON
// name, member, doc, validator), next to the struct whose member initialisers are the
// defaults. The generic machinery here walks the entries: validate, to/from JSON, set by
// name, and describe (for the generated param reference). Immutable after construction,
// so one static spec serves every thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/base/json.h"
#include "ember/base/status_macros.h"
#include "ember/params/json_codec.h"

namespace ember {

// What the docs say about one param.
struct ParamInfo {
  std::string name;  // camelCase, as in SparkML
  std::string type;  // "string", "int", "string[]", "enum{error|skip|keep}", ...
  std::string doc;
  std::string constraint;  // "must not be empty", "in [1, 1024]", or ""
  Json default_value;
};

template <typename T>
struct Validator {
  std::function<Status(const T&)> check;  // returns InvalidArgument describing the problem
  std::string description;
};

// Strings and vectors: must not be empty.
template <typename T>
Validator<T> NonEmpty() {
  return {
      [](const T& v) { return v.empty() ? InvalidArgument("must not be empty") : Status::OK(); },
      "must not be empty"};
}
template <typename T>
Validator<T> InRange(T lo, T hi) {
  std::string d =
      "in [" + JsonCodec<T>::ToJson(lo).Dump() + ", " + JsonCodec<T>::ToJson(hi).Dump() + "]";
  return {[lo, hi, d](const T& v) {
            return (v >= lo && v <= hi) ? Status::OK()
                                        : InvalidArgument("must be " + d + ", got " +
                                                          JsonCodec<T>::ToJson(v).Dump());
          },
          d};
}
template <typename T>
Validator<T> AtLeast(T lo) {
  std::string d = ">= " + JsonCodec<T>::ToJson(lo).Dump();
  return {[lo, d](const T& v) {
            return v >= lo ? Status::OK()
                           : InvalidArgument("must be " + d + ", got " +
                                             JsonCodec<T>::ToJson(v).Dump());
          },
          d};
}

// Every element of a vector passes `v` ("each >= 0"); the error names the element.
template <typename T>
Validator<std::vector<T>> Each(Validator<T> v) {
  return {[check = v.check](const std::vector<T>& values) {
            for (size_t i = 0; i < values.size(); ++i) {
              Status s = check(values[i]);
              if (!s.ok()) return s.WithContext("element " + std::to_string(i));
            }
            return Status::OK();
          },
          "each " + v.description};
}

// The closest of `candidates` to `name` by edit distance, or "" when none is close.
std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates);

template <typename P>
class ParamSpec {
 public:
  explicit ParamSpec(std::string owner) : owner_(std::move(owner)) {}

  const std::string& owner() const { return owner_; }

  template <typename T>
  ParamSpec& Add(std::string name, T P::*member, std::string doc, Validator<T> v = {}) {
    Entry e;
    e.info = {name, JsonCodec<T>::TypeName(), std::move(doc), v.description,
              JsonCodec<T>::ToJson(P{}.*member)};
    e.get = [member](const P& p) { return JsonCodec<T>::ToJson(p.*member); };
    e.set = [member](P* p, const Json& j) { return JsonCodec<T>::FromJson(j, &(p->*member)); };
    e.validate = [member, check = v.check](const P& p) {
      return check ? check(p.*member) : Status::OK();
    };
    entries_.push_back(std::move(e));
    return *this;
  }

  // An enum param written in JSON by name.
  template <typename E>
  ParamSpec& AddEnum(std::string name, E P::*member, std::vector<std::pair<std::string, E>> names,
                     std::string doc) {
    std::string type = "enum{";
    for (size_t i = 0; i < names.size(); ++i) type += (i ? "|" : "") + names[i].first;
    type += "}";
    auto to_json = [names](E v) {
      for (const auto& [n, e] : names) {
        if (e == v) return Json(n);
      }
      return Json();
    };
    Entry e;
    e.info = {name, type, std::move(doc), "", to_json(P{}.*member)};
    e.get = [member, to_json](const P& p) { return to_json(p.*member); };
    e.set = [member, names, type](P* p, const Json& j) {
      if (j.is_string()) {
        for (const auto& [n, v] : names) {
          if (n == j.as_string()) {
            p->*member = v;
            return Status::OK();
          }
        }
      }
      return InvalidArgument("expected one of " + type.substr(4) + ", got " + j.Dump());
    };
    e.validate = [](const P&) { return Status::OK(); };
    entries_.push_back(std::move(e));
    return *this;
  }

  // Embeds the params of group G (a struct with its own ParamSpec, such as the HTTP call
  // params) as `member`: its params appear in this spec's flat JSON, docs and validation as
  // if declared here, and errors name this spec's owner. Lets several stages share one
  // declared set with no macro and no inheritance; `{.call = {.concurrency = 4}}` works.
  template <typename G>
  ParamSpec& AddGroup(G P::*member, const ParamSpec<G>& group) {
    for (const auto& g : group.entries_) {
      Entry e;
      e.info = g.info;
      e.info.default_value = g.get(P{}.*member);
      e.get = [member, get = g.get](const P& p) { return get(p.*member); };
      e.set = [member, set = g.set](P* p, const Json& j) { return set(&(p->*member), j); };
      e.validate = [member, validate = g.validate](const P& p) { return validate(p.*member); };
      entries_.push_back(std::move(e));
    }
    return *this;
  }

  // Checks every validator; the error names the owner and the param.
  Status Validate(const P& p) const {
    for (const Entry& e : entries_) {
      Status s = e.validate(p);
      if (!s.ok()) return s.WithContext(Where(e.info.name));
    }
    return Status::OK();
  }

  // Every param, by JSON name, in declaration order.
  Json ToJson(const P& p) const {
    Json o = Json::MakeObject();
    for (const Entry& e : entries_) o.Set(e.info.name, e.get(p));
    return o;
  }

  // Defaults overridden by the keys of `params` (an object), then validated. Unknown keys
  // are errors that suggest the closest known name.
  Result<P> FromJson(const Json& params) const {
    P p{};
    if (params.is_null()) {
      EMBER_RETURN_IF_ERROR(Validate(p));
      return p;
    }
    if (!params.is_object())
      return TypeError(owner_ + " params must be a JSON object, got " + params.Dump());
    for (const auto& [k, v] : params.as_object()) EMBER_RETURN_IF_ERROR(Set(&p, k, v));
    EMBER_RETURN_IF_ERROR(Validate(p));
    return p;
  }

  // Sets one param from JSON without validating the whole struct.
  Status Set(P* p, std::string_view name, const Json& value) const {
    for (const Entry& e : entries_) {
      if (e.info.name == name) return e.set(p, value).WithContext(Where(e.info.name));
    }
    std::vector<std::string> names;
    for (const Entry& e : entries_) names.push_back(e.info.name);
    std::string msg = "unknown param '" + std::string(name) + "' for " + owner_;
    std::string close = ClosestName(name, names);
    if (!close.empty()) msg += "; did you mean '" + close + "'?";
    msg += " Known params: ";
    for (size_t i = 0; i < names.size(); ++i) msg += (i ? ", " : "") + names[i];
    if (names.empty()) msg += "(none)";
    return InvalidArgument(msg);
  }

  std::vector<ParamInfo> Describe() const {
    std::vector<ParamInfo> out;
    for (const Entry& e : entries_) out.push_back(e.info);
    return out;
  }

 private:
  template <typename>
  friend class ParamSpec;
  struct Entry {
    ParamInfo info;
    std::function<Json(const P&)> get;
    std::function<Status(P*, const Json&)> set;
    std::function<Status(const P&)> validate;
  };
  std::string Where(const std::string& name) const { return owner_ + " param '" + name + "'"; }

  std::string owner_;
  std::vector<Entry> entries_;
};

}  // namespace ember
