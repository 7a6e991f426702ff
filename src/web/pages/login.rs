use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{safe_return_to, with_return_to};
use crate::accounts::{self, AccountError, NewSession};
use crate::domain::SecretToken;
use crate::metrics::LoginOutcome;
use crate::oauth::authorize;
use crate::state::AppState;
use crate::web::authorize::browser;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, PageError};
use crate::web::layout::Layout;
use crate::web::{hashing, metrics, protocol, session};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    layout: Layout<'a>,
    /// The application the login continues to, when it continues an /authorize request.
    client_name: Option<&'a str>,
    csrf_token: &'a str,
    error: Option<&'a str>,
    email: &'a str,
    return_to: &'a str,
    /// The password was right but the address is unverified: offer the link again.
    unverified: bool,
    registration_open: bool,
    register_href: &'a str,
    /// "Continue with …" for each upstream provider: (href, display name).
    providers: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    return_to: String,
    /// OpenID Connect Core §3.1.2.1 `login_hint`, passed on by /authorize to prefill the form.
    #[serde(default)]
    login_hint: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    return_to: String,
}

async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
    return_to: &str,
) -> Result<HttpResponse, PageError> {
    let return_to = safe_return_to(return_to);
    let client_name = match pending_request_of(return_to) {
        Some(id) => {
            let (id, browser, now) = (id.to_string(), browser(req), state.clock.now());
            protocol::call(state, move |_, conn| {
                Ok(authorize::client_name(conn, &id, &browser, now)?)
            })
            .await??
        }
        None => None,
    };
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let return_to = safe_return_to(return_to);
    let page = LoginPage {
        layout: Layout::new(req, state),
        client_name: client_name.as_deref(),
        csrf_token: &csrf.value,
        error,
        email,
        return_to,
        // The login page answers 403 only to a right password for an unverified address.
        unverified: status == StatusCode::FORBIDDEN,
        registration_open: state.flows().registration_open,
        register_href: &with_return_to("/register", return_to),
        providers: super::federation::login_buttons(state, return_to),
    };
    Ok(csrf.attach(html(status, &page)?))
}

/// The pending authorization request a login continues: `return_to` is exactly
/// `/authorize/continue?request=ID` (as /authorize makes it), or this is a plain login.
fn pending_request_of(return_to: &str) -> Option<&str> {
    let id = return_to.strip_prefix("/authorize/continue?request=")?;
    SecretToken::from_presented(id).map(|_| id)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let hint = query.login_hint.chars().take(254).collect::<String>();
    render(&req, &state, StatusCode::OK, None, &hint, &query.return_to).await
}

/// A login: throttling first, so a refused attempt neither hashes nor waits for a turn to;
/// then the password check, on a turn at the hasher.
async fn attempt(
    state: &web::Data<AppState>,
    email: String,
    password: String,
    device: Option<String>,
    seen: crate::accounts::SeenFrom,
    now: i64,
) -> Result<Result<NewSession, AccountError>, PageError> {
    let begun = {
        let state = state.clone();
        web::block(move || {
            let accounts = state.accounts();
            let (device, ip) = (device.as_deref(), seen.ip.as_deref());
            accounts::begin_login(&accounts, &email, &password, device, ip, now)
                .map(|attempt| attempt.from_browser(seen.user_agent))
        })
        .await?
    };
    match begun {
        Ok(attempt) => {
            let state = state.clone();
            hashing::block(&state.clone(), move || {
                accounts::finish_login(&state.pool, &state.accounts(), attempt, now)
            })
            .await
        }
        Err(e) => Ok(Err(e)),
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let form = form.into_inner();
    let now = state.clock.now();
    let device = req
        .cookie(accounts::DEVICE_COOKIE)
        .map(|c| c.value().to_string());
    let (email, password) = (form.email.clone(), form.password);
    let seen = crate::web::session::seen_from(&req);
    let result = attempt(&state, email, password, device, seen, now).await?;
    metrics::login(
        &state,
        match &result {
            Ok(_) => LoginOutcome::Ok,
            Err(AccountError::RateLimited(_)) => LoginOutcome::Throttled,
            Err(_) => LoginOutcome::Failed,
        },
    );
    match result {
        Ok(new_session) => {
            let location = safe_return_to(&form.return_to);
            let mut response = session::logged_in_redirect(&state, location, &new_session.secret)?;
            if let Some(device) = &new_session.device_cookie {
                session::remember_device(&state, &mut response, device)?;
            }
            Ok(response)
        }
        Err(e) => match e.form_message() {
            Some(message) => {
                render(
                    &req,
                    &state,
                    if matches!(e, AccountError::EmailNotVerified) {
                        StatusCode::FORBIDDEN
                    } else {
                        StatusCode::BAD_REQUEST
                    },
                    Some(&message),
                    &form.email,
                    &form.return_to,
                )
                .await
            }
            None => Err(e.into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::pending_request_of;

    #[test]
    fn only_a_continue_link_names_a_pending_request() {
        let id = "Qm9yZWFsaXMtX3gwMDAw-_x0";
        let cases = [
            (format!("/authorize/continue?request={id}"), Some(id)),
            ("/authorize/continue?request=".to_string(), None),
            (format!("/authorize/continue?request={id}&x=1"), None),
            (format!("/authorize/continue?other=1&request={id}"), None),
            (format!("/consent?request={id}"), None),
            ("/account".to_string(), None),
        ];
        for (return_to, expected) in cases {
            assert_eq!(pending_request_of(&return_to), expected, "{return_to}");
        }
    }
}
