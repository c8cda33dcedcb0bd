// `ember serve`: Ember Serving from the command line, with signals for shutdown and reload.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include "commands.h"
#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/registry/default_registry.h"
#include "ember/serving/server.h"

namespace ember::cli {

namespace {

Result<serving::ServerOptions> Options(const ServeArgs& a) {
  serving::ServerOptions o;
  o.host = a.host;
  o.port = a.port;
  o.threads = a.threads;
  o.max_body_bytes = a.max_body_bytes;
  o.max_in_flight = a.max_in_flight;
  o.max_rows = a.max_rows;
  o.max_connections = a.max_connections;
  o.max_buffered_bytes = a.max_buffered_bytes;
  o.write_timeout_ms = a.write_timeout_ms;
  o.deadline_ms = a.deadline_ms;
  o.batch_max_rows = a.batch_max_rows;
  o.batch_wait_us = a.batch_wait_us;
  if (!a.model_dir.empty())
    o.routes.push_back({.path = "/predict", .model_dir = a.model_dir, .reply_cols = a.reply_cols});
  for (const std::string& r : a.routes) {
    const size_t eq = r.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == r.size()) {
      return InvalidArgument("--route '" + r + "': expected /PATH=MODEL_DIR");
    }
    o.routes.push_back(
        {.path = r.substr(0, eq), .model_dir = r.substr(eq + 1), .reply_cols = a.reply_cols});
  }
  if (o.routes.empty())
    return InvalidArgument("give a model directory or at least one --route /PATH=MODEL_DIR");
  for (const std::string& r : a.route_reply_cols) {
    const size_t eq = r.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == r.size())
      return InvalidArgument("--route-reply-cols '" + r + "': expected /PATH=COL,COL,...");
    const std::string path = r.substr(0, eq);
    auto route = std::find_if(o.routes.begin(), o.routes.end(),
                              [&](const serving::RouteOptions& x) { return x.path == path; });
    if (route == o.routes.end())
      return InvalidArgument("--route-reply-cols '" + r + "': no route " + path);
    route->reply_cols.clear();
    std::string cols = r.substr(eq + 1) + ",";
    for (size_t at = 0, comma; (comma = cols.find(',', at)) != std::string::npos; at = comma + 1) {
      if (comma > at) route->reply_cols.push_back(cols.substr(at, comma - at));
    }
  }
  for (serving::RouteOptions& route : o.routes) route.strict_fields = a.strict_fields;
  if (!a.api_key_file.empty()) {
    EMBER_ASSIGN_OR_RETURN(std::string text, ReadFileToString(a.api_key_file));
    o.api_key = text.substr(0, text.find_first_of("\r\n"));
    if (o.api_key.empty())
      return InvalidArgument("--api-key-file '" + a.api_key_file + "': the first line is empty");
  }
  return o;
}

}  // namespace

sigset_t BlockServeSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

Status Serve(const CliContext& c, const ServeArgs& args) {
  EMBER_ASSIGN_OR_RETURN(serving::ServerOptions options, Options(args));
  options.registry = &DefaultRegistry();
  // Block the signals before the server's threads start (they inherit the mask), then take
  // them here, synchronously.
  sigset_t before;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  sigset_t signals = BlockServeSignals();
  const auto start = std::chrono::steady_clock::now();
  // Models load on a thread of their own, so that SIGTERM or SIGINT during a long load ends
  // the process at once (nothing is served yet, nothing to drain).
  Result<std::unique_ptr<serving::Server>> started = Internal("not started");
  std::atomic<bool> loaded{false};
  // Said before the load, which may take long (a network's first forward pass): from here
  // SIGTERM and SIGINT are taken ("stopped while loading").
  c.log << "loading " << options.routes.size()
        << (options.routes.size() == 1 ? " model" : " models") << "\n";
  c.log.flush();
  std::thread starter([&] {
    started = serving::Server::Start(options);
    loaded = true;
  });
  while (!loaded) {
    const timespec tick{0, 20 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      c.log << "stopped while loading the models\n";
      c.log.flush();
      c.out.flush();
      std::_Exit(0);
    }
  }
  starter.join();
  if (!started.ok()) {
    pthread_sigmask(SIG_SETMASK, &before, nullptr);  // as the caller had it
    return started.status();
  }
  std::unique_ptr<serving::Server> server = std::move(*started);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  for (const auto& r : options.routes) c.log << "route " << r.path << " -> " << r.model_dir << "\n";
  c.log << "ready in " << static_cast<int>(ms + 0.5) << " ms\n";
  c.out << "listening on http://" << options.host << ":" << server->port() << std::endl;
  // A reload runs on a thread of its own, so that SIGTERM during a long reload is taken at
  // once: the server drains and stops; the process then ends without waiting for the load.
  std::thread reloader;
  std::atomic<bool> reloading{false};
  std::mutex log_mu;  // the reload thread and this one both write c.log
  auto say = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mu);
    c.log << line << "\n";
    c.log.flush();
  };
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (reloading) {
        say("a reload is running; this one is skipped");
        continue;
      }
      if (reloader.joinable()) reloader.join();
      reloading = true;
      reloader = std::thread([&say, &server, &reloading] {
        Status s = server->Reload();
        say(s.ok() ? std::string("reloaded every model")
                   : "reload failed, old models keep serving: " + s.message());
        reloading = false;
      });
      continue;
    }
    say("shutting down: answering requests in flight");
    server->Shutdown();
    server->Wait();
    say("stopped");
    if (reloading) {
      c.out.flush();
      std::_Exit(0);  // a reload still loading: nothing of it matters any more
    }
    if (reloader.joinable()) reloader.join();
    return Status::OK();
  }
}

}  // namespace ember::cli
