use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::accounts::{self, Registration};
use crate::state::AppState;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, PageError};
use crate::web::layout::Layout;
use crate::web::{client_ip, session};

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    error: Option<&'a str>,
    email: &'a str,
    name: &'a str,
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    csrf_token: String,
}

fn render(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    error: Option<&str>,
    form: Option<&RegisterForm>,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let page = RegisterPage {
        layout: Layout::new(req, state),
        csrf_token: &csrf.value,
        error,
        email: form.map_or("", |f| &f.email),
        name: form.map_or("", |f| &f.name),
    };
    Ok(csrf.attach(html(status, &page)?))
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    render(&req, &state, StatusCode::OK, None, None)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let form = form.into_inner();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let result = {
        let (state, email, password, name) = (
            state.clone(),
            form.email.clone(),
            form.password.clone(),
            form.name.clone(),
        );
        web::block(move || {
            let registration = Registration {
                email: &email,
                password: &password,
                name: &name,
            };
            let accounts = state.accounts();
            accounts::register(&state.pool, &accounts, &registration, ip.as_deref(), now)
        })
        .await?
    };
    match result {
        Ok(new_session) => session::logged_in_redirect(&state, "/account", &new_session.secret),
        Err(e) => match e.form_message() {
            Some(message) => render(
                &req,
                &state,
                StatusCode::BAD_REQUEST,
                Some(&message),
                Some(&form),
            ),
            None => Err(e.into()),
        },
    }
}
