#!/usr/bin/env bash
# The container image without a registry: the static binary is built here, on the host, and
# copied into an empty (`scratch`) image with the same labels, user, environment, volume and
# HEALTHCHECK as the Dockerfile's final stage (taken from it, so the two cannot drift).
#
#   .ci/image-offline.sh                 # podman, image tag wecom-mock
#   ENGINE=docker TAG=wecom-mock:dev .ci/image-offline.sh
#
# Needs the Rust toolchain with glibc's static libraries (Debian: libc6-dev) and podman or
# docker; no network once the crates are in cargo's cache.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
TAG=${TAG:-wecom-mock}
TARGET=x86_64-unknown-linux-gnu
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
version=$(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
print(next(p for p in json.load(sys.stdin)["packages"] if p["name"] == "wecom-mock")["version"])')

RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked -p wecom-mock --target "$TARGET"

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/out/data" "$ctx/out/licenses"
cp "$target_dir/$TARGET/release/wecom-mock" "$ctx/out/wecom-mock"
strip "$ctx/out/wecom-mock"
cp LICENSE-MIT LICENSE-APACHE "$ctx/out/licenses/"
built=$("$ctx/out/wecom-mock" --version)
[ "$built" = "wecom-mock $version" ] || { echo "the binary is $built, the workspace $version" >&2; exit 1; }

# The Dockerfile's final stage, with its copies from the build stage made copies from here.
{
  echo "ARG VERSION=$version"
  sed -n '/^FROM scratch/,$p' Dockerfile | sed -E 's#^COPY --from=build (--chown=[^ ]+ )?/out/#COPY \1out/#'
} >"$ctx/Dockerfile"
grep -q '^COPY out/wecom-mock /wecom-mock' "$ctx/Dockerfile" || { echo "the Dockerfile's final stage changed shape" >&2; exit 1; }

format=()
[ "$ENGINE" = podman ] && format=(--format docker)   # podman keeps HEALTHCHECK only in this format
"$ENGINE" build "${format[@]}" --build-arg "VERSION=$version" -t "$TAG" "$ctx"
size=$("$ENGINE" image inspect "$TAG" --format '{{.Size}}')
echo "built $TAG ($built): $(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1048576 }') MiB"
