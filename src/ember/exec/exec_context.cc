#include "ember/exec/exec_context.h"

#include <cstdio>

namespace ember {

const ExecContext& ExecContext::Default() {
  static ThreadPool* pool = new ThreadPool(0);
  static Communicator* comm = LocalCommunicator::Single().release();
  static Logger* log = new StderrLogger(LogLevel::kWarning);
  static const ExecContext* ctx = new ExecContext{pool, comm, CancellationToken(), log};
  return *ctx;
}

ExecContext ExecContext::WithPool(ThreadPool* pool) {
  ExecContext ctx = Default();
  ctx.pool = pool;
  ctx.cancel = CancellationToken();
  return ctx;
}

void StderrLogger::Log(LogLevel level, std::string_view message) {
  if (level < min_level_) return;
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
  std::lock_guard<std::mutex> lk(mu_);
  std::fprintf(stderr, "[ember] %s %.*s\n", kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

void CapturingLogger::Log(LogLevel level, std::string_view message) {
  std::lock_guard<std::mutex> lk(mu_);
  messages_.emplace_back(message);
}

std::vector<std::string> CapturingLogger::messages() const {
  std::lock_guard<std::mutex> lk(mu_);
  return messages_;
}

}  // namespace ember
