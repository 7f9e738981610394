# syntax=docker/dockerfile:1
# Build: docker build -t internetwache .
# Run:   docker run -p 8080:8080 -v iw-data:/app/var internetwache

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: a change to src/ does not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src benches && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && for bench in throughput bench_driver; do echo 'fn main() {}' > "benches/$bench.rs"; done \
    && cargo build --release --locked --bin internetwache \
    && rm -rf src
COPY src src
COPY templates templates
COPY migrations migrations
COPY forms forms
COPY docs/openapi.json docs/openapi.json
# The same build step CI runs (.ci/run).
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin internetwache

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin internetwache \
    && mkdir -p /app/var && chown internetwache /app/var
WORKDIR /app
COPY --from=build /src/target/release/internetwache /usr/local/bin/internetwache
COPY --from=build /src/forms /app/forms
USER internetwache
ENV IW_BIND=0.0.0.0:8080 \
    IW_DATA_DIR=/app/var \
    IW_DATABASE_URL=sqlite:///app/var/internetwache.db \
    IW_MAIL_URL=file:///app/var/mail \
    IW_FORMS_DIR=/app/forms \
    IW_LOG_FORMAT=json
VOLUME ["/app/var"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["internetwache", "healthcheck"]
ENTRYPOINT ["internetwache"]
CMD ["serve"]
