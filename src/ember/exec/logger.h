// Logger: where Ember reports progress and warnings (skipped rows, slow steps). The default
// writes to stderr; tests capture messages. Implementations must be thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, std::string_view message) = 0;
  void Info(std::string_view m) { Log(LogLevel::kInfo, m); }
  void Warning(std::string_view m) { Log(LogLevel::kWarning, m); }
};

// Writes "[ember] LEVEL message" lines at or above `min_level` to stderr.
class StderrLogger final : public Logger {
 public:
  explicit StderrLogger(LogLevel min_level = LogLevel::kWarning) : min_level_(min_level) {}
  void Log(LogLevel level, std::string_view message) override;

 private:
  LogLevel min_level_;
  std::mutex mu_;
};

// Passes every message to `inner` behind `prefix` (a pipeline names the stage it is fitting:
// "stage 2 (TrainClassifier): ..."). Not owning; `inner` must outlive it.
class PrefixLogger final : public Logger {
 public:
  PrefixLogger(Logger* inner, std::string prefix) : inner_(inner), prefix_(std::move(prefix)) {}
  void Log(LogLevel level, std::string_view message) override {
    inner_->Log(level, prefix_ + std::string(message));
  }

 private:
  Logger* inner_;
  std::string prefix_;
};

// Keeps every message; for tests.
class CapturingLogger final : public Logger {
 public:
  void Log(LogLevel level, std::string_view message) override;
  std::vector<std::string> messages() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> messages_;
};

}  // namespace ember
