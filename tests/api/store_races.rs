//! Issue 8.13: concurrent writes that used to collide. Many parallel revocations of one
//! access token (an UPDATE-else-INSERT hit the primary key on PostgreSQL: a 500), and the
//! profile update done as one statement.
use diesel::prelude::*;
use ferrid::domain::Email;
use ferrid::store::schema::users as users_table;
use ferrid::store::users::{self, Profile};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    parallel_revocations_of_one_access_token_all_succeed,
    an_unchanged_phone_number_keeps_its_verification,
    a_changed_phone_number_loses_its_verification,
);

async fn parallel_revocations_of_one_access_token_all_succeed(backend: Backend) {
    let app = spawn_app(backend).await;
    let service = app.service(&[]);
    // A client_credentials token is recorded only when revoked: every request inserts.
    for round in 0..3 {
        let (_, cc) = service.client_credentials(None).await;
        let token = cc.access_token().to_string();
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (token, service) = (token.clone(), service.clone());
                tokio::spawn(async move { service.revoke(&token).await })
            })
            .collect();
        let mut statuses = Vec::new();
        for h in handles {
            statuses.push(h.await.unwrap());
        }
        assert!(
            statuses.iter().all(|st| *st == 200),
            "round {round}: {statuses:?}"
        );
        assert_eq!(service.introspect(&token).await.1["active"], false);
    }
}

/// A user whose phone number is verified, and their profile.
async fn verified_phone(backend: Backend) -> (TestApp, String, Profile) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let mut conn = app.conn();
    let id = users::find_by_email(&mut conn, &Email::parse(&user.email).unwrap())
        .unwrap()
        .unwrap()
        .id;
    let profile = Profile {
        name: "Ann Lee".into(),
        phone_number: "+1 425 555 1212".into(),
        ..Profile::default()
    };
    users::update_profile(&mut conn, &id, &profile, 1).unwrap();
    diesel::update(users_table::table.find(&id))
        .set(users_table::phone_number_verified.eq(true))
        .execute(&mut *conn)
        .unwrap();
    drop(conn);
    (app, id, profile)
}

fn verified(conn: &mut ferrid::store::DbConn, id: &str) -> bool {
    users::find_with_profile(conn, id)
        .unwrap()
        .unwrap()
        .1
        .phone_number_verified
}

/// The same number, other fields changed: still verified.
async fn an_unchanged_phone_number_keeps_its_verification(backend: Backend) {
    let (app, id, profile) = verified_phone(backend).await;
    let mut conn = app.conn();
    let renamed = Profile {
        name: "Ann B. Lee".into(),
        ..profile.clone()
    };
    users::update_profile(&mut conn, &id, &renamed, 2).unwrap();
    assert!(verified(&mut conn, &id));
    let (_, saved) = users::find_with_profile(&mut conn, &id).unwrap().unwrap();
    assert_eq!(saved.name, "Ann B. Lee");
}

/// Another number: no longer verified, and saved.
async fn a_changed_phone_number_loses_its_verification(backend: Backend) {
    let (app, id, profile) = verified_phone(backend).await;
    let mut conn = app.conn();
    let moved = Profile {
        phone_number: "+44 20 7946 0958".into(),
        ..profile
    };
    users::update_profile(&mut conn, &id, &moved, 3).unwrap();
    assert!(!verified(&mut conn, &id));
    let (_, saved) = users::find_with_profile(&mut conn, &id).unwrap().unwrap();
    assert_eq!(saved.phone_number, "+44 20 7946 0958");
}
