// EMBER_CHECK: aborts on a broken internal invariant. Never for anything user input can reach;
// such conditions return a Status instead.
#pragma once

#include <cstdio>
#include <cstdlib>

#define EMBER_CHECK(cond)                                                                 \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: EMBER_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)
