// OpenMP's spin-wait, shortened for machines other work keeps busy. XGBoost trains on
// OpenMP threads, and libgomp makes a thread that reaches a barrier spin 300,000 rounds
// before it sleeps. When another process uses the cores, a spinning thread holds the core
// its partner needs to reach the barrier: a 100-round boosting fit of 100k rows took 0.83 s
// idle and 6 to 33 s beside two busy loops on 2 cores. With 10,000 rounds the idle fit is
// as fast and the loaded one 2 to 6 s (one thread: 2 s). libgomp reads its settings once,
// when it loads, before main(): a program changes them by starting itself again.
#pragma once

namespace ember {

// The spin Ember asks of libgomp (GOMP_SPINCOUNT).
inline constexpr const char* kOpenMpSpinCount = "10000";

// Unless the user chose a wait policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT is set), sets
// GOMP_SPINCOUNT to kOpenMpSpinCount and re-executes this program (/proc/self/exe) with
// `argv`; returns only when it did not (the policy was chosen, or exec failed, in which
// case the program runs on with libgomp's default). Call first thing in main(), before
// any thread starts.
void ShortenOpenMpSpin(char** argv);

}  // namespace ember
