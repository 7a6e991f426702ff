//! actix handlers and middleware: HTTP in, typed calls into `accounts`/`oauth`, HTTP out.
pub mod admin;
pub mod authorize;
pub mod bearer;
pub mod client_errors;
pub mod client_throttle;
pub mod cors;
pub mod csrf;
pub mod discovery;
pub mod error;
pub mod error_page;
pub mod flash;
pub mod hashing;
pub mod headers;
pub mod layout;
pub mod oauth_error;
pub mod pages;
pub mod protocol;
pub mod request_deadline;
pub mod session;
pub mod theme;
pub mod token;
pub mod userinfo;

use actix_web::web;

/// Every path Ferrid serves. `form_limit`: the body limit of the protocol endpoints, whose
/// form errors are JSON rather than pages. A path serving several methods is one resource,
/// so another method gets 405 with Allow (RFC 9110 §15.5.6), not 404; any other path is the
/// 404 page.
pub fn routes(cfg: &mut web::ServiceConfig, form_limit: usize) {
    use pages::*;
    let get_post = |path: &str, get: actix_web::Route, post: actix_web::Route| {
        web::resource(path.to_string()).route(get).route(post)
    };
    cfg.route("/", web::get().to(account::home))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/static/style.css", web::get().to(assets::stylesheet))
        .route("/static/theme.css", web::get().to(assets::theme))
        .route("/static/favicon.svg", web::get().to(assets::favicon_svg))
        .route("/favicon.ico", web::get().to(assets::favicon_ico))
        .route("/jwks", web::get().to(discovery::jwks))
        .route(
            "/.well-known/openid-configuration",
            web::get().to(discovery::configuration),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            web::get().to(discovery::configuration),
        )
        .service(get_post(
            "/authorize",
            web::get().to(authorize::get),
            web::post().to(authorize::post),
        ))
        .route("/authorize/continue", web::get().to(authorize::resume))
        .service(get_post(
            "/consent",
            web::get().to(authorize::show_consent),
            web::post().to(authorize::submit_consent),
        ))
        .service(
            web::resource("/token")
                .app_data(token::form_config(form_limit))
                .route(web::post().to(token::token)),
        )
        .service(
            web::resource("/introspect")
                .app_data(token::form_config(form_limit))
                .route(web::post().to(token::introspect)),
        )
        .service(
            web::resource("/revoke")
                .app_data(token::form_config(form_limit))
                .route(web::post().to(token::revoke)),
        )
        .service(get_post(
            "/userinfo",
            web::get().to(userinfo::get),
            web::post().to(userinfo::post),
        ))
        .service(get_post(
            "/login",
            web::get().to(login::show),
            web::post().to(login::submit),
        ))
        .service(get_post(
            "/register",
            web::get().to(register::show),
            web::post().to(register::submit),
        ))
        .service(get_post(
            "/logout",
            web::get().to(logout::get),
            web::post().to(logout::post),
        ))
        .service(get_post(
            "/forgot-password",
            web::get().to(recovery::forgot),
            web::post().to(recovery::request_reset),
        ))
        .service(get_post(
            "/reset-password",
            web::get().to(recovery::reset_form),
            web::post().to(recovery::reset),
        ))
        .service(get_post(
            "/verify-email",
            web::get().to(verify::show),
            web::post().to(verify::confirm),
        ))
        .route("/verify-email/resend", web::post().to(verify::resend))
        .route("/account/connections", web::get().to(connections::show))
        .route(
            "/account/connections/revoke",
            web::post().to(connections::revoke),
        )
        .service(get_post(
            "/account/password",
            web::get().to(credentials::show_password),
            web::post().to(credentials::change_password),
        ))
        .service(get_post(
            "/account/email",
            web::get().to(credentials::show_email),
            web::post().to(credentials::change_email),
        ))
        .service(get_post(
            "/account",
            web::get().to(account::show),
            web::post().to(account::submit),
        ))
        .service(get_post(
            "/setup",
            web::get().to(setup::show),
            web::post().to(setup::submit),
        ))
        .configure(admin::routes)
        .default_service(web::to(error::not_found));
}

/// The client's address: what throttling, the audit log and the per-IP limit on waiting
/// sign-ins key on (the connection cap counts socket peers instead). The socket's peer, or,
/// when the peer is one of `server.trusted_proxies`, the client its X-Forwarded-For names
/// (`security::forwarded`). Every use of a client IP goes through here.
pub fn client_ip(req: &actix_web::HttpRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let trusted = req
        .app_data::<web::Data<crate::state::AppState>>()
        .map_or(&[][..], |state| {
            state.settings.server.trusted_proxies.as_slice()
        });
    let forwarded_for = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok());
    Some(crate::security::forwarded::client_ip(peer, trusted, forwarded_for).to_string())
}
