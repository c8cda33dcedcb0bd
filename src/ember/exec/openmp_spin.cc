#include "ember/exec/openmp_spin.h"

#include <unistd.h>

#include <cstdlib>

namespace ember {

void ShortenOpenMpSpin(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  // Set before exec, so the new image sees it and does not exec again.
  if (setenv("GOMP_SPINCOUNT", kOpenMpSpinCount, 1) != 0) return;
  execv("/proc/self/exe", argv);
  // exec failed (no /proc): run on with the default spin, and say nothing of it.
}

}  // namespace ember
