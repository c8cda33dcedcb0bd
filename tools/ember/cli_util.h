// What the `ember` commands share: a timer, number formatting, the logger that prints
// library warnings as the CLI's own lines, and reading a table with the reader flags.
#pragma once

#include <chrono>
#include <mutex>
#include <ostream>
#include <string>

#include "commands.h"
#include "ember/core/batch.h"
#include "ember/exec/logger.h"

namespace ember::cli {

class Timer {
 public:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string Fixed(double v, int digits = 2);

// Library warnings during a command (a fit that did not converge, named by its stage), as
// the CLI's own lines on its log stream; info is left out (progress lines are the CLI's).
// On several ranks only rank 0's stream is written.
class CliLogger final : public Logger {
 public:
  explicit CliLogger(std::ostream& out) : out_(out) {}
  void Log(LogLevel level, std::string_view message) override {
    if (level < LogLevel::kWarning) return;
    std::lock_guard<std::mutex> lock(mu_);
    out_ << (level == LogLevel::kError ? "error: " : "warning: ") << message << "\n";
  }

 private:
  std::ostream& out_;
  std::mutex mu_;
};

// Reads a table with the reader flags and logs its size and the time it took.
Result<DataFrame> ReadLogged(const CliContext& c, const std::string& path);

}  // namespace ember::cli
