//! What Ferrid sends: one variant of `Mail` per kind of message, rendered into a
//! `MailMessage` (text and HTML bodies from the templates under templates/mail/).
use askama::Template as _;

use super::templates as t;
use super::MailError;
use crate::domain::Email;

/// A rendered message, as the queue stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The messages issue 10's account flows send. Links are absolute (see `Links`).
#[derive(Clone, Copy, Debug)]
pub enum Mail<'a> {
    /// A link that sets a new password (forgotten password).
    PasswordReset { link: &'a str },
    /// After a password change or reset: if it was not you, reset it.
    PasswordChanged { reset_link: &'a str },
    /// A link that proves the account's address is the user's.
    VerifyEmail { link: &'a str },
    /// Registration with an address that has an account: the page says the same as for a
    /// new one (no enumeration), and the owner learns here how to get in.
    AlreadyRegistered {
        login_link: &'a str,
        reset_link: &'a str,
    },
    /// To the new address of an email change: the change happens when this is opened.
    EmailChangeConfirm { link: &'a str },
    /// To the old address of an email change: if it was not you, reset your password.
    EmailChangeNotice {
        new_email: &'a str,
        reset_link: &'a str,
    },
    /// For an account an administrator created: choose your first password.
    SetPassword { link: &'a str },
}

impl Mail<'_> {
    /// Renders the message for `to`; `product` is how it names the service.
    pub fn render(&self, to: &Email, product: &str) -> Result<MailMessage, MailError> {
        let (subject, text, html) = match *self {
            Mail::PasswordReset { link } => (
                format!("Reset your {product} password"),
                t::PasswordResetText { product, link }.render()?,
                t::PasswordResetHtml { product, link }.render()?,
            ),
            Mail::PasswordChanged { reset_link } => (
                format!("Your {product} password was changed"),
                t::PasswordChangedText {
                    product,
                    reset_link,
                }
                .render()?,
                t::PasswordChangedHtml {
                    product,
                    reset_link,
                }
                .render()?,
            ),
            Mail::VerifyEmail { link } => (
                format!("Confirm your email address for {product}"),
                t::VerifyEmailText { product, link }.render()?,
                t::VerifyEmailHtml { product, link }.render()?,
            ),
            Mail::AlreadyRegistered {
                login_link,
                reset_link,
            } => (
                format!("You already have a {product} account"),
                t::AlreadyRegisteredText {
                    product,
                    login_link,
                    reset_link,
                }
                .render()?,
                t::AlreadyRegisteredHtml {
                    product,
                    login_link,
                    reset_link,
                }
                .render()?,
            ),
            Mail::EmailChangeConfirm { link } => (
                format!("Confirm your new email address for {product}"),
                t::EmailChangeConfirmText { product, link }.render()?,
                t::EmailChangeConfirmHtml { product, link }.render()?,
            ),
            Mail::EmailChangeNotice {
                new_email,
                reset_link,
            } => (
                format!("The email address of your {product} account is changing"),
                t::EmailChangeNoticeText {
                    product,
                    new_email,
                    reset_link,
                }
                .render()?,
                t::EmailChangeNoticeHtml {
                    product,
                    new_email,
                    reset_link,
                }
                .render()?,
            ),
            Mail::SetPassword { link } => (
                format!("Choose your {product} password"),
                t::SetPasswordText { product, link }.render()?,
                t::SetPasswordHtml { product, link }.render()?,
            ),
        };
        Ok(MailMessage {
            to: to.as_str().to_string(),
            subject,
            text,
            html,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind<'a>() -> Vec<Mail<'a>> {
        let link = "https://id.example.com/x?token=a&b=<c>";
        vec![
            Mail::PasswordReset { link },
            Mail::PasswordChanged { reset_link: link },
            Mail::VerifyEmail { link },
            Mail::AlreadyRegistered {
                login_link: link,
                reset_link: link,
            },
            Mail::EmailChangeConfirm { link },
            Mail::EmailChangeNotice {
                new_email: "new<b>@example.com",
                reset_link: link,
            },
            Mail::SetPassword { link },
        ]
    }

    /// Every kind names the product and carries its link in both bodies; HTML is escaped,
    /// text is not (a mail client would show `&amp;` literally).
    #[test]
    fn every_kind_renders_both_bodies_with_its_link() {
        let to = Email::parse("Ann@example.com").unwrap();
        for mail in every_kind() {
            let m = mail.render(&to, "Acme ID").unwrap();
            assert_eq!(m.to, "Ann@example.com");
            assert!(m.subject.contains("Acme ID"), "{mail:?}");
            assert!(m.text.contains("Acme ID"), "{mail:?}");
            assert!(m.html.contains("Acme ID"), "{mail:?}");
            assert!(
                m.text.contains("https://id.example.com/x?token=a&b=<c>"),
                "{mail:?}: {}",
                m.text
            );
            assert!(
                m.html
                    .contains("https://id.example.com/x?token=a&#38;b=&#60;c&#62;"),
                "{mail:?}: {}",
                m.html
            );
            assert!(
                !m.html.contains("<c>") && !m.html.contains("new<b>"),
                "{mail:?}"
            );
        }
    }
}
