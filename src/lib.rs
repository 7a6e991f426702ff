//! Ferrid: a standalone OAuth 2.0 / OpenID Connect identity provider.
//! Module list only; README.md ("Architecture") shows the layers, and `layer_rules`
//! (a test) keeps them.
pub mod accounts;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod federation;
pub mod keys;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod oauth;
pub mod provision;
pub mod security;
pub mod startup;
pub mod state;
pub mod store;
pub mod web;

#[cfg(test)]
mod layer_rules;
