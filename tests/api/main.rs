//! Black-box tests over HTTP against the real application on port 0: ONE test binary
//! (each file directly under tests/ would be another binary to link).
mod helpers;

mod accounts;
mod attacks;
mod basic_op;
mod cli;
mod clients;
mod flow;
mod hardening;
mod keys;
mod lifecycle;
mod oidc_rp;
mod outages;
mod profile;
mod proxy;
mod redis;
mod serve;
mod setup;
mod slow_clients;
