//! One module per page: the template struct beside its handlers.
pub mod account;
pub mod assets;
pub mod connections;
pub mod health;
pub mod login;
pub mod logout;
pub mod register;
pub mod setup;

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
    use super::safe_return_to;

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
