# llm-chat container image: one static binary (web UI embedded) on an empty
# base image, run as a non-root user. See docs/deployment.md.
#
#   docker compose up -d --build
#
# Stage 1 builds the web UI (the Svelte app in web/) into web/dist.
# Stage 2 builds a static llm-chat binary that embeds web/dist.
# Stage 3 is FROM scratch: the binary, CA certificates for HTTPS model
# servers, a passwd entry for uid 10001, and /app/db and /app/logs owned by it.
#
# Plain Dockerfile syntax (no BuildKit-only features), so that the classic
# builder of docker-compose V1 builds it too.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUST_IMAGE=rust:1-bookworm

# ---- 1. web UI ---------------------------------------------------------------
FROM ${NODE_IMAGE} AS web
# A registry mirror for npm, e.g. --build-arg NPM_REGISTRY=https://registry.npmmirror.com
ARG NPM_REGISTRY=
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN if [ -n "$NPM_REGISTRY" ]; then npm config set registry "$NPM_REGISTRY"; fi \
 && npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---- 2. static binary ----------------------------------------------------------
FROM ${RUST_IMAGE} AS build
# A crates.io mirror, e.g. --build-arg CARGO_MIRROR=sparse+https://rsproxy.cn/index/
ARG CARGO_MIRROR=
RUN if [ -n "$CARGO_MIRROR" ]; then \
      printf '[source.crates-io]\nreplace-with = "mirror"\n[source.mirror]\nregistry = "%s"\n' "$CARGO_MIRROR" \
        > /usr/local/cargo/config.toml; \
    fi
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
# The build script of the llm-chat crate embeds these files in the binary.
COPY --from=web /src/web/dist ./web/dist
# glibc linked statically; getrandom must then use the getrandom(2) system
# call, because a scratch image has no /dev/urandom to fall back on.
ENV RUSTFLAGS="-C target-feature=+crt-static --cfg getrandom_backend=\"linux_getrandom\""
RUN target="$(uname -m)-unknown-linux-gnu" \
 && cargo build --release --locked --target "$target" \
 && mkdir -p /out/db /out/logs /out/tmp /out/etc \
 && cp "target/$target/release/llm-chat" /out/llm-chat \
 && chmod 1777 /out/tmp \
 && echo 'llmchat:x:10001:10001:llm-chat:/app:/sbin/nologin' > /out/etc/passwd \
 && echo 'llmchat:x:10001:' > /out/etc/group \
 && /out/llm-chat --version

# ---- 3. runtime -----------------------------------------------------------------
FROM scratch
COPY --from=build /out/etc/passwd /out/etc/group /etc/
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tmp /tmp
COPY --from=build --chown=10001:10001 /out/db /app/db
COPY --from=build --chown=10001:10001 /out/logs /app/logs
COPY --from=build /out/llm-chat /app/llm-chat

USER 10001:10001
WORKDIR /app
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=sqlite:////app/db/conversation.db \
    LOG_DIR=/app/logs \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
EXPOSE 8000
VOLUME ["/app/db", "/app/logs"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/app/llm-chat", "healthcheck"]
ENTRYPOINT ["/app/llm-chat"]
CMD ["serve"]
