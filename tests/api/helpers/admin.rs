//! Administrators for the console tests.
use ferrid::accounts::admin::{self, Actor};
use ferrid::domain::{Email, Role};
use ferrid::store::users::{self, NewUser};

use super::app::{TestApp, User};
use super::browser::{extract_field, Browser};

impl TestApp {
    /// A registered user made an administrator (as `ferrid user set-role` does).
    pub async fn new_admin(&self) -> User {
        let user = self.new_user().await;
        let (id, now) = (self.user_id(&user), self.clock.now());
        admin::set_role(&mut self.conn(), &id, Role::Admin, Actor::Cli, now).unwrap();
        user
    }

    /// A new administrator, logged in (so in sudo mode for `admin.sudo_window`).
    pub async fn admin_browser(&self) -> (User, Browser) {
        let admin = self.new_admin().await;
        let browser = self.logged_in_browser(&admin).await;
        (admin, browser)
    }

    /// A user inserted directly, fast and unverified; the hash is a placeholder, so they
    /// cannot log in. Returns their id.
    pub fn insert_user(&self, email: &str, name: &str) -> String {
        let email = Email::parse(email).unwrap();
        let new = NewUser {
            email: &email,
            name,
            password_hash: "not-a-hash",
            role: Role::User,
            email_verified: false,
        };
        users::insert(&mut self.conn(), &new, self.clock.now())
            .unwrap()
            .id
    }

    /// How many applications the user has consented to.
    pub fn consent_count(&self, user_id: &str) -> usize {
        ferrid::store::consents::consents_of(&mut self.conn(), user_id)
            .unwrap()
            .len()
    }

    /// The user with this id as stored now.
    pub fn stored_user(&self, id: &str) -> Option<users::User> {
        users::find_by_id(&mut self.conn(), id).unwrap()
    }
}

/// Every hidden input of a page (`<input type="hidden" name="N" value="V">`), in order, as
/// the browser would post them again.
pub fn hidden_fields(body: &str) -> Vec<(String, String)> {
    const OPEN: &str = "<input type=\"hidden\" name=\"";
    let mut fields = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(OPEN) {
        rest = &rest[start + OPEN.len()..];
        let Some(name_end) = rest.find('"') else {
            break;
        };
        let name = rest[..name_end].to_string();
        if let Some(value) =
            extract_field(&format!("name=\"{name}\"{}", &rest[name_end + 1..]), &name)
        {
            fields.push((name, value));
        }
    }
    fields
}
