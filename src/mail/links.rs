//! Links in messages, built from the issuer (the one public address Ferrid knows for itself),
//! never from the request's Host header, which an attacker chooses.
use url::form_urlencoded;

#[derive(Clone, Debug)]
pub struct Links {
    issuer: String,
}

impl Links {
    /// `issuer` as in discovery: an absolute URL without a trailing slash.
    pub fn new(issuer: &str) -> Self {
        Links {
            issuer: issuer.trim_end_matches('/').to_string(),
        }
    }

    /// `path` (starting with `/`) under the issuer, with a form-encoded query.
    pub fn to(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut link = format!("{}{path}", self.issuer);
        if !query.is_empty() {
            let encoded = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish();
            link.push('?');
            link.push_str(&encoded);
        }
        link
    }

    pub fn login(&self) -> String {
        self.to("/login", &[])
    }

    pub fn forgot_password(&self) -> String {
        self.to("/forgot-password", &[])
    }

    pub fn reset_password(&self, token: &str) -> String {
        self.to("/reset-password", &[("token", token)])
    }

    pub fn verify_email(&self, token: &str) -> String {
        self.to("/verify-email", &[("token", token)])
    }

    pub fn account(&self) -> String {
        self.to("/account", &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_sit_under_the_issuer_with_an_encoded_query() {
        let links = Links::new("https://id.example.com/auth");
        assert_eq!(links.login(), "https://id.example.com/auth/login");
        assert_eq!(
            links.reset_password("a b&c=d"),
            "https://id.example.com/auth/reset-password?token=a+b%26c%3Dd"
        );
        assert_eq!(
            Links::new("http://127.0.0.1:8080/").verify_email("t0k3n"),
            "http://127.0.0.1:8080/verify-email?token=t0k3n"
        );
    }
}
