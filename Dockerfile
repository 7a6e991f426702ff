# Builds the ferrid binary; used by docker-compose.yml.
FROM rust:1-bookworm AS build
# OpenSSL, SQLite and libpq are built from source (the image has a C compiler, make, perl).
WORKDIR /src
COPY . .
RUN cargo build --release --bin ferrid

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/ferrid --create-home ferrid
COPY --from=build /src/target/release/ferrid /usr/local/bin/ferrid
USER ferrid
WORKDIR /var/lib/ferrid
EXPOSE 8080
ENTRYPOINT ["ferrid"]
CMD ["serve"]
