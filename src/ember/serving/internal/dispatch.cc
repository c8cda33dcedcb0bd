#include "ember/serving/internal/dispatch.h"

#include <algorithm>

#include "ember/core/ops.h"

namespace ember::serving::internal {

std::string SafeText(std::string_view text, size_t max_bytes) {
  std::string out;
  const size_t n = std::min(text.size(), max_bytes);
  out.reserve(n + 32);
  size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    // The length of a well-formed UTF-8 sequence starting here (RFC 3629), or 0.
    size_t len = c < 0x80                   ? 1
                 : (c >= 0xC2 && c <= 0xDF) ? 2
                 : (c >= 0xE0 && c <= 0xEF) ? 3
                 : (c >= 0xF0 && c <= 0xF4) ? 4
                                            : 0;
    if (len > 1 && i + len > n) len = 0;
    for (size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      bool ok = (d & 0xC0) == 0x80;
      if (k == 1 && c == 0xE0) ok = ok && d >= 0xA0;  // overlong
      if (k == 1 && c == 0xED) ok = ok && d < 0xA0;   // surrogates
      if (k == 1 && c == 0xF0) ok = ok && d >= 0x90;  // overlong
      if (k == 1 && c == 0xF4) ok = ok && d < 0x90;   // past U+10FFFF
      if (!ok) len = 0;
    }
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(text.data() + i, len);
      i += len;
    }
  }
  if (text.size() > n) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

Reply JsonError(int status, const std::string& message, Json extra) {
  Json o = Json::MakeObject();
  // Messages may quote what the client sent (a path, a header, a value): never echo more
  // than a few kB of it, nor bytes that would make the reply invalid JSON.
  o.Set("error", SafeText(message, 4096));
  if (extra.is_object()) {
    for (auto& [k, v] : extra.as_object())
      o.Set(k, v.is_string() ? Json(SafeText(v.as_string(), 1024)) : v);
  }
  Reply r;
  r.status = status;
  r.body = o.Dump();
  return r;
}

int StatusForPipelineError(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kTypeError:
    case StatusCode::kNotFound:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

namespace {

Reply DeadlinePassed() {
  return JsonError(504, "the request's deadline passed before its pipeline ran");
}

// Why a pipeline gives fewer rows than a request has, and what to do.
constexpr const char* kWhyDropped =
    " (a stage's handleInvalid is 'skip', or a SqlTransformer filters, groups or limits rows: "
    "WHERE, GROUP BY, DISTINCT, LIMIT); a served pipeline must give one row per request row: "
    "set handleInvalid to 'keep', or compute a flag column instead of filtering";

// The reply to `request` from rows [begin, begin + its rows) of `out`, which its model made.
Reply Answer(const RequestRows& request, const Batch& out, int64_t begin) {
  const int64_t n = request.rows.num_rows();
  if (!request.array && out.num_rows() - begin < 1) {
    return JsonError(400, std::string("the pipeline dropped this row") + kWhyDropped);
  }
  Reply r;
  request.model->encoder().Encode(out, begin, begin + n, request.array, &r.body);
  r.model_version = request.model->version();
  return r;
}

}  // namespace

Reply RunRequest(const RequestRows& request, int route, KernelScratch& scratch, Metrics& metrics) {
  if (Clock::now() > request.deadline) return DeadlinePassed();
  metrics.RecordBatch(route, request.rows.num_rows());
  Result<Batch> out = request.model->kernel().Apply(request.rows, scratch);
  if (!out.ok()) return JsonError(StatusForPipelineError(out.status()), out.status().message());
  const int64_t n = request.rows.num_rows();
  if (out->num_rows() != n && request.array) {
    return JsonError(400, "the pipeline dropped " + std::to_string(n - out->num_rows()) + " of " +
                              std::to_string(n) + " rows" + kWhyDropped);
  }
  return Answer(request, *out, 0);
}

std::vector<Reply> RunRequests(std::span<const RequestRows> group, int route,
                               KernelScratch& scratch, Metrics& metrics) {
  std::vector<Reply> replies(group.size());
  std::vector<size_t> live;  // requests still within their deadline
  const auto now = Clock::now();
  for (size_t i = 0; i < group.size(); ++i) {
    if (now > group[i].deadline) {
      replies[i] = DeadlinePassed();
    } else {
      live.push_back(i);
    }
  }
  if (live.size() == 1) replies[live[0]] = RunRequest(group[live[0]], route, scratch, metrics);
  if (live.size() <= 1) return replies;
  std::vector<Batch> inputs;
  int64_t total = 0;
  for (size_t i : live) {
    inputs.push_back(group[i].rows);
    total += group[i].rows.num_rows();
  }
  const LoadedModel& model = *group[live[0]].model;
  Result<Batch> all = ConcatBatches(inputs);
  Result<Batch> out = all.ok() ? model.kernel().Apply(*all, scratch) : all;
  if (!out.ok() || out->num_rows() != total) {
    // One request's bad row (or dropped rows) must not fail or shift the others: run each
    // request alone so that each gets its own answer.
    for (size_t i : live) replies[i] = RunRequest(group[i], route, scratch, metrics);
    return replies;
  }
  metrics.RecordBatch(route, total);
  int64_t begin = 0;
  for (size_t i : live) {
    replies[i] = Answer(group[i], *out, begin);
    begin += group[i].rows.num_rows();
  }
  return replies;
}

Reply RunRaw(const LoadedModel& model, const Batch& request, KernelScratch& scratch) {
  Result<Batch> out = model.kernel().Apply(request, scratch);
  if (!out.ok()) return JsonError(StatusForPipelineError(out.status()), out.status().message());
  Result<RawHttpReply> raw = ReadRawReply(model, *out);
  if (!raw.ok()) return JsonError(500, raw.status().message());
  Reply r;
  r.status = raw->status;
  r.content_type = std::move(raw->content_type);
  r.headers = std::move(raw->headers);
  r.body = std::move(raw->body);
  return r;
}

}  // namespace ember::serving::internal
