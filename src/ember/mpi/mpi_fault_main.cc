// A rank that fails inside a collective, for mpi_fault_test.sh: with argument "kill" rank 2
// kills itself, with "stop" it stops itself (SIGSTOP: alive, connections open, silent).
// The other ranks wait in a barrier; each prints what its barrier returned.
#include <csignal>
#include <cstdio>
#include <cstring>

#include "ember/mpi/mpi_communicator.h"

int main(int argc, char** argv) {
  const bool stop = argc > 1 && std::strcmp(argv[1], "stop") == 0;
  ember::MpiOptions options;
  options.timeout = std::chrono::seconds(3);
  auto world = ember::MpiCommunicator::World(options);
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.status().ToString().c_str());
    return 3;
  }
  ember::MpiCommunicator& comm = **world;
  if (comm.rank() == 2) std::raise(stop ? SIGSTOP : SIGKILL);
  ember::Status s = comm.Barrier(ember::Deadline::In(std::chrono::minutes(5)));
  std::fprintf(stderr, "rank %d: %s\n", comm.rank(), s.ok() ? "OK" : s.ToString().c_str());
  return ember::MpiCommunicator::Finish(s.ok() ? 0 : 1);
}
