# wecom-mock as a container: a static binary on an empty base.
#   podman build -t wecom-mock .      (or docker build)
#   podman run -p 8080:8080 wecom-mock
# Without a registry: .ci/image-offline.sh builds the final stage below from a binary made on
# the host (it reads this file from `FROM scratch` on).
# Every option is an environment variable (see `wecom-mock --help`).

# The version the image's labels carry: the workspace version (`cargo xtask release` checks
# this default; .ci/image-smoke.sh passes it from `cargo metadata`). The build fails when the
# binary reports another one, so the label cannot lie.
ARG VERSION=0.1.0

FROM docker.io/library/rust:1.95-slim AS build
ARG VERSION
WORKDIR /src
COPY . .
# Static glibc: the binary runs on `scratch` (DNS and /etc/hosts lookups are built into
# glibc >= 2.34, so callback URLs by host name still resolve).
RUN RUSTFLAGS='-C target-feature=+crt-static' \
    cargo build --release --locked -p wecom-mock --target x86_64-unknown-linux-gnu \
 && mkdir -p /out/data /out/licenses \
 && cp target/x86_64-unknown-linux-gnu/release/wecom-mock /out/wecom-mock \
 && strip /out/wecom-mock \
 && cp LICENSE-MIT LICENSE-APACHE /out/licenses/ \
 && built="$(/out/wecom-mock --version)" \
 && { [ "$built" = "wecom-mock ${VERSION}" ] || { echo "VERSION=${VERSION} but the binary is $built" >&2; exit 1; }; }

FROM scratch
ARG VERSION
# No .source label: there is no public repository yet (docs/RELEASING.md).
LABEL org.opencontainers.image.title="wecom-mock" \
      org.opencontainers.image.description="A stateful, wire-compatible fake of the WeCom (企业微信) Contact Me / Join Group APIs, embeddable in tests or run as a server" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
COPY --from=build /out/wecom-mock /wecom-mock
COPY --from=build /out/licenses /licenses
COPY --from=build --chown=65534:65534 /out/data /data
# Inside the container the mock listens on every interface; outside, publish the port you want.
ENV WECOM_MOCK_LISTEN=0.0.0.0:8080
# State survives restarts in the /data volume (journal + snapshots, fsync on every change).
ENV WECOM_MOCK_DATA_DIR=/data
USER 65534:65534
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 CMD ["/wecom-mock", "healthcheck"]
ENTRYPOINT ["/wecom-mock"]
