// A rank that fails inside a collective, for mpi_fault_test.sh: with argument "kill" rank 2
// kills itself, with "stop" it stops itself (SIGSTOP: alive, connections open, silent).
// The other ranks wait in a barrier; each prints what its barrier returned. With "alone",
// rank 2 finishes (MpiCommunicator::Finish) while the others work on for 20 s.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include "ember/mpi/mpi_communicator.h"

int main(int argc, char** argv) {
  const bool stop = argc > 1 && std::strcmp(argv[1], "stop") == 0;
  const bool alone = argc > 1 && std::strcmp(argv[1], "alone") == 0;
  ember::MpiOptions options;
  options.timeout = std::chrono::seconds(3);
  auto world = ember::MpiCommunicator::World(options);
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.status().ToString().c_str());
    return 3;
  }
  ember::MpiCommunicator& comm = **world;
  if (alone) {
    // Rank 2 ends while the others are still at work: it must not finalize without them.
    if (comm.rank() != 2) std::this_thread::sleep_for(std::chrono::seconds(20));
    return ember::MpiCommunicator::Finish(0);
  }
  if (comm.rank() == 2) std::raise(stop ? SIGSTOP : SIGKILL);
  ember::Status s = comm.Barrier(ember::Deadline::In(std::chrono::minutes(5)));
  std::fprintf(stderr, "rank %d: %s\n", comm.rank(), s.ok() ? "OK" : s.ToString().c_str());
  return ember::MpiCommunicator::Finish(s.ok() ? 0 : 1);
}
