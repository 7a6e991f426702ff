//! The rotating signing-key store: lifecycle, JWKS, secrecy at rest, master key, replicas.
use std::time::Duration;

use ferrid::config::Secret;
use ferrid::crypto::jwt::{JwtError, Validation};
use ferrid::crypto::key_store::KeyStoreError;
use ferrid::crypto::master_key::MasterKey;
use ferrid::crypto::signing_key::SigningAlg;
use ferrid::startup::Application;
use ferrid::store::keys::{self, KeyState};
use serde_json::{json, Map, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_first_start_makes_an_active_key_per_algorithm,
    a_rotated_in_key_is_published_before_it_signs,
    after_publish_ahead_the_new_key_signs_and_the_old_one_retires,
    a_retired_key_is_dropped_once_its_tokens_have_expired,
    the_schedule_makes_the_next_key_after_the_interval,
    the_jwks_has_public_members_and_a_cache_lifetime,
    no_plain_private_key_in_the_database,
    a_wrong_master_key_is_refused_and_nothing_changes,
    two_replicas_rotating_at_once_leave_one_active_key,
    cli_rotation_reaches_a_running_server_within_5_seconds,
    keys_list_shows_the_keys_a_rotation_made,
);

fn claims(iss: &str, exp: i64) -> Map<String, Value> {
    json!({"iss": iss, "sub": "u1", "aud": "rp", "exp": exp, "iat": 0})
        .as_object()
        .unwrap()
        .clone()
}

fn kid_of(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let (_, body) = app.get_json("/jwks").await;
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

fn states(app: &TestApp) -> Vec<(SigningAlg, KeyState)> {
    keys::all(&mut app.conn())
        .unwrap()
        .into_iter()
        .map(|k| (k.alg, k.state))
        .collect()
}

/// A token signed now with the current RS256 key, valid far beyond the test.
fn sign_now(app: &TestApp) -> String {
    let far = app.clock.now() + 10 * app.state.settings.keys.rotation_interval;
    app.state
        .keys
        .current()
        .sign(SigningAlg::RS256, "JWT", &claims(&app.state.issuer, far))
        .unwrap()
}

fn validation(iss: &str) -> Validation<'_> {
    Validation {
        issuer: iss,
        audience: Some("rp"),
        typ: Some("JWT"),
        leeway_secs: 30,
    }
}

/// The next RS256 key, once a rotation has made one.
fn next_rs256_kid(app: &TestApp) -> String {
    keys::all(&mut app.conn())
        .unwrap()
        .into_iter()
        .find(|k| k.state == KeyState::Next && k.alg == SigningAlg::RS256)
        .unwrap()
        .kid
}

/// Rotates at t0 and runs the schedule at t0 + publish_ahead, when the next key takes
/// over: that moment.
fn rotate_and_activate(app: &TestApp, t0: i64) -> i64 {
    let store = &app.state.keys;
    store.rotate(&mut app.conn(), t0).unwrap();
    let t1 = t0 + app.state.settings.keys.publish_ahead;
    assert!(store.maintain(&mut app.conn(), t1).unwrap());
    t1
}

/// The first start made one active key per algorithm, both published.
async fn the_first_start_makes_an_active_key_per_algorithm(backend: Backend) {
    let app = spawn_app(backend).await;
    let old_kid = kid_of(&sign_now(&app));
    assert_eq!(
        states(&app)
            .iter()
            .filter(|(_, s)| *s == KeyState::Active)
            .count(),
        2
    );
    assert!(jwks_kids(&app).await.contains(&old_kid));
}

/// Rotate: the new key is published at once, but signs nothing until publish_ahead has
/// passed; one rotation at a time.
async fn a_rotated_in_key_is_published_before_it_signs(backend: Backend) {
    let app = spawn_app(backend).await;
    let policy = &app.state.settings.keys;
    let store = app.state.keys.clone();
    let t0 = app.clock.now();
    let old_kid = kid_of(&sign_now(&app));

    let created = store.rotate(&mut app.conn(), t0).unwrap();
    assert_eq!(created.len(), 2);
    let new_rs = next_rs256_kid(&app);
    assert!(
        jwks_kids(&app).await.contains(&new_rs),
        "published before it signs"
    );
    assert_eq!(kid_of(&sign_now(&app)), old_kid);
    assert!(
        store.rotate(&mut app.conn(), t0).unwrap().is_empty(),
        "one rotation at a time"
    );
    // Not yet: publish_ahead has not passed.
    store
        .maintain(&mut app.conn(), t0 + policy.publish_ahead - 1)
        .unwrap();
    assert_eq!(kid_of(&sign_now(&app)), old_kid);
}

/// After publish_ahead the new key signs; the old one is retired but still published, and
/// a token it signed still verifies, until every token it signed has expired.
async fn after_publish_ahead_the_new_key_signs_and_the_old_one_retires(backend: Backend) {
    let app = spawn_app(backend).await;
    let t0 = app.clock.now();
    let first = sign_now(&app);
    let old_kid = kid_of(&first);
    app.state.keys.rotate(&mut app.conn(), t0).unwrap();
    let new_rs = next_rs256_kid(&app);
    let t1 = t0 + app.state.settings.keys.publish_ahead;
    assert!(app.state.keys.maintain(&mut app.conn(), t1).unwrap());

    assert_eq!(kid_of(&sign_now(&app)), new_rs);
    assert!(jwks_kids(&app).await.contains(&old_kid));
    app.state
        .keys
        .current()
        .verify(&first, &validation(&app.state.issuer), t1)
        .expect("old token still verifies");
    let retired = keys::all(&mut app.conn())
        .unwrap()
        .into_iter()
        .find(|k| k.kid == old_kid)
        .unwrap();
    assert_eq!(retired.state, KeyState::Retired);
    let drop_after = retired.drop_after.unwrap();
    let longest = app
        .state
        .settings
        .tokens
        .access_token_lifetime
        .max(app.state.settings.tokens.id_token_lifetime);
    assert!(
        drop_after >= t1 + longest,
        "kept until every token it signed has expired"
    );
}

/// Once every token it signed has expired, a retired key leaves the JWKS and its tokens
/// fail; every step of its life was audited.
async fn a_retired_key_is_dropped_once_its_tokens_have_expired(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = app.state.keys.clone();
    let first = sign_now(&app);
    let old_kid = kid_of(&first);
    rotate_and_activate(&app, app.clock.now());
    let after = sign_now(&app);
    let drop_after = keys::all(&mut app.conn())
        .unwrap()
        .into_iter()
        .find(|k| k.kid == old_kid)
        .unwrap()
        .drop_after
        .unwrap();

    store.maintain(&mut app.conn(), drop_after - 1).unwrap();
    assert!(jwks_kids(&app).await.contains(&old_kid));
    store.maintain(&mut app.conn(), drop_after).unwrap();
    assert!(!jwks_kids(&app).await.contains(&old_kid));
    let validation = validation(&app.state.issuer);
    assert!(matches!(
        store.current().verify(&first, &validation, drop_after),
        Err(JwtError::UnknownKid)
    ));
    store
        .current()
        .verify(&after, &validation, drop_after)
        .unwrap();

    let kinds = app.audit_kinds();
    for kind in ["key.created", "key.activated", "key.retired", "key.dropped"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} audited: {kinds:?}");
    }
}

/// The automatic schedule creates the next key when the interval has passed.
async fn the_schedule_makes_the_next_key_after_the_interval(backend: Backend) {
    let app = spawn_app(backend).await;
    let t1 = rotate_and_activate(&app, app.clock.now());
    let t2 = t1 + app.state.settings.keys.rotation_interval;
    app.state.keys.maintain(&mut app.conn(), t2).unwrap();
    assert_eq!(
        states(&app)
            .iter()
            .filter(|(_, s)| *s == KeyState::Next)
            .count(),
        2
    );
}

/// JWKS shape and caching: public members only, with a cache lifetime.
async fn the_jwks_has_public_members_and_a_cache_lifetime(backend: Backend) {
    let app = spawn_app(backend).await;
    app.state
        .keys
        .rotate(&mut app.conn(), app.clock.now())
        .unwrap();
    let response = app.browser().get("/jwks").await;
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let body: Value = response.json().await.unwrap();
    for key in body["keys"].as_array().unwrap() {
        assert_eq!(key["use"], "sig");
        assert!(key.get("d").is_none(), "no private members");
        match key["kty"].as_str().unwrap() {
            "RSA" => assert!(key["n"].is_string() && key["e"].is_string() && key["alg"] == "RS256"),
            "EC" => assert!(
                key["crv"] == "P-256"
                    && key["x"].is_string()
                    && key["y"].is_string()
                    && key["alg"] == "ES256"
            ),
            other => panic!("unexpected kty {other}"),
        }
    }
}

async fn no_plain_private_key_in_the_database(backend: Backend) {
    use base64::Engine as _;
    let master = MasterKey::generate();
    let encoded = master.to_base64();
    let app = spawn_app_with(backend, |s| {
        s.secrets.master_key = Some(Secret::new(encoded.clone()))
    })
    .await;
    app.state
        .keys
        .rotate(&mut app.conn(), app.clock.now())
        .unwrap();
    let stored = keys::all(&mut app.conn()).unwrap();
    assert_eq!(stored.len(), 4);
    for key in stored {
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&key.sealed_private_key)
            .unwrap();
        let pem = String::from_utf8(master.open(&sealed, key.kid.as_bytes()).unwrap()).unwrap();
        assert!(pem.contains("PRIVATE KEY"));
        // The body of the PEM (the key itself) appears nowhere in the row, in any column.
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(&body)
            .unwrap();
        let row = format!("{key:?}");
        assert!(!row.contains("PRIVATE KEY"));
        assert!(!row.contains(&body[..40]));
        assert!(!sealed.windows(32).any(|w| der.windows(32).any(|d| d == w)));
        assert!(!key.public_jwk.contains("\"d\""));
    }
}

async fn a_wrong_master_key_is_refused_and_nothing_changes(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.secrets.master_key = Some(Secret::new(MasterKey::generate().to_base64()))
    })
    .await;
    let before = format!("{:?}", keys::all(&mut app.conn()).unwrap());
    let mut settings = test_settings(Backend::Sqlite, app.dir.path());
    settings.database.url = app.database_url.clone();
    settings.secrets.master_key = Some(Secret::new(MasterKey::generate().to_base64()));
    let err = Application::build(settings)
        .await
        .err()
        .expect("start refused");
    let message = format!("{err:#}");
    assert!(message.contains("master key"), "{message}");
    assert!(err
        .downcast_ref::<KeyStoreError>()
        .is_some_and(|e| matches!(e, KeyStoreError::WrongMasterKey { .. })));
    assert_eq!(
        before,
        format!("{:?}", keys::all(&mut app.conn()).unwrap()),
        "no key touched"
    );
}

async fn two_replicas_rotating_at_once_leave_one_active_key(backend: Backend) {
    let master = MasterKey::generate().to_base64();
    let first = spawn_app_with(backend, |s| {
        s.secrets.master_key = Some(Secret::new(master.clone()))
    })
    .await;
    let url = first.database_url.clone();
    let second = spawn_app_with(backend, |s| {
        s.secrets.master_key = Some(Secret::new(master.clone()));
        s.database.url = url.clone();
    })
    .await;
    assert_eq!(
        states(&first).len(),
        2,
        "the second replica found the keys and made none"
    );

    let policy = first.state.settings.keys.clone();
    let t0 = first.clock.now() + policy.rotation_interval;
    // Both replicas run the schedule (and the CLI rotates) at the same moments.
    for t in [
        t0,
        t0,
        t0 + policy.publish_ahead,
        t0 + policy.publish_ahead + 1,
    ] {
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let handles: Vec<_> = [first.state.clone(), second.state.clone()]
            .into_iter()
            .enumerate()
            .map(|(i, state)| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let mut conn = state.pool.get().unwrap();
                    barrier.wait();
                    if i == 0 {
                        state.keys.rotate(&mut conn, t).map(|_| ())
                    } else {
                        state.keys.maintain(&mut conn, t).map(|_| ())
                    }
                })
            })
            .collect();
        for h in handles {
            h.join()
                .unwrap()
                .expect("maintenance succeeds on both replicas");
        }
        let all = states(&first);
        for alg in [SigningAlg::RS256, SigningAlg::ES256] {
            let active = all
                .iter()
                .filter(|(a, s)| *a == alg && *s == KeyState::Active)
                .count();
            let next = all
                .iter()
                .filter(|(a, s)| *a == alg && *s == KeyState::Next)
                .count();
            assert_eq!(active, 1, "{alg:?} at {t}: {all:?}");
            assert!(next <= 1, "{alg:?} at {t}: {all:?}");
        }
    }
    // Both replicas serve the same key set.
    for app in [&first, &second] {
        let mut conn = app.conn();
        app.state
            .keys
            .tick(&mut conn, t0 + policy.publish_ahead + 1)
            .unwrap();
    }
    let (mut a, mut b) = (jwks_kids(&first).await, jwks_kids(&second).await);
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

async fn cli_rotation_reaches_a_running_server_within_5_seconds(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.keys.poll_interval = 1).await;
    let before = jwks_kids(&app).await;
    let out = app.ferrid(&["keys", "rotate"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server polls the database for keys: a real background task, so a bounded poll.
    eventually(
        Duration::from_secs(5),
        "new keys not served within 5 s",
        || async { jwks_kids(&app).await.len() == before.len() + 2 },
    )
    .await;
}

async fn keys_list_shows_the_keys_a_rotation_made(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(app.ferrid(&["keys", "rotate"], "").status.success());
    let out = app.ferrid(&["keys", "list", "--json"], "");
    assert!(out.status.success());
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.len(), 4);
    assert_eq!(listed.iter().filter(|k| k["state"] == "next").count(), 2);
    assert!(listed
        .iter()
        .all(|k| k["kid"].is_string() && k["alg"].is_string() && k["created_at"].is_i64()));
}
