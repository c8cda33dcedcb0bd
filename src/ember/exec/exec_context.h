// ExecContext: what an operation runs with: the thread pool for partition parallelism, the
// communicator to the other ranks, a cancellation token, a logger and a progress counter. A plain
// struct of non-owning pointers; the owner (a program, a test, the server) keeps them alive.
#pragma once

#include "ember/exec/cancellation.h"
#include "ember/exec/communicator.h"
#include "ember/exec/logger.h"
#include "ember/exec/progress.h"
#include "ember/exec/thread_pool.h"

namespace ember {

struct ExecContext {
  ThreadPool* pool = nullptr;
  Communicator* comm = nullptr;
  CancellationToken cancel;
  Logger* log = nullptr;
  Progress* progress = nullptr;  // when set, transforms add the rows of each partition done

  // A process-wide context: one worker per hardware thread, a single-rank communicator and
  // warnings to stderr. Thread-safe to use from any thread.
  static const ExecContext& Default();
  // A context like Default() with its own pool of `threads` workers (owned by the caller).
  static ExecContext WithPool(ThreadPool* pool);
  // The calling thread alone on one rank (no pool, no communicator, no logger): what a
  // kernel runs a frame operation with on the one batch it is given.
  static ExecContext Local() { return ExecContext(); }
};

}  // namespace ember
