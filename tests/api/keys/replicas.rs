//! Several writers of one key set: replicas running the schedule at the same moments, and
//! `ferrid keys rotate` next to a running server.
use std::time::Duration;

use ferrid::config::Secret;
use ferrid::crypto::master_key::MasterKey;
use ferrid::domain::KeyState;
use ferrid::domain::SigningAlg;
use serde_json::Value;

use super::{jwks_kids, states};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    two_replicas_rotating_at_once_leave_one_active_key,
    cli_rotation_reaches_a_running_server_within_5_seconds,
    keys_list_shows_the_keys_a_rotation_made,
);

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
    let app = spawn_app_with(backend, |s| {
        s.keys.poll_interval = std::num::NonZeroU64::MIN
    })
    .await;
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
