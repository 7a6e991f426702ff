//! What Ferrid sends: one variant of `Mail` per kind of message, rendered into a
//! `MailMessage` (text and HTML bodies from the templates under templates/mail/).
use askama::Template;

use super::templates::{self as t, Brand};
use super::MailError;
use crate::config::UiSettings;
use crate::domain::{Email, MailMessage};

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
    /// Proof of the account before an upstream identity is linked to it (issue 12): the
    /// link works once, for 15 minutes, in the browser that asked for it.
    LinkProof { link: &'a str, provider: &'a str },
}

impl Mail<'_> {
    /// Renders the message for `to`, naming the service and coloured as `ui` says.
    pub fn render(&self, to: &Email, ui: &UiSettings) -> Result<MailMessage, MailError> {
        let brand = Brand::new(ui);
        let (text, html) = self.bodies(&brand)?;
        Ok(MailMessage {
            to: to.as_str().to_string(),
            subject: self.subject(&brand.product),
            text,
            html,
        })
    }

    fn subject(&self, product: &str) -> String {
        match self {
            Mail::PasswordReset { .. } => format!("Reset your {product} password"),
            Mail::PasswordChanged { .. } => format!("Your {product} password was changed"),
            Mail::VerifyEmail { .. } => format!("Confirm your email address for {product}"),
            Mail::AlreadyRegistered { .. } => format!("You already have a {product} account"),
            Mail::EmailChangeConfirm { .. } => {
                format!("Confirm your new email address for {product}")
            }
            Mail::EmailChangeNotice { .. } => {
                format!("The email address of your {product} account is changing")
            }
            Mail::SetPassword { .. } => format!("Choose your {product} password"),
            Mail::LinkProof { provider, .. } => {
                format!("Link {provider} to your {product} account")
            }
        }
    }

    /// The text and the HTML body, from the kind's two templates.
    fn bodies(&self, brand: &Brand) -> Result<(String, String), MailError> {
        let product = brand.product.as_str();
        match *self {
            Mail::PasswordReset { link } => both(
                t::PasswordResetText { product, link },
                t::PasswordResetHtml { brand, link },
            ),
            Mail::PasswordChanged { reset_link } => both(
                t::PasswordChangedText {
                    product,
                    reset_link,
                },
                t::PasswordChangedHtml { brand, reset_link },
            ),
            Mail::VerifyEmail { link } => both(
                t::VerifyEmailText { product, link },
                t::VerifyEmailHtml { brand, link },
            ),
            Mail::AlreadyRegistered {
                login_link,
                reset_link,
            } => both(
                t::AlreadyRegisteredText {
                    product,
                    login_link,
                    reset_link,
                },
                t::AlreadyRegisteredHtml {
                    brand,
                    login_link,
                    reset_link,
                },
            ),
            Mail::EmailChangeConfirm { link } => both(
                t::EmailChangeConfirmText { product, link },
                t::EmailChangeConfirmHtml { brand, link },
            ),
            Mail::EmailChangeNotice {
                new_email,
                reset_link,
            } => both(
                t::EmailChangeNoticeText {
                    product,
                    new_email,
                    reset_link,
                },
                t::EmailChangeNoticeHtml {
                    brand,
                    new_email,
                    reset_link,
                },
            ),
            Mail::SetPassword { link } => both(
                t::SetPasswordText { product, link },
                t::SetPasswordHtml { brand, link },
            ),
            Mail::LinkProof { link, provider } => both(
                t::LinkProofText {
                    product,
                    link,
                    provider,
                },
                t::LinkProofHtml {
                    brand,
                    link,
                    provider,
                },
            ),
        }
    }
}

fn both(text: impl Template, html: impl Template) -> Result<(String, String), MailError> {
    Ok((text.render()?, html.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Color;

    fn acme(accent: &str) -> UiSettings {
        UiSettings {
            product_name: "Acme ID".into(),
            accent_color: Color::parse(accent).unwrap(),
        }
    }

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
            Mail::LinkProof {
                link,
                provider: "GitHub",
            },
        ]
    }

    /// Every kind names the product (`ui.product_name`), wears its accent and carries its
    /// link in both bodies; HTML is escaped, text is not (a mail client would show `&amp;`
    /// literally).
    #[test]
    fn every_kind_renders_both_bodies_with_its_link() {
        let to = Email::parse("Ann@example.com").unwrap();
        for mail in every_kind() {
            let m = mail.render(&to, &acme("#0a5")).unwrap();
            assert_eq!(m.to, "Ann@example.com");
            assert!(m.subject.contains("Acme ID"), "{mail:?}");
            assert!(m.text.contains("Acme ID"), "{mail:?}");
            assert!(m.html.contains("Acme ID"), "{mail:?}");
            assert!(m.html.contains("background:#00aa55"), "{mail:?}");
            assert!(!m.html.contains("1f6feb"), "{mail:?}");
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

    /// The accent as configured where it reads on the white card; otherwise moved toward
    /// black just enough, with black or white button text, whichever reads better.
    #[test]
    fn the_accent_is_kept_readable_on_the_card() {
        let cases = [
            ("#b7410e", "#b7410e", "#ffffff", "#b7410e"),
            ("#ffcc00", "#b38f00", "#000000", "#8c7000"),
            ("#000080", "#000080", "#ffffff", "#000080"),
        ];
        for (accent, button, button_text, link) in cases {
            let brand = Brand::new(&acme(accent));
            let got = (
                brand.button.as_str(),
                brand.button_text.as_str(),
                brand.link.as_str(),
            );
            assert_eq!(got, (button, button_text, link), "{accent}");
        }
    }
}
