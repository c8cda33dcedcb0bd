// Running requests through a route's model, apart from the sockets: what an event loop
// calls for a model that does not block, and the compute pool for one that does (see
// BoundTransform::blocking). Everything here is free of Asio and Beast, and thread-safe:
// it touches only its arguments and the atomics of Metrics.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/base/json.h"
#include "ember/serving/metrics.h"
#include "ember/serving/model.h"

namespace ember::serving::internal {

using Clock = std::chrono::steady_clock;

// A reply before it is written.
struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t model_version = -1;  // >= 0: sent as X-Ember-Model-Version
  bool close = false;          // close the connection after it
};

// `text` cut to `max_bytes` (then "... (N bytes)") with every byte that is not part of
// well-formed UTF-8 replaced by U+FFFD: safe to put in a JSON reply.
std::string SafeText(std::string_view text, size_t max_bytes);

// {"error": message, ...extra}, the message and string values through SafeText.
Reply JsonError(int status, const std::string& message, Json extra = Json::MakeObject());

// The HTTP status for a pipeline error: the row's fault (400), too late (504) or the
// server's (500).
int StatusForPipelineError(const Status& s);

// One request's decoded rows, waiting to run.
struct RequestRows {
  std::shared_ptr<const LoadedModel> model;
  Batch rows;
  bool array = false;  // the body was an array: the reply is one too
  Clock::time_point deadline;
};

// Runs one request's rows alone and returns its reply (504 when its deadline has passed).
Reply RunRequest(const RequestRows& request, int route, KernelScratch& scratch, Metrics& metrics);

// Runs `group` (requests to one route, all with the same model) as one batch and returns
// one reply per request, in order: the reply columns of its own rows; 504 for a request
// whose deadline passed before it ran; when the batch fails or drops rows, each request is
// run alone so that one bad row answers only its own request. `scratch` is the calling
// thread's.
std::vector<Reply> RunRequests(std::span<const RequestRows> group, int route,
                               KernelScratch& scratch, Metrics& metrics);

// Runs a raw route's model on one request (see RouteOptions::raw) and returns its reply.
Reply RunRaw(const LoadedModel& model, const Batch& request, KernelScratch& scratch);

}  // namespace ember::serving::internal
