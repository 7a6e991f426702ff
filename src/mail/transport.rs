//! The `Mailer`: builds a MIME message (text and HTML alternatives) from a `MailMessage` and
//! hands it to lettre's SMTP transport or lettre's file transport (the outbox). Sending
//! blocks; only the delivery worker calls it, never a request.
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{FileTransport, Message, SmtpTransport, Transport as _};

use super::MailMessage;
use crate::config::{MailSettings, MailTransport, SmtpTls};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail settings: {0}")]
    Settings(String),
    /// The message itself cannot be sent (a recipient lettre cannot address): retrying will
    /// not help.
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("outbox: {0}")]
    Outbox(String),
    #[error("cannot render the message: {0}")]
    Render(#[from] askama::Error),
}

impl MailError {
    /// Worth trying again later? Everything the network or the server says is (a server
    /// that refuses today may be fixed tomorrow); a message that cannot be built is not.
    pub fn is_permanent(&self) -> bool {
        matches!(self, MailError::Build(_) | MailError::Render(_))
    }
}

#[derive(Clone)]
enum Transport {
    Smtp(Box<SmtpTransport>),
    Outbox { dir: PathBuf, files: FileTransport },
}

/// Sends mail through the configured transport. Cheap to clone; shareable across threads.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
    timeout: Duration,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Outbox { .. } => "outbox",
        };
        write!(f, "Mailer({kind}, from {})", self.from)
    }
}

impl Mailer {
    /// The mailer the settings describe (`production` only decides which warnings to log).
    /// The SMTP password is read here, from the environment or `mail.smtp_password_file`.
    pub fn from_settings(settings: &MailSettings, production: bool) -> Result<Mailer, MailError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| MailError::Settings(format!("mail.from: {e}")))?;
        let timeout = Duration::from_secs(settings.timeout.get());
        let transport = match settings.transport {
            MailTransport::Outbox => {
                if production {
                    log::warn!(
                        "mail.transport is \"outbox\" in production: messages are written to {} and nobody receives them",
                        settings.outbox_dir.display()
                    );
                }
                let dir = settings.outbox_dir.clone();
                create_dir(&dir)?;
                let files = FileTransport::new(&dir);
                Transport::Outbox { dir, files }
            }
            MailTransport::Smtp => Transport::Smtp(Box::new(smtp(settings, timeout, production)?)),
        };
        Ok(Mailer {
            from,
            transport,
            timeout,
        })
    }

    /// How long one delivery may take before another worker may try the same message: an
    /// SMTP conversation is a handful of steps, each bounded by `mail.timeout`.
    pub fn lease_per_message(&self) -> i64 {
        match self.transport {
            Transport::Smtp(_) => 8 * self.timeout.as_secs() as i64 + 5,
            Transport::Outbox { .. } => 30,
        }
    }

    /// Sends one message now (blocking).
    pub fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let email = self.build(message)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(&email)?;
            }
            Transport::Outbox { dir, files } => {
                // The directory may have been cleaned out while we ran.
                create_dir(dir)?;
                files
                    .send(&email)
                    .map_err(|e| MailError::Outbox(e.to_string()))?;
            }
        }
        Ok(())
    }

    fn build(&self, message: &MailMessage) -> Result<Message, MailError> {
        let to: Mailbox = message
            .to
            .parse()
            .map_err(|e| MailError::Build(format!("recipient: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&message.subject)
            .message_id(None)
            .multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                message.html.clone(),
            ))
            .map_err(|e| MailError::Build(e.to_string()))
    }
}

fn create_dir(dir: &PathBuf) -> Result<(), MailError> {
    std::fs::create_dir_all(dir).map_err(|e| MailError::Outbox(format!("{}: {e}", dir.display())))
}

fn smtp(
    settings: &MailSettings,
    timeout: Duration,
    production: bool,
) -> Result<SmtpTransport, MailError> {
    let host = settings
        .smtp_host
        .as_deref()
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| {
            MailError::Settings("mail.smtp_host: the smtp transport needs a host".into())
        })?;
    let tls = match settings.smtp_tls {
        SmtpTls::Starttls => Tls::Required(TlsParameters::new(host.into())?),
        SmtpTls::Tls => Tls::Wrapper(TlsParameters::new(host.into())?),
        SmtpTls::None => {
            if production {
                log::warn!(
                    "mail.smtp_tls is \"none\": messages, reset links included, go to {host} unencrypted"
                );
            }
            Tls::None
        }
    };
    let mut builder = SmtpTransport::builder_dangerous(host)
        .port(settings.smtp_port())
        .tls(tls)
        .timeout(Some(timeout));
    if let Some(user) = &settings.smtp_user {
        builder = builder.credentials(Credentials::new(user.clone(), smtp_password(settings)?));
    }
    Ok(builder.build())
}

/// From FERRID__MAIL__SMTP_PASSWORD, or the first line of `mail.smtp_password_file`.
fn smtp_password(settings: &MailSettings) -> Result<String, MailError> {
    if let Some(secret) = &settings.smtp_password {
        return Ok(secret.expose().to_string());
    }
    let Some(path) = &settings.smtp_password_file else {
        return Err(MailError::Settings(
            "mail.smtp_password: an SMTP user needs a password (FERRID__MAIL__SMTP_PASSWORD or mail.smtp_password_file)".into(),
        ));
    };
    let content = std::fs::read_to_string(path).map_err(|e| {
        MailError::Settings(format!("mail.smtp_password_file: {}: {e}", path.display()))
    })?;
    Ok(content.trim_end_matches(['\r', '\n']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Secret, Settings};

    fn message() -> MailMessage {
        MailMessage {
            to: "Ann@example.com".into(),
            subject: "Reset your Ferrid password".into(),
            text: "Plain body with a link https://id.example.com/r?token=abc".into(),
            html: "<p>HTML body</p>".into(),
        }
    }

    /// The outbox is lettre's file transport: one .eml per message, both alternatives.
    #[test]
    fn the_outbox_writes_one_eml_file_with_text_and_html() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::defaults().mail;
        settings.outbox_dir = dir.path().join("outbox");
        let mailer = Mailer::from_settings(&settings, false).unwrap();
        mailer.send(&message()).unwrap();
        let files: Vec<_> = std::fs::read_dir(&settings.outbox_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().unwrap(), "eml");
        let eml = std::fs::read_to_string(&files[0]).unwrap();
        for part in [
            "To: Ann@example.com",
            "From: Ferrid <no-reply@localhost>",
            "Subject: Reset your Ferrid password",
            "multipart/alternative",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Type: text/html; charset=utf-8",
            "<p>HTML body</p>",
            "Message-ID: <",
        ] {
            assert!(eml.contains(part), "{part} missing from:\n{eml}");
        }
    }

    #[test]
    fn every_smtp_tls_mode_builds_without_connecting() {
        for (tls, password_file) in [
            (SmtpTls::Starttls, false),
            (SmtpTls::Tls, true),
            (SmtpTls::None, false),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let mut settings = Settings::defaults().mail;
            settings.transport = MailTransport::Smtp;
            settings.smtp_host = Some("smtp.example.com".into());
            settings.smtp_tls = tls;
            settings.smtp_user = Some("ferrid".into());
            if password_file {
                let file = dir.path().join("smtp_password");
                std::fs::write(&file, "from-a-file\n").unwrap();
                settings.smtp_password_file = Some(file);
                assert_eq!(smtp_password(&settings).unwrap(), "from-a-file");
            } else {
                settings.smtp_password = Some(Secret::new("from-the-env"));
            }
            let mailer = Mailer::from_settings(&settings, false).unwrap();
            assert!(format!("{mailer:?}").contains("smtp"));
            assert!(mailer.lease_per_message() > 8 * settings.timeout.get() as i64);
        }
    }

    #[test]
    fn an_unaddressable_recipient_is_a_permanent_failure() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::defaults().mail;
        settings.outbox_dir = dir.path().to_path_buf();
        let mailer = Mailer::from_settings(&settings, false).unwrap();
        let bad = MailMessage {
            to: "not an address".into(),
            ..message()
        };
        let err = mailer.send(&bad).unwrap_err();
        assert!(err.is_permanent(), "{err}");
    }
}
