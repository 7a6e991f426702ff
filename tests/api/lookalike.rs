//! Email addresses that cannot impersonate each other: normalised on input (NFKC, IDNA),
//! invisible characters refused, and a look-alike of a registered address (same UTS #39
//! skeleton) refused as taken.
use diesel::prelude::*;
use ferrid::domain::{Email, Role};
use ferrid::store::schema::users::dsl;
use ferrid::store::users::{self, NewUser};

use crate::helpers::*;
use crate::on_both_backends;

const LOOK_ALIKES: [&str; 7] = [
    "\u{430}lice@example.com",   // Cyrillic а
    "ａlice@example.com",        // fullwidth a
    "ALICE@EXAMPLE.COM",         // letter case
    "alice@ex\u{430}mple.com",   // Cyrillic а in the domain
    "alice@xn--exmple-4nf.com",  // the same, as punycode
    "al\u{131}ce@example.com",   // dotless ı
    "\u{1d41a}lice@example.com", // mathematical bold a
];

/// The attacks of issue 10: each would have made a second account that shows as
/// `alice@example.com`. Look-alikes get exactly the answer a new address gets ("check your
/// inbox"), no account is made, and alice is told at her own address each time.
async fn a_look_alike_of_a_registered_address_is_refused(backend: Backend) {
    // Nine registrations of one skeleton: above the per-address limit (throttling/forms.rs).
    let app = spawn_app_with(backend, |s| s.rate_limit.register_per_email = 20).await;
    let first = app.browser().register("alice@example.com", PASSWORD).await;
    assert_eq!(first.status(), 200);
    let strip = |body: &str, typed: &str| {
        body.replace(&extract_csrf(body).unwrap(), "")
            .replace(typed, "EMAIL")
    };
    let fresh = app.browser().register("zed@example.com", PASSWORD).await;
    let fresh = strip(&fresh.text().await.unwrap(), "zed@example.com");

    for look_alike in LOOK_ALIKES {
        let response = app.browser().register(look_alike, PASSWORD).await;
        assert_eq!(response.status(), 200, "{look_alike}");
        assert!(set_cookie(response.headers(), "ferrid_session").is_none());
        let body = response.text().await.unwrap();
        assert_eq!(strip(&body, look_alike), fresh, "{look_alike}");
    }
    assert_eq!(app.user_count(), 2, "alice and zed only");
    let told = app.mails_to("alice@example.com").await;
    let already = told
        .iter()
        .filter(|m| m.subject.contains("already have"))
        .count();
    assert_eq!(already, LOOK_ALIKES.len(), "{told:?}");
}

/// With verification off, registration says an address is taken, look-alikes too.
async fn without_verification_a_look_alike_is_refused_as_taken(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.accounts.require_verified_email = false;
        s.rate_limit.register_per_email = 20;
    })
    .await;
    let first = app.browser().register("alice@example.com", PASSWORD).await;
    assert_eq!(first.status(), 303);
    let duplicate = app.browser().register("alice@example.com", PASSWORD).await;
    assert_eq!(duplicate.status(), 400);
    let taken = error_message(&duplicate.text().await.unwrap());
    for look_alike in LOOK_ALIKES {
        let response = app.browser().register(look_alike, PASSWORD).await;
        assert_eq!(response.status(), 400, "{look_alike}");
        assert!(set_cookie(response.headers(), "ferrid_session").is_none());
        let body = response.text().await.unwrap();
        assert_eq!(error_message(&body), taken, "{look_alike}");
    }
    assert_eq!(app.user_count(), 1);
}

/// Invisible characters are refused outright, with a message that says why.
async fn invisible_characters_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for sneaky in [
        "alice\u{200b}@example.com", // zero-width space
        "ali\u{ad}ce@example.com",   // soft hyphen
        "alice\u{200d}@example.com", // zero-width joiner
        "\u{202e}alice@example.com", // right-to-left override
        "alice@exam\u{200c}ple.com", // zero-width non-joiner in the domain
        "alice\u{fe0f}@example.com", // variation selector
    ] {
        let response = app.browser().register(sneaky, PASSWORD).await;
        assert_eq!(response.status(), 400, "{sneaky:?}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("invisible or formatting character"),
            "{sneaky:?}: {body}"
        );
    }
    assert_eq!(app.user_count(), 0);
}

/// Rows older than the skeleton column get one at start; two old rows that look alike do
/// not stop the start: the older keeps the skeleton, the newer stays without one.
async fn existing_rows_get_skeletons(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut conn = app.conn();
    let now = app.clock.now();
    let mut ids = Vec::new();
    for (i, email) in ["ann@example.com", "bob@example.com", "carol@example.com"]
        .iter()
        .enumerate()
    {
        let email = Email::parse(email).unwrap();
        let new = NewUser {
            email: &email,
            name: "",
            password_hash: "x",
            role: Role::User,
            email_verified: true,
        };
        ids.push(users::insert(&mut conn, &new, now + i as i64).unwrap().id);
    }
    // As before the column existed, with carol's row made a look-alike of ann's (as an
    // older version let through: a Cyrillic а).
    diesel::update(dsl::users)
        .set(dsl::email_skeleton.eq(None::<String>))
        .execute(&mut *conn)
        .unwrap();
    diesel::update(dsl::users.find(&ids[2]))
        .set((
            dsl::email.eq("\u{430}nn@example.com"),
            dsl::email_normalized.eq("\u{430}nn@example.com"),
        ))
        .execute(&mut *conn)
        .unwrap();

    assert_eq!(users::backfill_email_skeletons(&mut conn).unwrap(), 2);
    let skeletons: Vec<(String, Option<String>)> = dsl::users
        .select((dsl::id, dsl::email_skeleton))
        .load(&mut *conn)
        .unwrap();
    let skeleton_of = |id: &str| skeletons.iter().find(|(i, _)| i == id).unwrap().1.clone();
    let ann = Email::parse("ann@example.com").unwrap().skeleton();
    assert_eq!(skeleton_of(&ids[0]), Some(ann));
    assert!(skeleton_of(&ids[1]).is_some());
    assert_eq!(
        skeleton_of(&ids[2]),
        None,
        "the newer look-alike stays without"
    );
    // The next start changes nothing and does not fail either.
    assert_eq!(users::backfill_email_skeletons(&mut conn).unwrap(), 0);
    drop(conn);
    // Backfilled rows protect their owners: no account is made, and bob is told.
    let response = app
        .browser()
        .register("b\u{43e}b@example.com", PASSWORD)
        .await;
    assert_eq!(response.status(), 200, "Cyrillic о in bob");
    assert_eq!(app.user_count(), 3);
    let told = app.last_mail_to("bob@example.com").await;
    assert!(told.subject.contains("already have"), "{told:?}");
}

/// The text of the page's error message.
fn error_message(body: &str) -> String {
    let start = body.find("class=\"error\"").unwrap_or(0);
    body[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_string()
}

on_both_backends!(
    a_look_alike_of_a_registered_address_is_refused,
    without_verification_a_look_alike_is_refused_as_taken,
    invisible_characters_are_refused,
    existing_rows_get_skeletons,
);
