//! The console's applications, signing keys and audit log pages (issue 11, part 2), and a
//! run of the console in headless Chromium. Who may open them is tested with the rest of
//! the console (tests/api/admin, whose PAGES and CHANGES list these routes too).
use ferrid::domain::ClientId;
use ferrid::store::clients;

use crate::helpers::*;

mod audit;
mod browser;
mod cdp;
mod clients_pages;
mod keys;

/// The stored client, if it exists.
pub(super) fn stored_client(app: &TestApp, client_id: &str) -> Option<clients::Client> {
    clients::find(&mut app.conn(), &ClientId::parse(client_id).unwrap()).unwrap()
}

/// The text between `start` and the next `end` in `body`.
pub(super) fn between<'a>(body: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = body.find(start)? + start.len();
    let len = body[from..].find(end)?;
    Some(&body[from..from + len])
}

/// An attribute value as the browser reads it (askama writes `&` as `&#38;`).
pub(super) fn unescape(attribute: &str) -> String {
    attribute.replace("&#38;", "&").replace("&amp;", "&")
}
