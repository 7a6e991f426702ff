//! Black-box tests over HTTP against the real application on port 0: ONE test binary
//! (each file directly under tests/ would be another binary to link). One module per area,
//! one scenario per test; the actors they use are in `helpers`.
// A failed unwrap in a test is the test failing, with its message.
#![allow(clippy::unwrap_used)]
mod helpers;

mod accounts;
mod admin;
mod attacks;
mod audit_log;
mod backup;
mod basic_op;
mod claims_consent;
mod cli;
mod client_credentials;
mod clients;
mod code_withdrawal;
mod connections;
mod console;
mod corrupt_rows;
mod cors;
mod credentials;
mod equal_work;
mod federation;
mod hardening;
mod id_token_hints;
mod introspection;
mod jobs;
mod keys;
mod logout;
mod lookalike;
mod mail;
mod metrics;
mod oidc_rp;
mod outages;
mod pages;
mod password_policy;
mod pending_requests;
mod profile;
mod provision;
mod purge;
mod recovery;
mod redis;
mod refresh;
mod refresh_retry;
mod registration;
mod replicas;
mod request_rules;
mod revocation;
mod serve;
mod setup;
mod slow_clients;
mod store_races;
mod throttling;
