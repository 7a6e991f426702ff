use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::accounts::{self, ProfileForm};
use crate::state::AppState;
use crate::store::sessions::Session;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, see_other, PageError};
use crate::web::flash::{self, Flash};
use crate::web::layout::Layout;
use crate::web::session::CurrentSession;

/// Where an anonymous visitor is sent: back here once logged in.
const LOGIN: &str = "/login?return_to=%2Faccount";

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    error: Option<&'a str>,
    email: &'a str,
    email_verified: bool,
    role: &'a str,
    profile: &'a ProfileForm,
    /// Linked upstream providers (shown when loaded; issue 12).
    linked: Option<super::federation::LinkedSection>,
}

/// The fields of the profile form. Flat and without `flatten`, so a repeated field is a 400
/// rather than a silent choice between two values.
#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    phone_number: String,
    #[serde(default)]
    street_address: String,
    #[serde(default)]
    locality: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    country: String,
}

impl AccountForm {
    fn into_profile(self) -> ProfileForm {
        ProfileForm {
            name: self.name,
            given_name: self.given_name,
            family_name: self.family_name,
            phone_number: self.phone_number,
            street_address: self.street_address,
            locality: self.locality,
            region: self.region,
            postal_code: self.postal_code,
            country: self.country,
        }
    }
}

fn render(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    session: &Session,
    profile: &ProfileForm,
    error: Option<&str>,
    linked: Option<super::federation::LinkedSection>,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let user = &session.user;
    let page = AccountPage {
        layout: Layout::new(req, state),
        csrf_token: &csrf.value,
        error,
        email: user.email.as_str(),
        email_verified: user.email_verified,
        role: user.role.as_str(),
        profile,
        linked,
    };
    Ok(csrf.attach(html(status, &page)?))
}

pub async fn home() -> HttpResponse {
    see_other("/account")
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
) -> Result<HttpResponse, PageError> {
    let Some(session) = session.0 else {
        return Ok(see_other(LOGIN));
    };
    let profile = {
        let (state, user_id) = (state.clone(), session.user.id.clone());
        web::block(move || accounts::profile(&mut *state.conn()?, &user_id)).await??
    };
    let Some(profile) = profile else {
        return Ok(see_other(LOGIN));
    };
    let linked = super::federation::linked_section(&state, &session.user.id).await?;
    render(
        &req,
        &state,
        StatusCode::OK,
        &session,
        &profile.into(),
        None,
        Some(linked),
    )
}

/// Saves the profile and redirects back (303), so a reload does not post the form again;
/// the page then says "Saved."
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    form: web::Form<AccountForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let Some(session) = session.0 else {
        return Ok(see_other(LOGIN));
    };
    let profile = form.into_inner().into_profile();
    let result = {
        let (state, user_id, profile, now) = (
            state.clone(),
            session.user.id.clone(),
            profile.clone(),
            state.clock.now(),
        );
        web::block(move || accounts::update_profile(&mut *state.conn()?, &user_id, &profile, now))
            .await?
    };
    match result {
        Ok(()) => Ok(flash::redirect_with(&state, "/account", Flash::Saved)),
        Err(e) => match e.form_message() {
            Some(message) => render(
                &req,
                &state,
                StatusCode::BAD_REQUEST,
                &session,
                &profile,
                Some(&message),
                None,
            ),
            None => Err(e.into()),
        },
    }
}
