//! The client registry:
//! - cli: `ferrid client add` / `client list` run as the real binary, secrets stored only as
//!   hashes, bad input refused
//! - manage: `ferrid client show|update|rotate-secret|delete`, audited
//! - authentication: the registered credentials authenticate, by their registered method
//!   only (RFC 6749 §2.3)
use diesel::prelude::*;
use ferrid::store::schema::clients as table;
use serde_json::Value;

use crate::helpers::*;

mod authentication;
mod cli;
mod manage;

pub(super) fn client_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = app.ferrid_command();
    cmd.arg("client").args(args);
    cmd.output().unwrap()
}

pub(super) fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub(super) fn client_count(app: &TestApp) -> i64 {
    table::table.count().get_result(&mut *app.conn()).unwrap()
}

type StoredRow = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// Every stored text column of every client.
pub(super) fn stored_rows(app: &TestApp) -> String {
    let rows: Vec<StoredRow> = table::table
        .select((
            table::client_id,
            table::secret_hash,
            table::name,
            table::redirect_uris,
            table::post_logout_redirect_uris,
            table::grant_types,
            table::scopes,
            table::token_endpoint_auth_method,
            table::id_token_signed_response_alg,
        ))
        .load(&mut *app.conn())
        .unwrap();
    format!("{rows:?}")
}

pub(super) fn line_value<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"))
        .trim()
}

/// `client add` with human-readable output: a confidential client with two redirect URIs;
/// its id, its secret and the printed text.
pub(super) fn add_photo_prints(app: &TestApp) -> (String, String, String) {
    let text = stdout(&client_cli(
        app,
        &[
            "add",
            "--name",
            "Photo Prints",
            "--redirect-uri",
            "https://prints.example.com/cb",
            "--redirect-uri",
            "http://127.0.0.1:9000/cb",
            "--post-logout-redirect-uri",
            "https://prints.example.com/bye",
            "--scope",
            "openid profile",
            "--scope",
            "email",
        ],
    ));
    let client_id = line_value(&text, "client_id:").to_string();
    let secret = line_value(&text, "client_secret:").to_string();
    (client_id, secret, text)
}

/// `client add --json`: confidential with client_secret_post and ES256 ID tokens; the
/// printed object.
pub(super) fn add_backend(app: &TestApp) -> Value {
    serde_json::from_str(&stdout(&client_cli(
        app,
        &[
            "add",
            "--name",
            "Backend",
            "--redirect-uri",
            "https://api.example.com/cb",
            "--grant",
            "authorization_code",
            "--grant",
            "client_credentials",
            "--auth-method",
            "client_secret_post",
            "--id-token-alg",
            "ES256",
            "--skip-consent",
            "--json",
        ],
    )))
    .unwrap()
}

/// `client add --public --json`: the printed object.
pub(super) fn add_mobile(app: &TestApp) -> Value {
    serde_json::from_str(&stdout(&client_cli(
        app,
        &[
            "add",
            "--name",
            "Mobile",
            "--public",
            "--redirect-uri",
            "com.example.mobile:/oauth2redirect",
            "--json",
        ],
    )))
    .unwrap()
}
