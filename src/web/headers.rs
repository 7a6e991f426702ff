//! Security headers on every response.
use actix_web::middleware::DefaultHeaders;

/// No script at all (pages work without JavaScript), styles only from our own stylesheet,
/// never framed (clickjacking on the login and consent pages), no MIME sniffing, and no
/// Referer leaking codes or state in URLs to other sites. No `form-action`: browsers apply
/// it to the redirect that follows a form, which must be free to reach a client's redirect_uri.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
}
