//! What tests read from (or set up in) the database directly, in one place.
use diesel::prelude::*;
use ferrid::domain::Email;
use ferrid::store::schema;
use ferrid::store::users::{self, Profile};

use super::app::{TestApp, User};

impl TestApp {
    pub fn user_count(&self) -> i64 {
        schema::users::table
            .count()
            .get_result(&mut *self.conn())
            .unwrap()
    }

    /// The id of a registered user (the `sub` of their tokens).
    pub fn user_id(&self, user: &User) -> String {
        let email = Email::parse(&user.email).unwrap();
        users::find_by_email(&mut self.conn(), &email)
            .unwrap()
            .expect("the user exists")
            .id
    }

    /// Gives the user this profile, as changed at `when`.
    pub fn set_profile(&self, user: &User, profile: &Profile, when: i64) {
        let id = self.user_id(user);
        users::update_profile(&mut self.conn(), &id, profile, when).unwrap();
    }

    /// The kinds of the latest audit events, newest first.
    pub fn audit_kinds(&self) -> Vec<String> {
        ferrid::store::audit::recent(&mut self.conn(), 100)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    /// The latest audit events of one kind, newest first.
    pub fn audit_of(&self, kind: &str) -> Vec<ferrid::store::audit::StoredEvent> {
        ferrid::store::audit::recent(&mut self.conn(), 1000)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == kind)
            .collect()
    }

    pub fn codes_issued(&self) -> i64 {
        schema::authorization_codes::table
            .count()
            .get_result(&mut *self.conn())
            .unwrap()
    }

    /// Single-use links stored for this purpose (`password_reset`, `email_verification`, …).
    pub fn one_time_tokens(&self, purpose: &str) -> i64 {
        schema::one_time_tokens::table
            .filter(schema::one_time_tokens::purpose.eq(purpose))
            .count()
            .get_result(&mut *self.conn())
            .unwrap()
    }

    /// The stored password hash of a user.
    pub fn password_hash(&self, user: &User) -> String {
        let email = Email::parse(&user.email).unwrap();
        users::find_for_login(&mut self.conn(), &email)
            .unwrap()
            .and_then(|(_, hash)| hash)
            .expect("the user has a password")
    }

    /// Authorization requests waiting for a login or a consent.
    pub fn pending_requests(&self) -> i64 {
        schema::authorization_requests::table
            .count()
            .get_result(&mut *self.conn())
            .unwrap()
    }
}

/// A full profile, for claims tests.
pub fn sample_profile() -> Profile {
    Profile {
        name: "Ann Lee".into(),
        given_name: "Ann".into(),
        family_name: "Lee".into(),
        phone_number: "+1 555 0100".into(),
        phone_number_verified: false,
        street_address: "1 Main St".into(),
        locality: "Springfield".into(),
        region: "IL".into(),
        postal_code: "62701".into(),
        country: "US".into(),
    }
}
