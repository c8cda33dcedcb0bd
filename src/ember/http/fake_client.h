// FakeClient: an http::Client that answers from a function instead of the network, and
// records what it was asked, for tests of anything built on the HTTP seam (the HTTP stages,
// service stages, inference backends). Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "ember/http/http_client.h"

namespace ember::http {

class FakeClient final : public Client {
 public:
  // `answer` makes each call's response; a status outside 2xx with no error set gets the
  // error "HTTP <status> <reason>", as the real client gives (no retries are made).
  using Answer = std::function<Response(const Request&)>;
  explicit FakeClient(Answer answer) : answer_(std::move(answer)) {}

  std::vector<Response> SendAll(std::span<const Request> requests,
                                const ClientOptions& options) const override {
    std::vector<Response> out;
    out.reserve(requests.size());
    for (const Request& r : requests) {
      Response response = answer_(r);
      if (response.attempts == 0) response.attempts = 1;
      if (response.error.empty() && (response.status < 200 || response.status > 299)) {
        response.error = "HTTP " + std::to_string(response.status) + " " + response.reason;
      }
      out.push_back(std::move(response));
    }
    std::lock_guard<std::mutex> lock(mu_);
    seen_.insert(seen_.end(), requests.begin(), requests.end());
    ++calls_;
    return out;
  }

  // Every request sent so far, in the order the SendAll calls were made.
  std::vector<Request> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  // How many SendAll calls were made (one per partition, or per mini-batch group).
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  Answer answer_;
  mutable std::mutex mu_;
  mutable std::vector<Request> seen_;
  mutable int calls_ = 0;
};

}  // namespace ember::http
