//! One set of test helpers, as actors (STYLE.md §8): the application (`spawn_app`), a
//! `Browser` that keeps cookies and fills in forms with their CSRF token, and a relying party
//! (`Rp`) that runs the code flow and calls the token, introspection and revocation endpoints.
//! Reads of the database that tests check against are in `store`; the mail the app sent, read
//! back from its outbox, in `mail`.
mod admin;
mod app;
mod browser;
mod client;
mod mail;
pub mod proxy;
mod store;
mod tokens;

pub use admin::*;
pub use app::*;
pub use browser::*;
pub use client::*;
pub use mail::*;
pub use store::*;
pub use tokens::*;
