#!/usr/bin/env bash
# Cross-check of `wecom-bench compare` with wrk, a load generator that needs far less CPU per
# request than a reqwest loop, so that on a 2-core machine the servers rather than the load
# generator are the limit. Rounds alternate baseline, mock get, mock add (a fresh mock per add
# round); prints req/s of each and the ratios of the medians.
#
#   apt-get install -y wrk && cargo build --release -p wecom-mock -p wecom-bench
#   benches/scripts/wrk-compare.sh [rounds] [seconds] [connections]
set -euo pipefail
rounds=${1:-3} secs=${2:-3} conns=${3:-64}
bin=${BIN:-target/release}
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
  echo "$name did not start"; exit 1
}
token() { curl -s "http://127.0.0.1:$1/cgi-bin/gettoken?corpid=wwmock0000000001&corpsecret=mock-secret" | sed -E 's/.*"access_token":"([^"]+)".*/\1/'; }
rps() { wrk -t1 -c"$conns" -d"${secs}s" -s "$1" "$2" | awk '/Requests\/sec/ {print $2}'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

start mock 18180 "$bin/wecom-mock" --listen 127.0.0.1:18180
start baseline 18190 "$bin/wecom-bench" baseline --listen 127.0.0.1:18190 --public-url http://127.0.0.1:18180
get_token=$(token 18180)
add='{"type":1,"scene":2,"user":["zhangsan"],"remark":"wecom-bench","state":"wb00000001"}'
config_id=$(curl -s "http://127.0.0.1:18180/cgi-bin/externalcontact/add_contact_way?access_token=$get_token" -d "$add" | sed -E 's/.*"config_id":"([0-9a-f]+)".*/\1/')
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'{\"config_id\":\"$config_id\"}'" >"$tmp/get.lua"
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'$add'" >"$tmp/add.lua"
path=/cgi-bin/externalcontact
for round in $(seq "$rounds"); do
  # The same request line as the mock gets (the same token): the baseline parses as much.
  rps "$tmp/get.lua" "http://127.0.0.1:18190$path/get_contact_way?access_token=$get_token" >>"$tmp/baseline"
  rps "$tmp/get.lua" "http://127.0.0.1:18180$path/get_contact_way?access_token=$get_token" >>"$tmp/get"
  port=$((18200 + round))
  start "add$round" $port "$bin/wecom-mock" --listen 127.0.0.1:$port
  rps "$tmp/add.lua" "http://127.0.0.1:$port$path/add_contact_way?access_token=$(token $port)" >>"$tmp/add"
  used=$(curl -s "http://127.0.0.1:$port/__admin/corps/wwmock0000000001/quotas" | sed -E 's/^[^}]*"used":([0-9]+).*/\1/')
  kill "${pids[-1]}"
  echo "round $round: baseline $(tail -1 "$tmp/baseline"), get $(tail -1 "$tmp/get"), add $(tail -1 "$tmp/add") req/s ($used configs created)"
done
b=$(median <"$tmp/baseline") g=$(median <"$tmp/get") a=$(median <"$tmp/add")
echo "medians: baseline $b, get $g, add $a req/s"
awk -v b="$b" -v g="$g" -v a="$a" 'BEGIN {printf "mock get / baseline %.2f (target >= 0.8), mock add / baseline %.2f (target >= 0.6)\n", g/b, a/b}'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
