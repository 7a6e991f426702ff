//! Sudo mode, as GitHub has it: a console change made when the session's last login is
//! older than `admin.sudo_window` seconds first asks for the administrator's password. The
//! page posts the original form again, every field as a hidden input plus the password, to
//! the same address, so the change goes through as soon as the password is right. A session
//! taken over (an unlocked machine, a stolen cookie) cannot change accounts without it.
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::guard::{RequireAdmin, SUDO_PASSWORD};
use super::{Nav, Section};
use crate::accounts::{admin, AccountError};
use crate::state::AppState;
use crate::web::csrf::CsrfToken;
use crate::web::error::{html, PageError};
use crate::web::layout::Layout;
use crate::web::{client_ip, hashing};

#[derive(Template)]
#[template(path = "admin/sudo.html")]
struct SudoPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    csrf_token: &'a str,
    action: &'a str,
    hidden: Vec<(&'a str, &'a str)>,
    error: Option<&'a str>,
}

/// Whether the session's last login is recent enough for a change without a password.
pub fn is_fresh(auth_time: i64, window: i64, now: i64) -> bool {
    now - auth_time <= window
}

/// Lets the change through (`Ok`), or answers with the password page (`Err`, rendered as is):
/// asked for the first time, or again after a wrong password.
pub async fn ensure(
    req: &HttpRequest,
    admin: &RequireAdmin,
    fields: &[(String, String)],
) -> Result<(), actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| PageError::Internal("no application state".into()))?;
    let now = state.clock.now();
    if is_fresh(
        admin.session.auth_time,
        state.settings.admin.sudo_window,
        now,
    ) {
        return Ok(());
    }
    let typed = fields
        .iter()
        .find(|(k, _)| k == SUDO_PASSWORD)
        .map(|(_, v)| v.clone());
    let Some(password) = typed else {
        return Err(ask(req, &state, admin, fields, StatusCode::OK, None)?);
    };
    let (user_id, session) = (admin.user_id().to_string(), admin.session_hash.clone());
    let ip = client_ip(req);
    let outcome = {
        let state = state.clone();
        hashing::block(&state.clone(), move || {
            let accounts = state.accounts();
            admin::reauthenticate(
                &state.pool,
                &accounts,
                &user_id,
                &session,
                &password,
                ip.as_deref(),
                now,
            )
        })
        .await?
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(AccountError::WrongPassword | AccountError::Password(_)) => {
            let message = "The password is incorrect.";
            let status = StatusCode::BAD_REQUEST;
            Err(ask(req, &state, admin, fields, status, Some(message))?)
        }
        Err(e) => Err(PageError::from(e).into()),
    }
}

/// The password page, as an error carrying its response (the handler never runs).
fn ask(
    req: &HttpRequest,
    state: &AppState,
    admin: &RequireAdmin,
    fields: &[(String, String)],
    status: StatusCode,
    error: Option<&str>,
) -> Result<actix_web::Error, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let hidden = fields
        .iter()
        .filter(|(k, _)| k != SUDO_PASSWORD && k != "csrf_token")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = SudoPage {
        layout: Layout::new(req, state),
        nav: Nav::new(Section::None, admin),
        csrf_token: &csrf.value,
        action: req.path(),
        hidden,
        error,
    };
    let response: HttpResponse = csrf.attach(html(status, &page)?);
    Ok(InternalError::from_response("sudo mode: password needed", response).into())
}

#[cfg(test)]
mod tests {
    use super::is_fresh;

    #[test]
    fn a_login_older_than_the_window_is_not_fresh() {
        assert!(is_fresh(1000, 900, 1000));
        assert!(is_fresh(1000, 900, 1900));
        assert!(!is_fresh(1000, 900, 1901));
    }
}
