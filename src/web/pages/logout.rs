use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::accounts;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::error::{see_other, PageError};
use crate::web::{client_ip, now, session};

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

/// Deletes the session server-side (a copied cookie dies with it) and clears the cookie.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    if let Some(secret) = session::presented_secret(&req) {
        let (state, ip, now) = (state.clone(), client_ip(&req), now());
        web::block(move || accounts::logout(&state, &secret, ip.as_deref(), now)).await??;
    }
    let mut response = see_other("/login");
    response
        .add_cookie(&session::removal_cookie(&state))
        .map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(response)
}
