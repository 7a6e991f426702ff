//! Migrations are embedded at compile time: rebuild when one is added or edited.
//!
//! The tests that need a service run only when its URL is set, and say "ignored" otherwise
//! rather than passing without running: `cfg(ferrid_postgres)` when FERRID_TEST_POSTGRES_URL
//! is set, `cfg(ferrid_redis)` when FERRID_TEST_REDIS_URL is (tests/api/helpers.rs). The
//! variables are read at build time, so cargo rebuilds when either changes.
use std::env;

const SERVICES: [(&str, &str); 2] = [
    ("ferrid_postgres", "FERRID_TEST_POSTGRES_URL"),
    ("ferrid_redis", "FERRID_TEST_REDIS_URL"),
];

fn main() {
    println!("cargo::rerun-if-changed=migrations");
    for (cfg, var) in SERVICES {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={var}");
        if env::var_os(var).is_some_and(|url| !url.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
