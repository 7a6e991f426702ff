//! actix handlers and middleware: HTTP in, typed calls into `accounts`/`oauth`, HTTP out.
pub mod authorize;
pub mod bearer;
pub mod client_errors;
pub mod cors;
pub mod csrf;
pub mod discovery;
pub mod error;
pub mod headers;
pub mod oauth_error;
pub mod pages;
pub mod protocol;
pub mod request_deadline;
pub mod session;
pub mod token;
pub mod userinfo;

use actix_web::web;

/// Every path Ferrid serves. `form_limit`: the body limit of the protocol endpoints, whose
/// form errors are JSON rather than pages.
pub fn routes(cfg: &mut web::ServiceConfig, form_limit: usize) {
    use pages::*;
    cfg.route("/", web::get().to(account::home))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/static/style.css", web::get().to(assets::stylesheet))
        .route("/jwks", web::get().to(discovery::jwks))
        .route(
            "/.well-known/openid-configuration",
            web::get().to(discovery::configuration),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            web::get().to(discovery::configuration),
        )
        .route("/authorize", web::get().to(authorize::get))
        .route("/authorize", web::post().to(authorize::post))
        .route("/authorize/continue", web::get().to(authorize::resume))
        .route("/consent", web::get().to(authorize::show_consent))
        .route("/consent", web::post().to(authorize::submit_consent))
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
        .route("/userinfo", web::get().to(userinfo::get))
        .route("/userinfo", web::post().to(userinfo::post))
        .route("/login", web::get().to(login::show))
        .route("/login", web::post().to(login::submit))
        .route("/register", web::get().to(register::show))
        .route("/register", web::post().to(register::submit))
        .route("/forgot-password", web::get().to(recovery::forgot))
        .route("/forgot-password", web::post().to(recovery::request_reset))
        .route("/reset-password", web::get().to(recovery::reset_form))
        .route("/reset-password", web::post().to(recovery::reset))
        .route("/verify-email", web::get().to(verify::show))
        .route("/verify-email", web::post().to(verify::confirm))
        .route("/verify-email/resend", web::post().to(verify::resend))
        .route("/logout", web::get().to(logout::get))
        .route("/logout", web::post().to(logout::post))
        .route("/account/connections", web::get().to(connections::show))
        .route(
            "/account/connections/revoke",
            web::post().to(connections::revoke),
        )
        .route(
            "/account/password",
            web::get().to(credentials::show_password),
        )
        .route(
            "/account/password",
            web::post().to(credentials::change_password),
        )
        .route("/account/email", web::get().to(credentials::show_email))
        .route("/account/email", web::post().to(credentials::change_email))
        .route("/account", web::get().to(account::show))
        .route("/account", web::post().to(account::submit))
        .route("/setup", web::get().to(setup::show))
        .route("/setup", web::post().to(setup::submit));
}

/// The client's address as the socket saw it. Forwarded headers are not trusted: anyone can
/// send them, and a limiter keyed on them would be trivially dodged.
pub fn client_ip(req: &actix_web::HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}
