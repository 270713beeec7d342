#!/usr/bin/env bash
# Builds the Dockerfile with podman (no Docker engine, no registry: the base images are made
# locally and tagged with the names the Dockerfile uses), runs the image and smoke-tests it:
# healthz (with the version), the image's own HEALTHCHECK command, its OCI labels against
# `cargo metadata`, a token and a created config.
# First run is slow (base images made with debootstrap, about a minute and a half);
# later runs on the same machine reuse them.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${WECOM_PODMAN_DIR:-${TMPDIR:-/tmp}/wecom-podman}
mkdir -p "$W"
export DEBIAN_FRONTEND=noninteractive
command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null || {
  apt-get update -qq && apt-get install -y -qq podman runc debootstrap >/dev/null; }
cat > "$W/containers.conf" <<'C'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
C
printf 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n' > "$W/registries.conf"
export CONTAINERS_CONF="$W/containers.conf" CONTAINERS_REGISTRIES_CONF="$W/registries.conf"
P="podman --root $W/storage --runroot $W/run"
t0=$SECONDS
if ! $P image exists docker.io/library/debian:bookworm-slim; then
  rm -rf "$W/rootfs"
  debootstrap --variant=minbase bookworm "$W/rootfs" http://deb.debian.org/debian >"$W/debootstrap.log"
  rm -rf "$W"/rootfs/var/cache/apt/archives/*.deb "$W"/rootfs/var/lib/apt/lists/*
  # Trust the same extra CAs as the host (TLS to crates.io goes through an intercepting proxy).
  mkdir -p "$W/rootfs/usr/local/share/ca-certificates" "$W/rootfs/etc/ssl/certs"
  cp /usr/local/share/ca-certificates/*.crt "$W/rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
  cp /etc/ssl/certs/ca-certificates.crt "$W/rootfs/etc/ssl/certs/"
  tar -C "$W/rootfs" -c . | $P import --change 'CMD ["/bin/bash"]' - docker.io/library/debian:bookworm-slim >/dev/null
fi
echo "base debian: $((SECONDS-t0))s"; t0=$SECONDS
if ! $P image exists docker.io/library/rust:1.95-slim; then
  T=$(rustc --print sysroot); rm -rf "$W/rustctx"; mkdir -p "$W/rustctx/rust/lib/rustlib"
  cp -a "$T/bin" "$T/libexec" "$W/rustctx/rust/"; cp -a "$T"/lib/*.so* "$W/rustctx/rust/lib/"
  cp -a "$T/lib/rustlib/x86_64-unknown-linux-gnu" "$T/lib/rustlib/etc" "$W/rustctx/rust/lib/rustlib/"
  cat > "$W/rustctx/Dockerfile" <<'D'
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates && rm -rf /var/lib/apt/lists/*
COPY rust /usr/local/rust
ENV PATH=/usr/local/rust/bin:/usr/local/cargo/bin:$PATH CARGO_HOME=/usr/local/cargo
D
  $P build --pull=never --network host -q -t docker.io/library/rust:1.95-slim "$W/rustctx" >/dev/null
fi
echo "base rust: $((SECONDS-t0))s"; t0=$SECONDS
# What the labels must say, from the crate's manifest: the version is a build argument.
meta=$(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
p = next(p for p in json.load(sys.stdin)["packages"] if p["name"] == "wecom-mock")
print(p["version"]); print(p["license"]); print(p["description"])')
{ read -r VERSION; read -r LICENSE; read -r DESCRIPTION; } <<<"$meta"
# --format docker keeps the HEALTHCHECK instruction.
$P build --pull=never --network host --format docker --build-arg "VERSION=$VERSION" -t localhost/wecom-mock:ci . >"$W/build.log" 2>&1 \
  || { tail -40 "$W/build.log"; exit 1; }
size=$($P image inspect localhost/wecom-mock:ci --format '{{.Size}}')
echo "image build: $((SECONDS-t0))s, size: $(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1048576 }') MiB ($size bytes)"; t0=$SECONDS
[ "$size" -lt $((20 * 1024 * 1024)) ] || { echo "image is over 20 MiB"; exit 1; }
# The README quotes the size: it must stay the measured one (within half a MiB, so that small
# code changes do not each need a doc change).
quoted=$(sed -nE 's/.*the image is \*\*([0-9.]+) MiB\*\*.*/\1/p' README.md)
[ -n "$quoted" ] || { echo "README.md no longer quotes the image size"; exit 1; }
awk -v q="$quoted" -v b="$size" 'BEGIN { d = q - b / 1048576; exit !(d <= 0.5 && d >= -0.5) }' \
  || { echo "README.md says the image is $quoted MiB; it measures $(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1048576 }') MiB"; exit 1; }

PORT=${WECOM_SMOKE_PORT:-18090}
BASE="http://127.0.0.1:$PORT"
$P rm -f -t 0 wecom-mock-ci >/dev/null 2>&1 || true
# (podman logs a harmless complaint about systemd health timers on machines without systemd.)
$P run -d --name wecom-mock-ci --init --network host -e "WECOM_MOCK_LISTEN=127.0.0.1:$PORT" localhost/wecom-mock:ci >/dev/null 2>&1
cleanup() { $P logs wecom-mock-ci >"$W/container.log" 2>&1 || true; $P rm -f -t 3 wecom-mock-ci >/dev/null 2>&1 || true; }
trap cleanup EXIT
up=0
for _ in $(seq 50); do
  if curl -fsS -m 2 "$BASE/healthz" >/dev/null 2>&1; then up=1; break; fi
  sleep 0.2
done
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok   $1"; else failed=$((failed+1)); echo "FAIL $1"; fi; }
check "healthz answers" "[ $up = 1 ]"
health=$(curl -fsS "$BASE/healthz" || true)
check "healthz names the version" "[ '$health' = '{\"status\":\"ok\",\"version\":\"$VERSION\"}' ]"
check "the binary reports the version" "[ \"\$($P exec wecom-mock-ci /wecom-mock --version)\" = 'wecom-mock $VERSION' ]"
label() { $P image inspect localhost/wecom-mock:ci --format "{{index .Config.Labels \"org.opencontainers.image.$1\"}}"; }
check "label version = $VERSION" "[ \"\$(label version)\" = '$VERSION' ]"
check "label licenses = $LICENSE" "[ \"\$(label licenses)\" = '$LICENSE' ]"
check "label title = wecom-mock" "[ \"\$(label title)\" = wecom-mock ]"
check "label description = the crate's" "[ \"\$(label description)\" = \"\$DESCRIPTION\" ]"
for f in LICENSE-MIT LICENSE-APACHE; do
  check "the image carries $f" "$P cp wecom-mock-ci:/licenses/$f - | tar -xO | cmp -s - $f"
done
check "the image declares a HEALTHCHECK" "$P image inspect localhost/wecom-mock:ci --format '{{.Config.Healthcheck.Test}}' | grep -q healthcheck"
check "the image's HEALTHCHECK command passes" "$P exec wecom-mock-ci /wecom-mock healthcheck"
check "runs as a non-root user" "[ \"\$($P inspect wecom-mock-ci --format '{{.Config.User}}')\" = 65534:65534 ]"
token_json=$(curl -fsS "$BASE/cgi-bin/gettoken?corpid=wwmock0000000001&corpsecret=mock-secret" || true)
TOKEN=$(printf '%s' "$token_json" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
check "gettoken returns a token" "[ \${#TOKEN} -ge 32 ]"
created=$(curl -fsS "$BASE/cgi-bin/externalcontact/add_contact_way?access_token=$TOKEN" \
  -d '{"type":1,"scene":2,"user":["zhangsan"],"state":"from-the-container"}' || true)
check "add_contact_way creates a config" "printf '%s' '$created' | grep -q '\"errcode\":0,\"errmsg\":\"ok\",\"config_id\"'"
metrics=$(curl -fsS "$BASE/metrics" || true)
check "/metrics counts the calls" "printf '%s' \"\$metrics\" | grep -q '^wecom_mock_requests_total{.*add_contact_way.*} 1'"
config_id=$(printf '%s' "$created" | sed -E 's/.*"config_id":"([^"]+)".*/\1/')
# A restart (SIGTERM, then start again) keeps the config: the image keeps its state in /data.
$P restart -t 10 wecom-mock-ci >/dev/null 2>&1
for _ in $(seq 50); do curl -fsS -m 2 "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
TOKEN=$(curl -fsS "$BASE/cgi-bin/gettoken?corpid=wwmock0000000001&corpsecret=mock-secret" | sed -E 's/.*"access_token":"([^"]+)".*/\1/' || true)
kept=$(curl -fsS "$BASE/cgi-bin/externalcontact/get_contact_way?access_token=$TOKEN" -d "{\"config_id\":\"$config_id\"}" || true)
check "the config survives a container restart" "printf '%s' '$kept' | grep -q 'from-the-container'"
echo "smoke: $((SECONDS-t0))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
