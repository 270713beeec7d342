#!/usr/bin/env bash
# User-space instructions per request of one or more wecom-mock binaries, counted by callgrind
# (they do not move with the machine's load). For each binary, interleaved: a mock under
# callgrind serves `wecom-bench run --mode raw -n 20000 -m get-only -c 16 --pool 100`, then a
# fresh one `-n 10000 -m add-only -c 16`; each total (start-up and set-up included, a few
# tenths of a percent) is divided by the requests measured.
#
#   apt-get install -y valgrind && cargo build --release -p wecom-mock -p wecom-bench
#   benches/scripts/instructions.sh [wecom-mock ...]      # default: target/release/wecom-mock
#
# BASELINE=1 also counts the bare hyper baseline (`wecom-bench baseline`) under the gets.
# KEEP=dir keeps the callgrind.out files there (for callgrind_annotate --inclusive=yes).
set -euo pipefail
bin=${BIN:-target/release}
mocks=("$@")
[ ${#mocks[@]} -gt 0 ] || mocks=("$bin/wecom-mock")
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install -y valgrind)"; exit 2; }
tmp=$(mktemp -d)
keep=${KEEP:-}
trap 'rm -rf "$tmp"' EXIT
port=18300

# count NAME CMD...: runs CMD under callgrind on a fresh port, loads it, prints instructions/request.
count() {
  local name=$1 mix=$2 n=$3; shift 3
  port=$((port + 1))
  valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.out" "$@" --listen 127.0.0.1:$port \
    >"$tmp/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  local url=http://127.0.0.1:$port mode=raw
  # The baseline answers every request with a fixed body; its mode sends a token as long as the mock's.
  [ "$name" = baseline ] && mode=baseline
  "$bin/wecom-bench" run -q --url "$url" -n "$n" --warmup 0s -m "$mix" -c 16 --mode "$mode" --pool 100 \
    >"$tmp/$name.bench" 2>&1 || { cat "$tmp/$name.bench"; exit 1; }
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  local total
  total=$(awk '/^summary:/ {print $2}' "$tmp/$name.out")
  [ -n "$keep" ] && cp "$tmp/$name.out" "$keep/callgrind.$name.out"
  awk -v t="$total" -v n="$n" -v name="$name" 'BEGIN { printf "%-40s %8.0f instructions per request (%d requests)\n", name, t / n, n }'
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (callgrind counts do not depend on it)"
i=0
for mock in "${mocks[@]}"; do
  i=$((i + 1))
  echo "mock $i: $mock"
  count "get.mock$i" get-only 20000 "$mock"
done
for mock in "${mocks[@]}"; do
  i=$((i + 1))
  count "add.mock$((i - ${#mocks[@]}))" add-only 10000 "$mock"
done
if [ -n "${BASELINE:-}" ]; then
  count baseline get-only 20000 "$bin/wecom-bench" baseline
fi
