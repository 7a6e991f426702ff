//! One text and one HTML template per kind of message (templates/mail/). Text templates are
//! not escaped (askama escapes by extension: `.txt` is left alone, `.html` is escaped).
use askama::Template;

use crate::config::UiSettings;
use crate::domain::color::{Color, NON_TEXT_CONTRAST, TEXT_CONTRAST};

/// How HTML messages look: the product's name (`ui.product_name`) and its accent
/// (`ui.accent_color`) on the message's white card, made readable there whatever the
/// configured colour: a button fill that stands out from white (WCAG 1.4.11, 3:1), black or
/// white text on it, and a link colour of the accent's hue that reads as text (4.5:1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Brand {
    pub product: String,
    pub button: String,
    pub button_text: String,
    pub link: String,
}

impl Brand {
    pub fn new(ui: &UiSettings) -> Brand {
        let card = Color::WHITE;
        let button = ui.accent_color.with_contrast(card, NON_TEXT_CONTRAST);
        Brand {
            product: ui.product_name.clone(),
            button: button.to_string(),
            button_text: button.text_on().to_string(),
            link: ui
                .accent_color
                .with_contrast(card, TEXT_CONTRAST)
                .to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
pub struct PasswordResetText<'a> {
    pub product: &'a str,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
pub struct PasswordResetHtml<'a> {
    pub brand: &'a Brand,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_changed.txt")]
pub struct PasswordChangedText<'a> {
    pub product: &'a str,
    pub reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_changed.html")]
pub struct PasswordChangedHtml<'a> {
    pub brand: &'a Brand,
    pub reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/verify_email.txt")]
pub struct VerifyEmailText<'a> {
    pub product: &'a str,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/verify_email.html")]
pub struct VerifyEmailHtml<'a> {
    pub brand: &'a Brand,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/already_registered.txt")]
pub struct AlreadyRegisteredText<'a> {
    pub product: &'a str,
    pub login_link: &'a str,
    pub reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/already_registered.html")]
pub struct AlreadyRegisteredHtml<'a> {
    pub brand: &'a Brand,
    pub login_link: &'a str,
    pub reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/email_change_confirm.txt")]
pub struct EmailChangeConfirmText<'a> {
    pub product: &'a str,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/email_change_confirm.html")]
pub struct EmailChangeConfirmHtml<'a> {
    pub brand: &'a Brand,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/email_change_notice.txt")]
pub struct EmailChangeNoticeText<'a> {
    pub product: &'a str,
    pub new_email: &'a str,
    pub reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/email_change_notice.html")]
pub struct EmailChangeNoticeHtml<'a> {
    pub brand: &'a Brand,
    pub new_email: &'a str,
    pub reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/set_password.txt")]
pub struct SetPasswordText<'a> {
    pub product: &'a str,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/set_password.html")]
pub struct SetPasswordHtml<'a> {
    pub brand: &'a Brand,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/link_proof.txt")]
pub struct LinkProofText<'a> {
    pub product: &'a str,
    pub link: &'a str,
    pub provider: &'a str,
}

#[derive(Template)]
#[template(path = "mail/link_proof.html")]
pub struct LinkProofHtml<'a> {
    pub brand: &'a Brand,
    pub link: &'a str,
    pub provider: &'a str,
}
