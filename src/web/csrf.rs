//! CSRF protection for every state-changing form: a double-submit token. A random value
//! lives in an HttpOnly, SameSite=Lax cookie and is echoed in a hidden `csrf_token` field; a
//! POST whose field does not equal its cookie (compared in constant time) gets 403 before
//! anything is read or written. Another site can make a browser send the cookie but can
//! neither read it nor guess it, so it cannot fill in the field.
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse};

use super::error::PageError;
use crate::domain::{constant_time_eq, SecretToken};

pub const COOKIE: &str = "ferrid_csrf";

/// The token to put in a page's forms, and the cookie to set when the browser has none yet.
pub struct CsrfToken {
    pub value: String,
    new_cookie: Option<Cookie<'static>>,
}

impl CsrfToken {
    pub fn for_request(req: &HttpRequest, secure: bool) -> Self {
        if let Some(existing) = req
            .cookie(COOKIE)
            .and_then(|c| SecretToken::from_presented(c.value()))
        {
            return CsrfToken {
                value: existing.as_str().to_string(),
                new_cookie: None,
            };
        }
        let value = SecretToken::generate().as_str().to_string();
        let cookie = Cookie::build(COOKIE, value.clone())
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .finish();
        CsrfToken {
            value,
            new_cookie: Some(cookie),
        }
    }

    /// Adds the cookie to a response if this request needed a new one.
    pub fn attach(&self, mut response: HttpResponse) -> HttpResponse {
        if let Some(cookie) = &self.new_cookie {
            // Adding a well-formed cookie cannot fail.
            let _ = response.add_cookie(cookie);
        }
        response
    }
}

/// 403 unless the form's `csrf_token` equals the cookie.
pub fn verify(req: &HttpRequest, presented: &str) -> Result<(), PageError> {
    let cookie = req.cookie(COOKIE);
    let ok = match &cookie {
        Some(c) => {
            !presented.is_empty() && constant_time_eq(c.value().as_bytes(), presented.as_bytes())
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(PageError::Forbidden(
            "The form has expired or did not come from this site. Go back, reload the page and try again.",
        ))
    }
}
