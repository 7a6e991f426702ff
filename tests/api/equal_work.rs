//! The flows that take an address from anyone (a forgotten password, a new verification
//! link, registration) run the same statements, in the same order, whether or not the
//! address has an account: the unknown address's decoy writes are rolled back to their
//! savepoint where the real ones are released. What the database does cannot tell the two
//! apart, on any machine (a fixed response delay would have to be tuned to one).
use std::sync::{Arc, Mutex};

use diesel::connection::{Connection as _, InstrumentationEvent};
use ferrid::accounts::{self, NewAccount};
use ferrid::domain::Role;
use ferrid::store::DbConn;

use crate::helpers::*;
use crate::on_both_backends;

/// The statements `f` runs on `conn`, each by its first word (SELECT, INSERT, SAVEPOINT, …).
fn statements(conn: &mut DbConn, f: impl FnOnce(&mut DbConn)) -> Vec<String> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let sql = query.to_string();
            let verb = sql.split_whitespace().next().unwrap_or_default();
            sink.lock().unwrap().push(verb.to_uppercase());
        }
    });
    f(conn);
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    let verbs = log.lock().unwrap().clone();
    verbs
}

/// Asserts the two runs did the same work: the same statements, except that the real run
/// keeps its savepoint (RELEASE) and the decoy run discards it (ROLLBACK TO SAVEPOINT).
#[track_caller]
fn assert_same_work(real: &[String], decoy: &[String]) {
    let ending = |verbs: &[String], end: &str| {
        verbs
            .iter()
            .map(|v| {
                if v == end {
                    "END".to_string()
                } else {
                    v.clone()
                }
            })
            .collect::<Vec<_>>()
    };
    assert!(real.contains(&"INSERT".to_string()), "{real:?}");
    assert!(real.contains(&"RELEASE".to_string()), "{real:?}");
    assert!(decoy.contains(&"ROLLBACK".to_string()), "{decoy:?}");
    assert_eq!(ending(real, "RELEASE"), ending(decoy, "ROLLBACK"));
}

async fn a_forgotten_password_costs_the_same_for_any_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let (flows, now) = (app.state.flows(), app.clock.now());
    let mut conn = app.conn();
    let mut ask = |email: &str| {
        statements(&mut conn, |conn| {
            accounts::request_password_reset(conn, &flows, email, None, now).unwrap();
        })
    };
    let known = ask(&user.email);
    let unknown = ask("nobody@example.com");
    assert_same_work(&known, &unknown);
}

async fn a_new_verification_link_costs_the_same_for_any_address(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.browser()
            .register("ann@example.com", PASSWORD)
            .await
            .status(),
        200
    );
    let (flows, now) = (app.state.flows(), app.clock.now());
    let mut conn = app.conn();
    let mut resend = |email: &str| {
        statements(&mut conn, |conn| {
            accounts::resend_verification(conn, &flows, email, None, None, now).unwrap();
        })
    };
    let waiting = resend("ann@example.com");
    let unknown = resend("nobody@example.com");
    assert_same_work(&waiting, &unknown);
}

async fn registration_costs_the_same_for_new_and_taken_addresses(backend: Backend) {
    let app = spawn_app(backend).await;
    let taken = app.new_user().await;
    let state = app.state.clone();
    let accounts = state.accounts();
    let now = app.clock.now();
    let mut conn = app.conn();
    let mut register = |email: &str| {
        let new = NewAccount {
            email,
            name: "",
            password: PASSWORD,
            role: Role::User,
        };
        let account = new
            .check(&accounts.password_policy)
            .unwrap()
            .hash(accounts.hasher);
        statements(&mut conn, |conn| {
            accounts::register_prepared(conn, &accounts, &account, None, None, now).unwrap();
        })
    };
    let fresh = register("newcomer@example.com");
    let existing = register(&taken.email);
    // A Cyrillic е for the first Latin e.
    let look_alike = register(&taken.email.replacen('e', "\u{435}", 1));
    assert_same_work(&fresh, &existing);
    assert_same_work(&fresh, &look_alike);
    assert_eq!(app.user_count(), 2, "the decoy accounts were rolled back");
}

on_both_backends!(
    a_forgotten_password_costs_the_same_for_any_address,
    a_new_verification_link_costs_the_same_for_any_address,
    registration_costs_the_same_for_new_and_taken_addresses,
);
