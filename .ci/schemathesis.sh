#!/usr/bin/env bash
# Schemathesis (a property-based API tester nobody here wrote) against wecom-mock, driven by the
# mock's own OpenAPI document (GET /__admin/openapi.json), with the checks not_a_server_error,
# status_code_conformance, content_type_conformance and response_schema_conformance.
#
#   .ci/schemathesis.sh                 start $WECOM_MOCK_BIN (default target/debug/wecom-mock) and test it
#   .ci/schemathesis.sh http://host:8080   test a running instance (the WeCom paths and the read-only
#                                       and additive admin routes; nothing is reset or deleted)
#
# Environment: WECOM_CORPID / WECOM_SECRET (default: the default corp), WECOM_MOCK_ADMIN_TOKEN
# (when the instance has one), MAX_EXAMPLES (25 per operation), MAX_TIME (60 s per pass), SEED
# (1), SCHEMATHESIS_VENV (where Schemathesis is installed, default target/schemathesis-venv).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${SCHEMATHESIS_VENV:-target/schemathesis-venv}
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5
fi
schemathesis=$(realpath "$venv/bin/schemathesis")

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

own_server=false
if [ $# -ge 1 ]; then
  url=${1%/}
else
  own_server=true
  bin=${WECOM_MOCK_BIN:-target/debug/wecom-mock}
  "$bin" --listen 127.0.0.1:0 --seed 1 >"$work/stdout" 2>"$work/stderr" &
  pid=$!
  url=""
  for _ in $(seq 100); do
    url=$(sed -n 's/^wecom-mock listening on \(http:[^ ]*\).*/\1/p' "$work/stdout")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "wecom-mock did not start:"; cat "$work/stderr"; exit 1; }
fi

token=$(python3 - "$url" "${WECOM_CORPID:-wwmock0000000001}" "${WECOM_SECRET:-mock-secret}" <<'EOF'
import json, sys, urllib.parse, urllib.request
url, corpid, secret = sys.argv[1:4]
query = urllib.parse.urlencode({"corpid": corpid, "corpsecret": secret})
with urllib.request.urlopen(f"{url}/cgi-bin/gettoken?{query}", timeout=10) as answer:
    body = json.load(answer)
if body.get("errcode") != 0:
    sys.exit(f"gettoken failed: {body}")
print(body["access_token"])
EOF
)
{
  printf '[auth.openapi.access_token]\napi_key = "%s"\n' "$token"
  if [ -n "${WECOM_MOCK_ADMIN_TOKEN:-}" ]; then
    printf '[auth.openapi.admin_token]\nbearer = "%s"\n' "$WECOM_MOCK_ADMIN_TOKEN"
  fi
} >"$work/schemathesis.toml"

run() {
  (cd "$work" && "$schemathesis" --config-file schemathesis.toml run "$url/__admin/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --mode all --max-examples "${MAX_EXAMPLES:-25}" --max-time "${MAX_TIME:-60}" --seed "${SEED:-1}" \
    --generation-database none --no-color "$@")
}

# Never generated: a corp put from random fixtures could give an app a callback URL anywhere,
# and verify_callback would then call it (the mock only ever talks to loopback here).
never='admin_put_corp|admin_verify_callback'
# What resets, deletes, revokes, moves the clock or injects faults would break the other
# operations' token and answers mid-run: a second pass of its own, on a server of our own.
disruptive='admin_reset|admin_delete_corp|admin_revoke_tokens|admin_restore|admin_clock|admin_add_fault|admin_clear_faults|admin_remove_fault'

echo "== pass 1: the WeCom API, the read-only and additive control surface"
run --exclude-operation-id-regex "^($never|$disruptive)\$"
if $own_server; then
  echo "== pass 2: the control surface's disruptive routes"
  run --include-operation-id-regex "^($disruptive)\$"
fi
