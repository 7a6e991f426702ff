//! `[mail]`: how messages leave (a file outbox for development, SMTP for real), who they are
//! from, and how often the delivery worker looks for due messages.
use std::num::NonZeroU64;
use std::path::PathBuf;

use serde::Deserialize;

use super::{values, Secret};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    /// Where the outbox transport writes one .eml file per message.
    pub outbox_dir: PathBuf,
    /// The From header, e.g. `Ferrid <no-reply@id.example.com>`.
    pub from: String,
    #[serde(default)]
    pub smtp_host: Option<String>,
    /// Unset: 587 for STARTTLS, 465 for implicit TLS, 25 without TLS.
    #[serde(default)]
    pub smtp_port: Option<u16>,
    pub smtp_tls: SmtpTls,
    #[serde(default)]
    pub smtp_user: Option<String>,
    /// From FERRID__MAIL__SMTP_PASSWORD, or read from `smtp_password_file`.
    #[serde(default)]
    pub smtp_password: Option<Secret>,
    #[serde(default)]
    pub smtp_password_file: Option<PathBuf>,
    /// Seconds for each network step of an SMTP conversation.
    #[serde(deserialize_with = "values::at_least_one")]
    pub timeout: NonZeroU64,
    /// Seconds between two looks for due messages.
    #[serde(deserialize_with = "values::at_least_one")]
    pub poll_interval: NonZeroU64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    Outbox,
    Smtp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which is required (RFC 3207).
    Starttls,
    /// TLS from the first byte (RFC 8314 "implicit TLS", port 465).
    Tls,
    /// No encryption: for a relay on the same host, or tests.
    None,
}

impl MailSettings {
    pub fn smtp_port(&self) -> u16 {
        self.smtp_port.unwrap_or(match self.smtp_tls {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        })
    }

    /// Is the SMTP server on this host (where an unencrypted hop never crosses a network)?
    pub fn smtp_host_is_local(&self) -> bool {
        self.smtp_host.as_deref().is_some_and(|h| {
            h == "localhost"
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        })
    }

    /// Every problem with the mail settings, each naming its key.
    pub(super) fn problems(&self, production: bool) -> Vec<String> {
        let mut problems = Vec::new();
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            problems.push(format!(
                "mail.from: '{}' is not an address like \"Ferrid <no-reply@example.com>\"",
                self.from
            ));
        }
        if self.smtp_password.is_some() && self.smtp_password_file.is_some() {
            problems.push(
                "mail.smtp_password_file: give the SMTP password one way, not both this and FERRID__MAIL__SMTP_PASSWORD"
                    .into(),
            );
        }
        let has_password = self.smtp_password.is_some() || self.smtp_password_file.is_some();
        if has_password && self.smtp_user.is_none() {
            problems.push("mail.smtp_user: an SMTP password needs a user".into());
        }
        if self.transport == MailTransport::Smtp {
            problems.extend(self.smtp_problems(production, has_password));
        }
        problems
    }

    /// The smtp transport's own rules.
    fn smtp_problems(&self, production: bool, has_password: bool) -> Vec<String> {
        let mut problems = Vec::new();
        if self
            .smtp_host
            .as_deref()
            .is_none_or(|h| h.trim().is_empty())
        {
            problems.push("mail.smtp_host: the smtp transport needs a host".into());
        }
        if self.smtp_user.is_some() && !has_password {
            problems.push(
                "mail.smtp_password: an SMTP user needs a password (FERRID__MAIL__SMTP_PASSWORD or mail.smtp_password_file)"
                    .into(),
            );
        }
        // Reset links and verification codes in clear text over a network are as good as
        // published; a relay on the same host is the one place it is harmless.
        if production && self.smtp_tls == SmtpTls::None && !self.smtp_host_is_local() {
            problems.push(
                "mail.smtp_tls: \"none\" sends reset links unencrypted; in production it is allowed only for a relay on this host (localhost)"
                    .into(),
            );
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let vars = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load(None, vars).map_err(|e| e.to_string())
    }

    #[test]
    fn the_default_is_the_outbox() {
        let s = Settings::defaults();
        assert_eq!(s.mail.transport, super::MailTransport::Outbox);
        assert!(s.mail.outbox_dir.ends_with("outbox"));
        assert!(s.mail.from.parse::<lettre::message::Mailbox>().is_ok());
    }

    #[test]
    fn smtp_comes_from_the_environment() {
        let s = load(&[
            ("FERRID__MAIL__TRANSPORT", "smtp"),
            ("FERRID__MAIL__SMTP_HOST", "smtp.example.com"),
            ("FERRID__MAIL__SMTP_TLS", "tls"),
            ("FERRID__MAIL__SMTP_USER", "ferrid"),
            ("FERRID__MAIL__SMTP_PASSWORD", "hunter2-smtp"),
        ])
        .unwrap();
        assert_eq!(s.mail.transport, super::MailTransport::Smtp);
        assert_eq!(s.mail.smtp_port(), 465);
        assert_eq!(s.mail.smtp_password.unwrap().expose(), "hunter2-smtp");
        let s = load(&[("FERRID__MAIL__SMTP_PORT", "2525")]).unwrap();
        assert_eq!(s.mail.smtp_port(), 2525);
    }

    /// Each case: the variables, and the key the error must name.
    #[test]
    fn bad_mail_settings_are_named() {
        for (vars, key) in [
            (vec![("FERRID__MAIL__TRANSPORT", "smtp")], "mail.smtp_host"),
            (vec![("FERRID__MAIL__TRANSPORT", "pigeon")], "mail"),
            (vec![("FERRID__MAIL__SMTP_TLS", "ssl")], "mail"),
            (vec![("FERRID__MAIL__FROM", "not an address")], "mail.from"),
            (vec![("FERRID__MAIL__TIMEOUT", "0")], "mail.timeout"),
            (
                vec![("FERRID__MAIL__SMTP_PASSWORD", "pw-without-user")],
                "mail.smtp_user",
            ),
            (
                vec![
                    ("FERRID__MAIL__TRANSPORT", "smtp"),
                    ("FERRID__MAIL__SMTP_HOST", "smtp.example.com"),
                    ("FERRID__MAIL__SMTP_USER", "ferrid"),
                ],
                "mail.smtp_password",
            ),
            (
                vec![
                    ("FERRID__MAIL__SMTP_USER", "ferrid"),
                    ("FERRID__MAIL__SMTP_PASSWORD", "a"),
                    ("FERRID__MAIL__SMTP_PASSWORD_FILE", "/run/secrets/smtp"),
                ],
                "mail.smtp_password_file",
            ),
        ] {
            let err = load(&vars).unwrap_err();
            assert!(err.contains(key), "{vars:?}: {err}");
        }
    }

    #[test]
    fn unencrypted_smtp_in_production_only_to_this_host() {
        let base = [
            ("FERRID__SERVER__ISSUER", "https://id.example.com"),
            ("FERRID__SECRETS__MASTER_KEY", "AAAA"),
            ("FERRID__MAIL__TRANSPORT", "smtp"),
            ("FERRID__MAIL__SMTP_TLS", "none"),
        ];
        let remote = [
            &base[..],
            &[("FERRID__MAIL__SMTP_HOST", "smtp.example.com")],
        ]
        .concat();
        assert!(load(&remote).unwrap_err().contains("mail.smtp_tls"));
        let local = [&base[..], &[("FERRID__MAIL__SMTP_HOST", "127.0.0.1")]].concat();
        assert!(load(&local).is_ok());
        // Outside production, anything goes (tests use a plain local stand-in).
        assert!(load(&[
            ("FERRID__MAIL__TRANSPORT", "smtp"),
            ("FERRID__MAIL__SMTP_TLS", "none"),
            ("FERRID__MAIL__SMTP_HOST", "mail.internal"),
        ])
        .is_ok());
    }
}
