#!/usr/bin/env bash
# The long soak of Ember Serving under hostile clients (the CI test replays the same probes
# briefly: ServerTest.HostileClientsCannotTakeTheServerDown): good clients, clients that
# never read, unauthenticated large bodies, pipelined requests ending in a malformed one,
# too-large bodies still being sent, huge deadlines, and reloads alternating a good model and
# one declaring an absurd vector size. Asserts exactly one reply per request and prints the
# resident size idle, at its peak and after the burst.
# Usage: bench/serving/soak.sh [SECONDS=60]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${1:-60}
./scripts/setup.sh >/dev/null
cmake --preset release >/dev/null
cmake --build build/release --target ember >/dev/null
EMBER=build/release/tools/ember/ember
DATA=build/bench-data/serving
/usr/bin/python3 bench/serving/gen_data.py "$DATA"
cat > "$DATA/soak_spec.json" <<'SPEC'
{"stages": [
  {"type": "StringIndexer", "params": {"inputCols": ["s0", "s1", "s2", "s3"], "outputCols": ["i0", "i1", "i2", "i3"],
                                       "handleInvalid": "keep"}},
  {"type": "OneHotEncoder", "params": {"inputCols": ["i0", "i1", "i2", "i3"], "outputCols": ["o0", "o1", "o2", "o3"]}},
  {"type": "VectorAssembler", "params": {"inputCols": ["o0", "o1", "o2", "o3", "x0", "x1", "x2"], "outputCol": "features"}},
  {"type": "LogisticRegression", "params": {"regParam": 0.001}}]}
SPEC
"$EMBER" fit "$DATA/soak_spec.json" --data "$DATA/train.csv" --out "$DATA/soak_model" --overwrite >/dev/null
rm -rf "$DATA/soak_absurd" && cp -r "$DATA/soak_model" "$DATA/soak_absurd"
/usr/bin/python3 - "$DATA/soak_absurd/metadata.json" <<'PY'
import json, sys
meta = json.load(open(sys.argv[1]))
meta["inputSchema"][0]["type"] = "vector[1000000000]"
json.dump(meta, open(sys.argv[1], "w"))
PY
echo "load average before: $(cut -d' ' -f1 /proc/loadavg)"
/usr/bin/python3 bench/serving/soak.py "$EMBER" "$DATA/soak_model" "$DATA/soak_absurd" "$SECONDS_TO_RUN"
