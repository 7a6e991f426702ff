//! `ferrid client add` and `ferrid client list`, run as the real binary.
use ferrid::domain::TokenHash;
use ferrid::domain::{ClientAuthMethod, ClientId};
use ferrid::store::clients;
use serde_json::Value;

use super::{
    add_backend, add_mobile, add_photo_prints, client_cli, client_count, stdout, stored_rows,
};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    cli_add_prints_the_secret_once_and_stores_its_hash,
    cli_add_json_prints_only_the_id_and_the_secret,
    cli_add_public_gets_no_secret,
    no_plain_secret_is_stored,
    client_list_json_shows_metadata_and_no_secrets,
    client_list_names_every_client,
    cli_refuses_bad_input_and_writes_nothing,
);

/// Confidential, human-readable output: id, secret once, and the warning; stored as given,
/// with the secret's hash.
async fn cli_add_prints_the_secret_once_and_stores_its_hash(backend: Backend) {
    let app = spawn_app(backend).await;
    let (client_id, secret, text) = add_photo_prints(&app);
    assert!(text.contains("will not be shown again"), "{text}");
    assert_eq!(secret.len(), 43, "256 bits, base64url");

    let id = ClientId::parse(&client_id).unwrap();
    let client = clients::find(&mut app.conn(), &id).unwrap().unwrap();
    assert_eq!(
        client.client_type.auth_method(),
        Some(ClientAuthMethod::ClientSecretBasic)
    );
    assert_eq!(client.scopes.to_string(), "openid profile email");
    assert_eq!(client.redirect_uris.len(), 2);
    assert!(client
        .client_type
        .secret_hash()
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
    assert!(public.client_type.is_public());
    assert_eq!(public.client_type.token_endpoint_auth_method(), "none");
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
