//! One module per page: the template struct beside its handlers.
pub mod account;
pub mod assets;
pub mod connections;
pub mod credentials;
pub mod federation;
pub mod health;
pub mod login;
pub mod logout;
pub mod recovery;
pub mod register;
pub mod setup;
pub mod verify;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::web::error::{html, PageError};
use crate::web::layout::Layout;

#[derive(Template)]
#[template(path = "notice.html")]
struct Notice<'a> {
    layout: Layout<'a>,
    title: &'a str,
    message: &'a str,
    link_href: &'a str,
    link_text: &'a str,
}

/// A page that says what happened (or why not) and where to go next: `link` is its href
/// and text.
pub fn notice(
    layout: Layout<'_>,
    status: StatusCode,
    title: &str,
    message: &str,
    link: (&str, &str),
) -> Result<HttpResponse, PageError> {
    let (link_href, link_text) = link;
    let page = Notice {
        layout,
        title,
        message,
        link_href,
        link_text,
    };
    html(status, &page)
}

/// How long a mailed link works, as a page says it: "24 hours", "30 minutes".
pub fn lifetime_in_words(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if seconds >= 3600 && seconds % 3600 == 0 {
        plural(seconds / 3600, "hour")
    } else {
        plural((seconds / 60).max(1), "minute")
    }
}

/// `path` with `return_to` in its query when there is somewhere to return to (the login
/// and registration pages link to each other without losing a pending sign-in).
pub fn with_return_to(path: &str, return_to: &str) -> String {
    if return_to.is_empty() || safe_return_to(return_to) != return_to {
        return path.to_string();
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", return_to)
        .finish();
    format!("{path}?{query}")
}

/// Where to go after login: only a path on this server. Anything else (`//evil.example`,
/// `https://…`, `/\evil`) would make the login page an open redirector.
pub fn safe_return_to(raw: &str) -> &str {
    let local = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.starts_with("/\\")
        && raw.len() <= 4096
        && !raw.chars().any(|c| c.is_control());
    if local {
        raw
    } else {
        "/account"
    }
}

#[cfg(test)]
mod tests {
    use super::{lifetime_in_words, safe_return_to, with_return_to};

    #[test]
    fn lifetimes_read_as_hours_or_minutes() {
        for (seconds, words) in [
            (86400, "24 hours"),
            (3600, "1 hour"),
            (1800, "30 minutes"),
            (5400, "90 minutes"),
            (60, "1 minute"),
            (30, "1 minute"),
        ] {
            assert_eq!(lifetime_in_words(seconds), words, "{seconds}");
        }
    }

    #[test]
    fn links_carry_only_a_local_return_to() {
        assert_eq!(with_return_to("/register", ""), "/register");
        assert_eq!(
            with_return_to("/register", "/authorize/continue?request=abc"),
            "/register?return_to=%2Fauthorize%2Fcontinue%3Frequest%3Dabc"
        );
        assert_eq!(with_return_to("/login", "//evil.example"), "/login");
    }

    #[test]
    fn return_to_stays_on_this_server() {
        assert_eq!(
            safe_return_to("/authorize?client_id=x"),
            "/authorize?client_id=x"
        );
        for bad in [
            "",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/a\nb",
            "x",
        ] {
            assert_eq!(safe_return_to(bad), "/account", "{bad:?}");
        }
    }
}
