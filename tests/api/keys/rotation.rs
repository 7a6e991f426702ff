//! A key's life: published before it signs, active after `keys.publish_ahead`, retired but
//! published until every token it signed has expired, then dropped; the schedule makes the
//! next one after `keys.rotation_interval`.
use ferrid::crypto::jwt::{JwtError, Validation};
use ferrid::domain::KeyState;
use ferrid::domain::SigningAlg;
use ferrid::store::keys;
use serde_json::Value;

use super::{claims, jwks_kids, kid_of, states};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_first_start_makes_an_active_key_per_algorithm,
    a_rotated_in_key_is_published_before_it_signs,
    after_publish_ahead_the_new_key_signs_and_the_old_one_retires,
    a_retired_key_is_dropped_once_its_tokens_have_expired,
    the_schedule_makes_the_next_key_after_the_interval,
    the_jwks_has_public_members_and_a_cache_lifetime,
);

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
    for kind in ["key_created", "key_activated", "key_retired", "key_dropped"] {
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
