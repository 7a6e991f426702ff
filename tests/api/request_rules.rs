//! Authorization request rules of issue 8: `redirect_uri` is required in OpenID Connect
//! requests (item 7), a client may be registered to require PKCE (item 7), and concurrent
//! consents keep the union of what was allowed (item 13).
use ferrid::domain::{ClientId, Email};
use ferrid::store::{consents, users};
use serde_json::Value;

use crate::flow::*;
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    openid_request_without_redirect_uri_is_an_error_page,
    client_registered_with_require_pkce_needs_a_code_challenge,
    concurrent_consents_keep_the_union,
);

async fn openid_request_without_redirect_uri_is_an_error_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let rp = app.rp();
    let params: Vec<_> = standard(&rp, "openid")
        .into_iter()
        .filter(|(k, _)| *k != "redirect_uri")
        .collect();
    // OIDC Core §3.1.2.1: REQUIRED; nothing was verified, so no redirect.
    let r = browser()
        .get(authorize_url(&app, &params))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("redirect_uri"));
    // RFC 6749 §3.1.2.3: plain OAuth may omit it when one URI is registered.
    let mut oauth = params.clone();
    oauth.retain(|(k, _)| *k != "scope");
    oauth.push(("scope", "profile"));
    let r = browser()
        .get(authorize_url(&app, &oauth))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?"));
}

fn cli_json(app: &TestApp, args: &[&str]) -> Value {
    let out = app.ferrid_command().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn client_registered_with_require_pkce_needs_a_code_challenge(backend: Backend) {
    let app = spawn_app(backend).await;
    let add = [
        "client",
        "add",
        "--name",
        "Strict RP",
        "--redirect-uri",
        REDIRECT_URI,
        "--require-pkce",
        "--json",
    ];
    let created = cli_json(&app, &add);
    let rp = Rp {
        client_id: created["client_id"].as_str().unwrap().to_string(),
        secret: created["client_secret"].as_str().map(str::to_string),
        redirect_uri: REDIRECT_URI.into(),
    };
    assert!(rp.secret.is_some(), "a confidential client");
    let listed = cli_json(&app, &["client", "list", "--json"]);
    assert_eq!(listed[0]["require_pkce"], true);

    // Without a code_challenge: refused at the (verified) client.
    let url = authorize_url(&app, &standard(&rp, "openid"));
    let end = follow(&app, &browser(), &url, None, Consent::Unexpected).await;
    assert_eq!(end.error(), Some("invalid_request"), "{end:?}");
    assert_eq!(end.params().get("state").map(String::as_str), Some("st4te"));

    // With one: the whole flow, the verifier checked at the token endpoint.
    let user = app.new_user().await;
    let (verifier, challenge) = pkce();
    let mut params = standard(&rp, "openid");
    params.push(("code_challenge", &challenge));
    params.push(("code_challenge_method", "S256"));
    let url = authorize_url(&app, &params);
    let end = follow(&app, &browser(), &url, Some(&user), Consent::Allow).await;
    let (status, tokens) = exchange(&app, &rp, &end.code(), Some(&verifier)).await;
    assert_eq!(status, 200, "{tokens}");

    // A confidential client without the flag is not affected; a public one always is.
    let plain = cli_json(
        &app,
        &[
            "client",
            "add",
            "--name",
            "Plain",
            "--redirect-uri",
            REDIRECT_URI,
            "--json",
        ],
    );
    let public = cli_json(
        &app,
        &[
            "client",
            "add",
            "--name",
            "App",
            "--redirect-uri",
            REDIRECT_URI,
            "--public",
            "--json",
        ],
    );
    let listed = cli_json(&app, &["client", "list", "--json"]);
    let flag = |id: &Value| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client_id"] == *id)
            .unwrap()["require_pkce"]
            .clone()
    };
    assert_eq!(flag(&plain["client_id"]), false);
    assert_eq!(flag(&public["client_id"]), true);
}

/// The consent form of a request for `scope`, from a logged-in browser: (csrf, request).
async fn consent_form(
    app: &TestApp,
    browser: &reqwest::Client,
    rp: &Rp,
    scope: &str,
) -> (String, String) {
    let r = browser
        .get(authorize_url(app, &standard(rp, scope)))
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/consent?"), "{location}");
    let body = browser
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (
        extract_csrf(&body).unwrap(),
        extract_field(&body, "request").unwrap(),
    )
}

/// Several consents for one user and client, each adding a scope, submitted at once (two
/// tabs, two replicas): none fails, and the stored consent is their union.
async fn concurrent_consents_keep_the_union(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.database.pool_size = 6).await;
    let rp = app.rp();
    let scopes = [
        "openid profile",
        "openid email",
        "openid address",
        "openid phone",
    ];
    for _round in 0..3 {
        let user = app.new_user().await;
        let mut forms = Vec::new();
        for scope in scopes {
            let b = app.logged_in_browser(&user).await;
            let form = consent_form(&app, &b, &rp, scope).await;
            forms.push((b, form));
        }
        let submissions: Vec<_> = forms
            .into_iter()
            .map(|(b, (csrf, request))| {
                let url = app.url("/consent");
                let fields = [
                    ("csrf_token", csrf),
                    ("request", request),
                    ("decision", "allow".into()),
                ];
                tokio::spawn(async move { b.post(url).form(&fields).send().await.unwrap() })
            })
            .collect();
        for submission in submissions {
            let r = submission.await.unwrap();
            assert_eq!(r.status(), 303, "no 500 on a concurrent consent");
            let location = r.headers()["location"].to_str().unwrap();
            assert!(location.contains("code="), "{location}");
        }
        let email = Email::parse(&user.email).unwrap();
        let id = users::find_by_email(&mut app.conn(), &email)
            .unwrap()
            .unwrap()
            .id;
        let client_id = ClientId::parse(&rp.client_id).unwrap();
        let consented = consents::consented_scope(&mut app.conn(), &id, &client_id)
            .unwrap()
            .expect("a consent");
        for scope in ["openid", "profile", "email", "address", "phone"] {
            assert!(consented.contains(scope), "{scope} lost: {consented}");
        }
    }
}
