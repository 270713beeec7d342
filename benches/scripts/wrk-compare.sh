#!/usr/bin/env bash
# Cross-check of `wecom-bench compare` with wrk, a load generator that needs far less CPU per
# request than a reqwest loop, so that on a 2-core machine the servers rather than the load
# generator are the limit. Rounds alternate the cases (baseline, mock get, mock add with a fresh
# mock per add round, and the optional cases below); prints req/s, p50 and p99 of each round,
# the medians, the ratios of the medians, and the load average before and after.
#
#   apt-get install -y wrk && cargo build --release -p wecom-mock -p wecom-bench
#   benches/scripts/wrk-compare.sh [rounds] [seconds] [connections]
#
# Optional cases, by environment variable:
#   OTHER_MOCK=path/to/wecom-mock   also get_other / add_other: another build of the mock (an
#                                   older commit's), interleaved with this one
#   DURABLE=1                       also add_always / add_everysec / add_never: adds with
#                                   --data-dir (a fresh temporary one per round) and that --fsync
#                                   (with OTHER_MOCK also add_other_always / _everysec / _never)
#   CASES="baseline get ..."        run only these cases (names as printed)
#   THREADS=N                       N runtime worker threads in every server (the mocks through
#                                   TOKIO_WORKER_THREADS, the baseline through --threads); by
#                                   default the mock takes one per CPU and the baseline half
set -euo pipefail
rounds=${1:-3} secs=${2:-3} conns=${3:-64}
bin=${BIN:-target/release}
other=${OTHER_MOCK:-}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)"; exit 2; }
tmp=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

start() { # start NAME PORT CMD...: run CMD in the background, wait for /healthz
  local name=$1 port=$2; shift 2
  "$@" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return; sleep 0.05; done
  echo "$name did not start"; cat "$tmp/$name.log"; exit 1
}
token() { curl -s "http://127.0.0.1:$1/cgi-bin/gettoken?corpid=wwmock0000000001&corpsecret=mock-secret" | sed -E 's/.*"access_token":"([^"]+)".*/\1/'; }
# wrk SCRIPT URL: prints "req/s p50_us p99_us".
measure() {
  wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$1" "$2" | awk '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1000000; return v }
    /^ +50%/ { p50 = us($2) } /^ +99%/ { p99 = us($2) } /Requests\/sec/ { rps = $2 }
    END { printf "%s %.0f %.0f\n", rps, p50, p99 }'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
column() { awk -v c="$1" '{print $c}'; }

cases=${CASES:-"baseline get ${other:+get_other }add ${other:+add_other }${DURABLE:+add_always add_everysec add_never}${DURABLE:+${other:+ add_other_always add_other_everysec add_other_never}}"}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
baseline_threads=()
if [ -n "${THREADS:-}" ]; then export TOKIO_WORKER_THREADS=$THREADS; baseline_threads=(--threads "$THREADS"); fi
echo "runtime threads: ${THREADS:-default (the mock one per CPU, the baseline half the CPUs)}"
start mock 18180 "$bin/wecom-mock" --listen 127.0.0.1:18180
start baseline 18190 "$bin/wecom-bench" "${baseline_threads[@]}" baseline --listen 127.0.0.1:18190 --public-url http://127.0.0.1:18180
[ -n "$other" ] && start other 18185 "$other" --listen 127.0.0.1:18185
add='{"type":1,"scene":2,"user":["zhangsan"],"remark":"wecom-bench","state":"wb00000001"}'
get_script() { # get_script PORT TOKEN FILE: a get of a config made on that mock
  local id
  id=$(curl -s "http://127.0.0.1:$1/cgi-bin/externalcontact/add_contact_way?access_token=$2" -d "$add" | sed -E 's/.*"config_id":"([0-9a-f]+)".*/\1/')
  printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'{\"config_id\":\"$id\"}'" >"$3"
}
get_token=$(token 18180)
get_script 18180 "$get_token" "$tmp/get.lua"
if [ -n "$other" ]; then other_token=$(token 18185); get_script 18185 "$other_token" "$tmp/get_other.lua"; fi
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'$add'" >"$tmp/add.lua"
path=/cgi-bin/externalcontact
port=18200
for round in $(seq "$rounds"); do
  line="round $round:"
  for case in $cases; do
    case $case in
      # The same request line as the mock gets (the same token): the baseline parses as much.
      baseline) result=$(measure "$tmp/get.lua" "http://127.0.0.1:18190$path/get_contact_way?access_token=$get_token") ;;
      get) result=$(measure "$tmp/get.lua" "http://127.0.0.1:18180$path/get_contact_way?access_token=$get_token") ;;
      get_other) result=$(measure "$tmp/get_other.lua" "http://127.0.0.1:18185$path/get_contact_way?access_token=$other_token") ;;
      add*)
        port=$((port + 1))
        mock="$bin/wecom-mock" flags=()
        case $case in add_other*) mock=$other ;; esac
        case $case in *_always|*_everysec|*_never)
          flags=(--data-dir "$tmp/data-$port" --fsync "${case##*_}") ;;
        esac
        start "$case$round" $port "$mock" --listen 127.0.0.1:$port "${flags[@]}"
        result=$(measure "$tmp/add.lua" "http://127.0.0.1:$port$path/add_contact_way?access_token=$(token $port)")
        kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
        rm -rf "$tmp/data-$port" ;;
      *) echo "unknown case $case"; exit 2 ;;
    esac
    echo "$result" >>"$tmp/$case"
    line="$line $case $(echo "$result" | column 1)"
  done
  echo "$line req/s"
done
printf '%-13s %9s %8s %8s   rounds: req/s, p99 µs\n' case req/s p50µs p99µs
for case in $cases; do
  printf '%-13s %9.0f %8s %8s   %s; %s\n' "$case" "$(column 1 <"$tmp/$case" | median)" \
    "$(column 2 <"$tmp/$case" | median)" "$(column 3 <"$tmp/$case" | median)" \
    "$(column 1 <"$tmp/$case" | tr '\n' ' ')" "$(column 3 <"$tmp/$case" | tr '\n' ' ')"
done
ratio() { # ratio NAME A B COLUMN TARGET: the ratio of the medians of column COLUMN
  [ -f "$tmp/$2" ] && [ -f "$tmp/$3" ] || return 0
  awk -v n="$1" -v a="$(column "$4" <"$tmp/$2" | median)" -v b="$(column "$4" <"$tmp/$3" | median)" -v t="$5" \
    'BEGIN { printf "%-36s %.2f  (target %s)\n", n, a / b, t }'
}
ratio "mock get / baseline" get baseline 1 ">= 0.9"
ratio "mock add / baseline" add baseline 1 ">= 0.8"
ratio "mock get p99 / baseline p99" get baseline 3 "<= 1.5"
ratio "other get / this get" get_other get 1 "-"
ratio "other add / this add" add_other add 1 "-"
ratio "add --fsync always / in memory" add_always add 1 ">= 0.75"
ratio "add --fsync everysec / in memory" add_everysec add 1 ">= 0.9"
ratio "add --fsync never / in memory" add_never add 1 ">= 0.95"
ratio "other: --fsync always / in memory" add_other_always add_other 1 "-"
ratio "other: --fsync everysec / in memory" add_other_everysec add_other 1 "-"
ratio "other: --fsync never / in memory" add_other_never add_other 1 "-"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
