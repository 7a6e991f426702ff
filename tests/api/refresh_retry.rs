//! Issue 8.8: a refresh whose answer was lost is retried with the only token the client has.
//! Within `tokens.refresh_reuse_grace` that retry (or a concurrent duplicate) gets a new
//! successor and kills the earlier one; after it, from another client, or with grace 0, the
//! reuse revokes the family. At every moment exactly one token of the family is alive.
use ferrid::domain::TokenHash;
use ferrid::store::{grants, refresh_tokens};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_lost_answer_is_retried_within_the_grace,
    a_retry_after_the_grace_revokes_the_family,
    with_grace_0_an_immediate_reuse_revokes_the_family,
    a_retry_by_another_client_revokes_the_family,
    a_retry_after_the_client_moved_on_revokes_the_family,
    concurrent_duplicates_leave_one_live_token,
);

/// The family of a refresh token: its grant id, whether the grant is revoked, and how many
/// of its refresh tokens are alive.
fn family(app: &TestApp, refresh_token: &str) -> (String, bool, i64) {
    let mut conn = app.conn();
    let family = refresh_tokens::find_refresh_family(&mut conn, &TokenHash::of(refresh_token))
        .unwrap()
        .expect("a stored refresh token");
    let revoked = grants::find_live_grant(&mut conn, &family.grant_id, app.clock.now())
        .unwrap()
        .is_none();
    let live = refresh_tokens::live_refresh_tokens(&mut conn, &family.grant_id).unwrap();
    (family.grant_id, revoked, live)
}

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

async fn assert_refused(rp: &Rp, token: &str, why: &str) {
    let answer = rp.refresh(token, None).await;
    assert_eq!(
        (answer.0, answer.1["error"].as_str()),
        (400, Some("invalid_grant")),
        "{why}"
    );
}

async fn a_lost_answer_is_retried_within_the_grace(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let first = rp.offline_tokens(&user).await;
    let rt = first.refresh_token();

    // The answer to this refresh is lost on its way back.
    let (status, lost) = rp.refresh(rt, None).await;
    assert_eq!(status, 200, "{lost}");
    assert_eq!(family(&app, rt).2, 1);
    // The client retries with the only token it has, a few seconds later.
    app.clock.advance(5);
    let (status, retried) = rp.refresh(rt, None).await;
    assert_eq!(
        status, 200,
        "a retry within the grace is answered: {retried}"
    );
    assert_ne!(retried["refresh_token"], lost["refresh_token"]);
    assert_eq!(family(&app, rt).2, 1, "exactly one live token");

    // The successor of the lost answer is dead, and presenting it harms nobody.
    assert_refused(&rp, lost.refresh_token(), "earlier successor").await;
    let (status, newest) = rp.refresh(retried.refresh_token(), None).await;
    assert_eq!(status, 200, "the newest works: {newest}");
    let (_, revoked, live) = family(&app, newest.refresh_token());
    assert!(!revoked, "the family is intact");
    assert_eq!(live, 1);
    for tokens in [&first, &retried, &newest] {
        assert_eq!(app.userinfo(tokens.access_token()).await.0, 200);
    }
    let kinds = app.audit_kinds();
    assert_eq!(count(&kinds, "refresh_token_retried"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "refresh_token_superseded"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "refresh_token_reused"), 0, "{kinds:?}");
}

async fn a_retry_after_the_grace_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let first = rp.offline_tokens(&user).await;
    let rt = first.refresh_token();
    let (status, lost) = rp.refresh(rt, None).await;
    assert_eq!(status, 200);

    app.clock
        .advance(app.state.settings.tokens.refresh_reuse_grace + 1);
    assert_refused(&rp, rt, "a reuse after the grace").await;
    assert_refused(&rp, lost.refresh_token(), "family revoked").await;
    let (_, revoked, _) = family(&app, rt);
    assert!(revoked);
    assert_eq!(app.userinfo(lost.access_token()).await.0, 401);
    let kinds = app.audit_kinds();
    assert_eq!(count(&kinds, "refresh_token_reused"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "refresh_token_retried"), 0, "{kinds:?}");
}

async fn with_grace_0_an_immediate_reuse_revokes_the_family(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.tokens.refresh_reuse_grace = 0).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let first = rp.offline_tokens(&user).await;
    let rt = first.refresh_token();
    let (status, next) = rp.refresh(rt, None).await;
    assert_eq!(status, 200);
    assert_refused(&rp, rt, "no grace").await;
    assert_refused(&rp, next.refresh_token(), "family revoked").await;
    assert!(family(&app, rt).1);
    assert_eq!(count(&app.audit_kinds(), "refresh_token_reused"), 1);
}

async fn a_retry_by_another_client_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp, other) = (
        app.new_user().await,
        app.confidential_client(),
        app.confidential_client(),
    );
    let first = rp.offline_tokens(&user).await;
    let rt = first.refresh_token();
    let (status, next) = rp.refresh(rt, None).await;
    assert_eq!(status, 200);
    // Within the grace, but not the client the token was issued to: it leaked.
    assert_refused(&other, rt, "another client").await;
    assert_refused(&rp, next.refresh_token(), "family revoked").await;
    assert!(family(&app, rt).1);
    let kinds = app.audit_kinds();
    assert_eq!(count(&kinds, "refresh_token_reused"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "refresh_token_retried"), 0, "{kinds:?}");
}

async fn a_retry_after_the_client_moved_on_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let first = rp.offline_tokens(&user).await;
    let rt = first.refresh_token();
    let (_, second) = rp.refresh(rt, None).await;
    let (status, third) = rp.refresh(second.refresh_token(), None).await;
    assert_eq!(status, 200);
    // Within the grace, but its successor was used: not a lost answer, a stolen token.
    assert_refused(&rp, rt, "successor already used").await;
    assert_refused(&rp, third.refresh_token(), "family revoked").await;
    assert!(family(&app, rt).1);
}

async fn concurrent_duplicates_leave_one_live_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let (user, rp) = (app.new_user().await, app.confidential_client());
    let first = rp.offline_tokens(&user).await;
    let rt = first.refresh_token().to_string();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (rt, rp) = (rt.clone(), rp.clone());
            tokio::spawn(async move { rp.refresh(&rt, None).await })
        })
        .collect();
    let mut answers = Vec::new();
    for h in handles {
        answers.push(h.await.unwrap());
    }
    // Each duplicate is a retry within the grace: all answered, none a reuse.
    assert!(answers.iter().all(|(st, _)| *st == 200), "{answers:?}");
    let (_, revoked, live) = family(&app, &rt);
    assert!(!revoked, "the family survives duplicates");
    assert_eq!(live, 1, "exactly one live refresh token");

    // Exactly one of the answers holds it, and it works; the others are dead.
    let issued: Vec<String> = answers
        .iter()
        .map(|(_, body)| body.refresh_token().to_string())
        .collect();
    let alive: Vec<&String> = {
        let mut conn = app.conn();
        issued
            .iter()
            .filter(|t| {
                refresh_tokens::find_live_refresh_token(
                    &mut conn,
                    &TokenHash::of(t),
                    app.clock.now(),
                )
                .unwrap()
                .is_some()
            })
            .collect()
    };
    assert_eq!(alive.len(), 1, "{alive:?}");
    for dead in issued.iter().filter(|t| *t != alive[0]) {
        assert_refused(&rp, dead, "a superseded duplicate").await;
    }
    let (status, body) = rp.refresh(alive[0], None).await;
    assert_eq!(status, 200, "{body}");
    let (_, revoked, live) = family(&app, body.refresh_token());
    assert!(!revoked && live == 1);
    let kinds = app.audit_kinds();
    assert_eq!(count(&kinds, "refresh_token_retried"), 7, "{kinds:?}");
    assert_eq!(count(&kinds, "refresh_token_reused"), 0, "{kinds:?}");
}
