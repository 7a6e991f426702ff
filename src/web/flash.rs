//! Flash messages: a one-line confirmation on the page after a change ("Saved", "You are
//! logged out"). The redirect that ends a form's POST sets a short-lived cookie naming one of
//! a fixed set of messages; the next page shows it and drops the cookie (see
//! `web::layout::finish_pages`). The cookie carries an id, never text, so nobody can make a
//! page say anything but these sentences: it needs no signature.
//!
//! A new message is a new variant with its id and sentence below.
use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse};

use super::error::see_other;
use crate::state::AppState;

pub const COOKIE: &str = "ferrid_flash";

/// Long enough for the redirect it rides on; a flash nobody saw should not appear later.
const LIFETIME: i64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flash {
    /// A form was saved (the profile, and the console's edits).
    Saved,
    LoggedOut,
    /// An application's access was removed (/account/connections).
    AccessRemoved,
    /// The console ended a login session.
    SessionRevoked,
    PasswordChanged,
    /// The console deleted an application.
    ApplicationDeleted,
    /// The console's "rotate now" created the next signing keys, or found them waiting.
    KeysRotated,
    RotationUnderWay,
    /// The console's changes to a user.
    UserCreated,
    UserDisabled,
    UserEnabled,
    UserDeleted,
    ResetSent,
    /// Every session and token of a user, or several sessions, ended.
    SessionsRevoked,
}

const ALL: [Flash; 14] = [
    Flash::Saved,
    Flash::LoggedOut,
    Flash::AccessRemoved,
    Flash::SessionRevoked,
    Flash::PasswordChanged,
    Flash::ApplicationDeleted,
    Flash::KeysRotated,
    Flash::RotationUnderWay,
    Flash::UserCreated,
    Flash::UserDisabled,
    Flash::UserEnabled,
    Flash::UserDeleted,
    Flash::ResetSent,
    Flash::SessionsRevoked,
];

impl Flash {
    /// The cookie value.
    pub fn id(self) -> &'static str {
        match self {
            Flash::Saved => "saved",
            Flash::LoggedOut => "logged_out",
            Flash::AccessRemoved => "access_removed",
            Flash::SessionRevoked => "session_revoked",
            Flash::PasswordChanged => "password_changed",
            Flash::ApplicationDeleted => "application_deleted",
            Flash::KeysRotated => "keys_rotated",
            Flash::RotationUnderWay => "rotation_under_way",
            Flash::UserCreated => "user_created",
            Flash::UserDisabled => "user_disabled",
            Flash::UserEnabled => "user_enabled",
            Flash::UserDeleted => "user_deleted",
            Flash::ResetSent => "reset_sent",
            Flash::SessionsRevoked => "sessions_revoked",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Flash::Saved => "Saved.",
            Flash::LoggedOut => "You are logged out.",
            Flash::AccessRemoved => {
                "Access removed. The application must ask you again before it can use your account."
            }
            Flash::SessionRevoked => "Session revoked.",
            Flash::PasswordChanged => "Your password was changed.",
            Flash::ApplicationDeleted => "Application deleted.",
            Flash::KeysRotated => {
                "Rotation started: the new keys are published now and sign after the publish-ahead time."
            }
            Flash::RotationUnderWay => {
                "A rotation is already under way: the next keys are published and waiting to become active."
            }
            Flash::UserCreated => "User created. A link to choose a password was mailed to them.",
            Flash::UserDisabled => "User disabled. Their sessions and tokens were revoked.",
            Flash::UserEnabled => "User enabled.",
            Flash::UserDeleted => "User deleted.",
            Flash::ResetSent => "A password reset link was mailed to the user.",
            Flash::SessionsRevoked => "Sessions revoked.",
        }
    }

    /// The stylesheet's class: a change done, or plain information.
    pub fn class(self) -> &'static str {
        match self {
            Flash::LoggedOut | Flash::RotationUnderWay => "flash info",
            Flash::Saved
            | Flash::AccessRemoved
            | Flash::SessionRevoked
            | Flash::PasswordChanged
            | Flash::ApplicationDeleted
            | Flash::KeysRotated
            | Flash::UserCreated
            | Flash::UserDisabled
            | Flash::UserEnabled
            | Flash::UserDeleted
            | Flash::ResetSent
            | Flash::SessionsRevoked => "flash success",
        }
    }

    /// The message a cookie value names; anything else is ignored.
    pub fn from_id(id: &str) -> Option<Flash> {
        ALL.into_iter().find(|f| f.id() == id)
    }

    /// The message waiting for this request's page, if any.
    pub fn presented(req: &HttpRequest) -> Option<Flash> {
        req.cookie(COOKIE).and_then(|c| Flash::from_id(c.value()))
    }
}

/// HttpOnly, SameSite=Lax (it rides a same-site redirect), Secure under https, one minute.
fn cookie(flash: Flash, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, flash.id())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(LIFETIME))
        .finish()
}

/// Drops the cookie once its page was shown.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, "")
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish();
    c.make_removal();
    c
}

/// 303 to `location` (a path on this server), whose page then shows `flash`.
pub fn redirect_with(state: &AppState, location: &str, flash: Flash) -> HttpResponse {
    let mut response = see_other(location);
    // Adding a well-formed cookie cannot fail.
    let _ = response.add_cookie(&cookie(flash, state.cookies_secure()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_ids_name_a_message() {
        for flash in ALL {
            assert_eq!(Flash::from_id(flash.id()), Some(flash));
            assert!(flash.message().ends_with('.'), "{flash:?}");
        }
        for id in ["", "Saved", "saved ", "<script>", "You are logged out."] {
            assert_eq!(Flash::from_id(id), None, "{id:?}");
        }
    }

    #[test]
    fn the_cookie_is_short_lived_and_out_of_reach_of_scripts() {
        let c = cookie(Flash::Saved, true);
        assert_eq!((c.name(), c.value()), (COOKIE, "saved"));
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Lax));
        assert_eq!(c.max_age(), Some(Duration::seconds(60)));
        assert_eq!(cookie(Flash::Saved, false).secure(), Some(false));
    }
}
