#!/usr/bin/env bash
# A rank killed or stopped in a collective: the job must end non-zero within seconds,
# with a message naming rank 2, never hang. A rank that finishes while the others never
# do: the same.
#   mpi_fault_test.sh MPIRUN_COMMAND... -- PROGRAM
set -uo pipefail
mpirun=()
while [ "$1" != "--" ]; do mpirun+=("$1"); shift; done
shift
program=$1
for fate in kill stop alone; do
  start=$(date +%s)
  log=$(mktemp)
  # Killed (-k) if it ignores the TERM: a hung mpirun must fail this test, not outlast it.
  timeout -k 5 60 "${mpirun[@]}" "$program" "$fate" > "$log" 2>&1 &
  job=$!
  # What every process of the job was doing when it hung, for the log.
  for _ in $(seq 1 58); do sleep 1; kill -0 "$job" 2> /dev/null || break; done
  if kill -0 "$job" 2> /dev/null; then
    echo "--- still running after 58 s:"
    ps -eo pid,ppid,stat,wchan:32,etime,args | grep -E 'mpirun|orted|'"$(basename "$program")" | grep -v grep
  fi
  wait "$job"
  code=$?
  out=$(cat "$log")
  rm -f "$log"
  took=$(( $(date +%s) - start ))
  echo "--- $fate: exit $code after ${took}s"
  echo "$out" | grep -v '^$' | head -30
  [ "$code" -ne 0 ] || { echo "FAIL: the job exited 0 ($fate)"; exit 1; }
  [ "$code" -ne 124 ] && [ "$took" -lt 60 ] || { echo "FAIL: the job hung ($fate)"; exit 1; }
  # mpirun itself crashed (Open MPI 4.1 does when a rank finalizes while the job aborts).
  [ "$code" -ne 139 ] || { echo "FAIL: mpirun crashed (SIGSEGV)"; exit 1; }
  [ "$took" -lt 30 ] || { echo "FAIL: took ${took}s"; exit 1; }
  case $fate in
    # mpirun ends the job when a rank dies, naming it.
    kill) pattern='process rank 2 .*exited on signal 9' ;;
    # Nobody notices a stopped rank but Ember's timeout: ranks 0 and 1 name it. Either may
    # be first to abort the job, and the abort can end the other before it prints.
    stop) pattern='rank [01]: DeadlineExceeded: Barrier .* rank\(s\) 2 \(.*\) did not arrive' ;;
    # A rank done before the others waits for them (the world's timeout, 3 s), then aborts.
    alone) pattern='rank 2: MPI: the other ranks did not finish within 3.0 s; aborting the job' ;;
  esac
  echo "$out" | grep -Eq "$pattern" || { echo "FAIL: no line matching '$pattern'"; exit 1; }
done
echo "PASS"
