#!/usr/bin/env bash
# A rank killed or stopped in a collective: the job must end non-zero within seconds,
# with a message naming rank 2, never hang.
#   mpi_fault_test.sh MPIRUN_COMMAND... -- PROGRAM
set -uo pipefail
mpirun=()
while [ "$1" != "--" ]; do mpirun+=("$1"); shift; done
shift
program=$1
for fate in kill stop; do
  start=$(date +%s)
  out=$(timeout 60 "${mpirun[@]}" "$program" "$fate" 2>&1)
  code=$?
  took=$(( $(date +%s) - start ))
  echo "--- $fate: exit $code after ${took}s"
  echo "$out" | grep -v '^$' | head -20
  [ "$code" -ne 0 ] || { echo "FAIL: the job exited 0 with a $fate rank"; exit 1; }
  [ "$code" -ne 124 ] || { echo "FAIL: the job hung with a $fate rank"; exit 1; }
  [ "$took" -lt 30 ] || { echo "FAIL: took ${took}s"; exit 1; }
  case $fate in
    # mpirun ends the job when a rank dies, naming it.
    kill) pattern='process rank 2 .*exited on signal 9' ;;
    # Nobody notices a stopped rank but Ember's timeout: ranks 0 and 1 name it. Either may
    # be first to abort the job, and the abort can end the other before it prints.
    stop) pattern='rank [01]: DeadlineExceeded: Barrier .* rank\(s\) 2 \(.*\) did not arrive' ;;
  esac
  echo "$out" | grep -Eq "$pattern" || { echo "FAIL: no line matching '$pattern'"; exit 1; }
done
echo "PASS"
