# Both services from one workspace build:
#   docker build --target auth-service  -t auth-service .
#   docker build --target items-service -t items-service .
# Plain Dockerfile syntax (no BuildKit-only features), so the classic builder works too.

FROM rust:1.95-slim-bookworm AS builder
WORKDIR /build

# Dependencies in their own layer: the manifests with stub sources, built
# once; a change to our code does not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY shared/Cargo.toml shared/
COPY auth-service/Cargo.toml auth-service/
COPY items-service/Cargo.toml items-service/
# Every target a manifest declares needs a file before cargo reads it: a stub
# per `name = "..."` (bench and example names, and harmless extras).
RUN for crate in shared auth-service items-service; do \
        mkdir -p "$crate/src" "$crate/benches" "$crate/examples" && touch "$crate/src/lib.rs"; \
        for target in $(sed -n 's/^name = "\(.*\)"$/\1/p' "$crate/Cargo.toml"); do \
            echo 'fn main() {}' > "$crate/benches/$target.rs"; \
            echo 'fn main() {}' > "$crate/examples/$target.rs"; \
        done; \
    done \
    && echo 'fn main() {}' > auth-service/src/main.rs \
    && echo 'fn main() {}' > items-service/src/main.rs \
    && cargo build --release --locked -p auth-service -p items-service \
    && rm -rf shared/src shared/benches shared/examples auth-service/src auth-service/benches \
        auth-service/examples items-service/src items-service/benches items-service/examples

COPY shared shared
COPY auth-service auth-service
COPY items-service items-service
# Newer than the stub build's outputs, so cargo rebuilds our crates.
RUN find shared auth-service items-service -name '*.rs' -exec touch {} + \
    && cargo build --release --locked -p auth-service -p items-service

# The runtime: Debian slim, no compiler, a non-root user owning /data and the
# key folders (a new named volume takes their owner).
FROM debian:bookworm-slim AS runtime
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent app \
    && mkdir -p /data /secrets /items-keys \
    && chown app:app /data /secrets /items-keys \
    && chmod 0700 /data
WORKDIR /data
USER app

FROM runtime AS auth-service
COPY --from=builder /build/target/release/auth-service /usr/local/bin/auth-service
ENV AUTH__SERVER__HOST=0.0.0.0 \
    AUTH__DATABASE__URL=sqlite:///data/auth.db \
    AUTH__SERVER__ADMIN_SOCKET=/data/admin.sock
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["auth-service", "healthcheck"]
ENTRYPOINT ["auth-service"]

FROM runtime AS items-service
COPY --from=builder /build/target/release/items-service /usr/local/bin/items-service
ENV ITEMS__SERVER__HOST=0.0.0.0 \
    ITEMS__DATABASE__URL=sqlite:///data/items.db
EXPOSE 8082
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["items-service", "healthcheck"]
ENTRYPOINT ["items-service"]
