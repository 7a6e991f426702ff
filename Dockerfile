# A small runtime image for ferrid (used by docker-compose.yml): the build stage has the Rust
# toolchain and a C compiler; the final stage has the binary, CA certificates and nothing to
# compile with, and runs as an unprivileged user.
FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first, so editing the source does not rebuild them (OpenSSL, SQLite and libpq
# are built from source: the image has a C compiler, make and perl).
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir -p src benches examples \
    && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && echo 'fn main() {}' > benches/jwt.rs && echo 'fn main() {}' > examples/relying_party.rs \
    && cargo build --release --locked --bin ferrid || true
COPY . .
# The placeholder sources above are older than the real ones, so cargo rebuilds ferrid itself.
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin ferrid \
    && strip target/release/ferrid

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/ferrid --create-home ferrid
COPY --from=build /src/target/release/ferrid /usr/local/bin/ferrid
USER ferrid
WORKDIR /var/lib/ferrid
EXPOSE 8080
ENTRYPOINT ["ferrid"]
CMD ["serve"]
