//! The client registry: `ferrid client add` / `client list` run as the real binary, secrets
//! stored only as hashes, bad redirect URIs refused, and client authentication against
//! clients registered by the fixtures.
use diesel::prelude::*;
use ferrid::crypto::token::TokenHash;
use ferrid::domain::{ClientAuthMethod, ClientId};
use ferrid::oauth::client_auth::{authenticate, PresentedCredentials};
use ferrid::oauth::ErrorCode;
use ferrid::store::clients;
use ferrid::store::schema::clients as table;
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    cli_add_prints_the_secret_once_and_stores_its_hash,
    cli_add_json_prints_only_the_id_and_the_secret,
    cli_add_public_gets_no_secret,
    no_plain_secret_is_stored,
    printed_secrets_authenticate,
    client_list_json_shows_metadata_and_no_secrets,
    client_list_names_every_client,
    cli_refuses_bad_input_and_writes_nothing,
    registered_clients_authenticate,
    wrong_client_credentials_are_refused,
);

fn client_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = app.ferrid_command();
    cmd.arg("client").args(args);
    cmd.output().unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn client_count(app: &TestApp) -> i64 {
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
fn stored_rows(app: &TestApp) -> String {
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

fn line_value<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"))
        .trim()
}

/// `client add` with human-readable output: a confidential client with two redirect URIs;
/// its id, its secret and the printed text.
fn add_photo_prints(app: &TestApp) -> (String, String, String) {
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
fn add_backend(app: &TestApp) -> Value {
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
fn add_mobile(app: &TestApp) -> Value {
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

/// Confidential, human-readable output: id, secret once, and the warning; stored as given,
/// with the secret's hash.
async fn cli_add_prints_the_secret_once_and_stores_its_hash(backend: Backend) {
    let app = spawn_app(backend).await;
    let (client_id, secret, text) = add_photo_prints(&app);
    assert!(text.contains("will not be shown again"), "{text}");
    assert_eq!(secret.len(), 43, "256 bits, base64url");

    let id = ClientId::parse(&client_id).unwrap();
    let client = clients::find(&mut app.conn(), &id).unwrap().unwrap();
    assert!(!client.public);
    assert_eq!(client.auth_method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!(client.scopes.to_string(), "openid profile email");
    assert_eq!(client.redirect_uris.len(), 2);
    assert!(client
        .secret_hash
        .as_ref()
        .unwrap()
        .matches(&TokenHash::of(&secret)));
}

async fn cli_add_json_prints_only_the_id_and_the_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    let json = add_backend(&app);
    let obj = json.as_object().unwrap();
    assert_eq!(obj.len(), 2, "{json}");
    assert!(obj["client_id"].is_string() && obj["client_secret"].is_string());
}

async fn cli_add_public_gets_no_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    let json = add_mobile(&app);
    assert!(json["client_secret"].is_null(), "{json}");
    let public_id = json["client_id"].as_str().unwrap().to_string();
    let public = clients::find(&mut app.conn(), &ClientId::parse(&public_id).unwrap())
        .unwrap()
        .unwrap();
    assert!(public.public && public.secret_hash.is_none());
    assert_eq!(public.auth_method, ClientAuthMethod::None);
}

/// No secret is stored in plain; the hash is there instead.
async fn no_plain_secret_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, secret, _) = add_photo_prints(&app);
    let post_secret = add_backend(&app)["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let rows = stored_rows(&app);
    for s in [&secret, &post_secret] {
        assert!(
            !rows.contains(s.as_str()),
            "a plain secret is in the clients table"
        );
        assert!(rows.contains(TokenHash::of(s).as_str()));
    }
}

/// The secrets the CLI printed authenticate, each by its registered method.
async fn printed_secrets_authenticate(backend: Backend) {
    let app = spawn_app(backend).await;
    let (client_id, secret, _) = add_photo_prints(&app);
    let id = ClientId::parse(&client_id).unwrap();
    let presented = PresentedCredentials::Basic {
        client_id: id.clone(),
        secret: secret.clone(),
    };
    assert_eq!(
        authenticate(&mut app.conn(), &presented).unwrap().client_id,
        id
    );
    let json = add_backend(&app);
    let (post_id, post_secret) = (
        json["client_id"].as_str().unwrap(),
        json["client_secret"].as_str().unwrap(),
    );
    let presented = PresentedCredentials::parse(None, Some(post_id), Some(post_secret)).unwrap();
    assert!(authenticate(&mut app.conn(), &presented).is_ok());
}

/// list --json: every client, its metadata, never a secret or a hash.
async fn client_list_json_shows_metadata_and_no_secrets(backend: Backend) {
    let app = spawn_app(backend).await;
    let (client_id, secret, _) = add_photo_prints(&app);
    let backend_json = add_backend(&app);
    let post_id = backend_json["client_id"].as_str().unwrap();
    let post_secret = backend_json["client_secret"].as_str().unwrap();
    let public_id = add_mobile(&app)["client_id"].as_str().unwrap().to_string();

    let listing = stdout(&client_cli(&app, &["list", "--json"]));
    assert!(!listing.contains(&secret) && !listing.contains(post_secret));
    assert!(!listing.contains(TokenHash::of(&secret).as_str()));
    assert!(!listing.contains("secret_hash") && !listing.contains("client_secret\""));
    let list: Vec<Value> = serde_json::from_str(&listing).unwrap();
    assert_eq!(list.len(), 3);
    let by_id = |id: &str| list.iter().find(|c| c["client_id"] == id).unwrap();
    let prints = by_id(&client_id);
    assert_eq!(prints["client_name"], "Photo Prints");
    assert_eq!(prints["public"], false);
    assert_eq!(prints["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(
        prints["redirect_uris"],
        serde_json::json!(["https://prints.example.com/cb", "http://127.0.0.1:9000/cb"])
    );
    assert_eq!(
        prints["post_logout_redirect_uris"],
        serde_json::json!(["https://prints.example.com/bye"])
    );
    assert_eq!(
        prints["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(prints["scope"], "openid profile email");
    assert_eq!(prints["id_token_signed_response_alg"], "RS256");
    let backend_client = by_id(post_id);
    assert_eq!(
        backend_client["token_endpoint_auth_method"],
        "client_secret_post"
    );
    assert_eq!(backend_client["id_token_signed_response_alg"], "ES256");
    assert_eq!(backend_client["skip_consent"], true);
    assert_eq!(
        backend_client["grant_types"],
        serde_json::json!(["authorization_code", "client_credentials"])
    );
    assert_eq!(by_id(&public_id)["token_endpoint_auth_method"], "none");
}

/// The plain listing names every client, and no secret.
async fn client_list_names_every_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let (client_id, secret, _) = add_photo_prints(&app);
    let post_id = add_backend(&app)["client_id"].as_str().unwrap().to_string();
    let public_id = add_mobile(&app)["client_id"].as_str().unwrap().to_string();
    let plain = stdout(&client_cli(&app, &["list"]));
    for id in [&client_id, &post_id, &public_id] {
        assert!(plain.contains(id.as_str()), "{plain}");
    }
    assert!(!plain.contains(&secret));
}

async fn cli_refuses_bad_input_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let add = |extra: &[&str]| {
        let mut args = vec!["add", "--name", "Bad"];
        args.extend_from_slice(extra);
        client_cli(&app, &args)
    };
    let cases: &[(&[&str], &str)] = &[
        (&["--redirect-uri", "/callback"], "is not absolute"),
        (&["--redirect-uri", "callback.html"], "is not absolute"),
        (
            &["--redirect-uri", "https://rp.example.com/cb#done"],
            "fragment",
        ),
        // One good and one bad: still nothing written.
        (
            &[
                "--redirect-uri",
                "https://rp.example.com/cb",
                "--redirect-uri",
                "https://rp.example.com/x#y",
            ],
            "fragment",
        ),
        (&["--redirect-uri", "javascript:alert(1)"], "scheme"),
        (
            &[
                "--redirect-uri",
                "https://rp.example.com/cb",
                "--post-logout-redirect-uri",
                "/bye",
            ],
            "post-logout redirect URI '/bye' is not absolute",
        ),
        (&[], "redirect URI is required"),
        (
            &[
                "--redirect-uri",
                "https://rp.example.com/cb",
                "--public",
                "--grant",
                "client_credentials",
            ],
            "public client",
        ),
        (
            &[
                "--redirect-uri",
                "https://rp.example.com/cb",
                "--scope",
                "a\"b",
            ],
            "scope",
        ),
        // clap's own refusals (exit 2 as well).
        (
            &[
                "--redirect-uri",
                "https://rp.example.com/cb",
                "--grant",
                "password",
            ],
            "password",
        ),
        (
            &[
                "--redirect-uri",
                "https://rp.example.com/cb",
                "--public",
                "--auth-method",
                "client_secret_basic",
            ],
            "--public",
        ),
        (
            &[
                "--redirect-uri",
                "https://rp.example.com/cb",
                "--id-token-alg",
                "none",
            ],
            "none",
        ),
    ];
    for (args, message) in cases {
        let out = add(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = add(&["--redirect-uri", "/callback"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("redirect URI '/callback' is not absolute")
    );
    assert_eq!(client_count(&app), 0);
    assert_eq!(stdout(&client_cli(&app, &["list", "--json"])).trim(), "[]");
}

/// Credentials for the fixtures' clients, through `PresentedCredentials::parse` and
/// `authenticate` as the token endpoint calls them.
fn auth(
    app: &TestApp,
    header: Option<&str>,
    id: Option<&str>,
    secret: Option<&str>,
) -> Result<ferrid::store::clients::Client, ferrid::oauth::OAuthError> {
    let presented = PresentedCredentials::parse(header, id, secret)?;
    authenticate(&mut app.conn(), &presented)
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

async fn registered_clients_authenticate(backend: Backend) {
    let app = spawn_app(backend).await;
    let confidential = app.rp();
    let public = app.public_rp();
    assert_eq!(client_count(&app), 2);
    let secret = confidential.secret.clone().unwrap();

    let ok = auth(
        &app,
        Some(&basic(&confidential.client_id, &secret)),
        None,
        None,
    )
    .unwrap();
    assert_eq!(ok.client_id.as_str(), confidential.client_id);
    assert!(ok.redirect_uri(&confidential.redirect_uri).is_some());
    let ok = auth(&app, None, Some(&public.client_id), None).unwrap();
    assert!(ok.public && public.secret.is_none());
}

async fn wrong_client_credentials_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let confidential = app.rp();
    let secret = confidential.secret.clone().unwrap();
    let id = confidential.client_id.as_str();

    let wrong = auth(&app, Some(&basic(id, "not-the-secret-at-all")), None, None).unwrap_err();
    assert_eq!(wrong.code, ErrorCode::InvalidClient);
    // The registered method is client_secret_basic: the same secret in the body is refused.
    let post = auth(&app, None, Some(id), Some(&secret)).unwrap_err();
    assert_eq!(post.code, ErrorCode::InvalidClient);
    // A confidential client cannot pass itself off as public.
    assert!(auth(&app, None, Some(id), None).is_err());
    // Two methods at once.
    let both = auth(&app, Some(&basic(id, &secret)), None, Some(&secret)).unwrap_err();
    assert_eq!(both.code, ErrorCode::InvalidRequest);
}
