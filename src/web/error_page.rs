//! The error page: a plain-language title, what happened, when to try again, and a way on.
//! `web::error` decides which `PageError` a failure is; this file decides how it reads.
use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::error::PageError;
use super::layout::Layout;
use crate::web::oauth_error::RETRY_AFTER_UNAVAILABLE;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout<'a>,
    title: &'a str,
    message: &'a str,
    /// A sign-in started by an application: the way back is that application, which this
    /// page cannot link to (the request that named it was refused or is gone).
    sign_in: bool,
}

/// The page for `error`, in `layout`, with its status and headers (Retry-After where
/// waiting helps). Logs nothing: `PageError::error_response` logged the cause once.
pub fn render(error: &PageError, layout: &Layout<'_>) -> HttpResponse {
    let (title, message) = wording(error);
    let page = ErrorPage {
        layout: *layout,
        title,
        message: &message,
        sign_in: matches!(error, PageError::SignIn(_)),
    };
    let mut response = HttpResponse::build(error.status_code());
    match error {
        PageError::TooManyRequests { retry_after } => {
            response.insert_header((header::RETRY_AFTER, (*retry_after).max(1).to_string()));
        }
        PageError::Unavailable => {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_UNAVAILABLE.to_string()));
        }
        _ => {}
    }
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.render().unwrap_or_else(|_| message.into_owned()))
}

/// The title and the message of each error, as a person reads them: what happened and what
/// to do, never an error code or internal detail.
fn wording(error: &PageError) -> (&'static str, Cow<'_, str>) {
    match error {
        PageError::BadRequest(m) => ("We couldn't do that", Cow::Borrowed(m)),
        PageError::SignIn(m) => ("We couldn't continue signing you in", Cow::Borrowed(m)),
        PageError::Forbidden(m) => ("We couldn't accept this form", Cow::Borrowed(*m)),
        PageError::NotFound => (
            "Page not found",
            "There is no page at this address. The link may be mistyped or out of date.".into(),
        ),
        PageError::MethodNotAllowed => (
            "We couldn't do that",
            "This address does not accept that kind of request.".into(),
        ),
        PageError::TooManyRequests { retry_after } => (
            "Too many attempts",
            format!(
                "For your safety, this is paused for now. {}",
                try_again_in(*retry_after)
            )
            .into(),
        ),
        PageError::Unavailable => (
            "Temporarily unavailable",
            "The service cannot answer right now. Try again in a moment.".into(),
        ),
        PageError::Internal(_) => (
            "Something went wrong",
            "Something failed on our side. Try again in a moment; if it keeps happening, tell the people who run this service.".into(),
        ),
    }
}

/// When to try again, in words, from a Retry-After in seconds (RFC 9110 §10.2.3). Rounded
/// up, so following it is never too early: 61 seconds is "2 minutes".
pub fn try_again_in(seconds: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 3600;
    fn count(n: i64, unit: &str) -> String {
        match n {
            1 => format!("1 {unit}"),
            _ => format!("{n} {unit}s"),
        }
    }
    if seconds <= 0 {
        return "Try again now.".into();
    }
    let minutes = (seconds + MINUTE - 1) / MINUTE;
    let wait = if seconds < MINUTE {
        count(seconds, "second")
    } else if seconds <= HOUR {
        count(minutes, "minute")
    } else {
        match (minutes / 60, minutes % 60) {
            (hours, 0) => count(hours, "hour"),
            (hours, rest) => format!("{} {}", count(hours, "hour"), count(rest, "minute")),
        }
    };
    format!("Try again in {wait}.")
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody as _;

    use super::*;

    #[test]
    fn waits_read_as_a_person_would_say_them() {
        let cases = [
            (-5, "Try again now."),
            (0, "Try again now."),
            (1, "Try again in 1 second."),
            (30, "Try again in 30 seconds."),
            (59, "Try again in 59 seconds."),
            (60, "Try again in 1 minute."),
            (61, "Try again in 2 minutes."),
            (240, "Try again in 4 minutes."),
            (899, "Try again in 15 minutes."),
            (3600, "Try again in 60 minutes."),
            (3601, "Try again in 1 hour 1 minute."),
            (5400, "Try again in 1 hour 30 minutes."),
            (7200, "Try again in 2 hours."),
            (86_400, "Try again in 24 hours."),
        ];
        for (seconds, words) in cases {
            assert_eq!(try_again_in(seconds), words, "{seconds}");
        }
    }

    fn every_error() -> Vec<PageError> {
        vec![
            PageError::BadRequest("The form could not be read.".into()),
            PageError::SignIn("This sign-in request has expired.".into()),
            PageError::Forbidden("The form has expired."),
            PageError::NotFound,
            PageError::MethodNotAllowed,
            PageError::TooManyRequests { retry_after: 240 },
            PageError::Unavailable,
            PageError::internal(std::io::Error::other("disk `full`")),
        ]
    }

    fn body(response: HttpResponse) -> String {
        let bytes = response.into_body().try_into_bytes().unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    /// Every error page names the product, has a title in words (no "Bad request"), no
    /// markdown backtick, and a way on: the start page, or for a sign-in the application
    /// (which the page cannot link to).
    #[test]
    fn every_error_page_reads_plainly_and_offers_a_way_on() {
        let layout = Layout {
            product_name: "Acme ID",
            flash: None,
        };
        for error in every_error() {
            let page = body(render(&error, &layout));
            assert!(
                page.contains("<title>") && page.contains("Acme ID"),
                "{page}"
            );
            assert!(!page.contains('`'), "{error:?}: {page}");
            assert!(!page.contains("Bad request"), "{page}");
            let start_page = page.contains("Go to the start page");
            match error {
                PageError::SignIn(_) => {
                    assert!(page.contains("Go back to the application and start over"));
                    assert!(!start_page, "{page}");
                }
                _ => assert!(start_page, "{error:?}: {page}"),
            }
        }
    }

    #[test]
    fn the_429_page_says_when() {
        let page = body(render(
            &PageError::TooManyRequests { retry_after: 240 },
            &Layout::fallback(),
        ));
        assert!(page.contains("Try again in 4 minutes."), "{page}");
    }
}
