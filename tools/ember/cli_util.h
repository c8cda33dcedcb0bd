// What the `ember` commands share: a timer, number formatting, the logger that prints
// library warnings as the CLI's own lines, a progress bar, and reading a table with the
// reader flags.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "commands.h"
#include "ember/core/batch.h"
#include "ember/exec/logger.h"
#include "ember/exec/progress.h"

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

// "1234567" -> "1,234,567".
inline std::string Grouped(int64_t n) {
  std::string d = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i > 0 && (d.size() - i) % 3 == 0) out += ',';
    out += d[i];
  }
  return n < 0 ? "-" + out : out;
}

// While alive, counts rows through an ExecContext of its own and, on terminals, redraws
// "what: rows, rows/s, elapsed" every 200 ms; Finish() draws the last state and a newline.
class ProgressBar {
 public:
  ProgressBar(const CliContext& c, std::string what)
      : c_(c), what_(std::move(what)), exec_(c.exec) {
    exec_.progress = &progress_;
    if (c_.progress_bar) {
      thread_ = std::thread([this] {
        std::unique_lock<std::mutex> lock(mu_);
        while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return done_; }))
          Draw();
      });
    }
  }
  ~ProgressBar() { Finish(); }
  const ExecContext& exec() const { return exec_; }
  void Finish() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
    Draw();
    c_.log << "\n";
  }

 private:
  void Draw() {
    const double secs = timer_.Seconds();
    const int64_t rows = progress_.rows();
    c_.log << "\r" << what_ << ": " << Grouped(rows) << " rows, "
           << Grouped(static_cast<int64_t>(secs > 0 ? rows / secs : 0)) << " rows/s, "
           << Fixed(secs, 1) << " s   " << std::flush;
  }

  const CliContext& c_;
  std::string what_;
  Progress progress_;
  ExecContext exec_;
  Timer timer_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// Reads a table with the reader flags and logs its size and the time it took.
Result<DataFrame> ReadLogged(const CliContext& c, const std::string& path);

}  // namespace ember::cli
