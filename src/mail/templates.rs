//! One text and one HTML template per kind of message (templates/mail/). Text templates are
//! not escaped (askama escapes by extension: `.txt` is left alone, `.html` is escaped).
use askama::Template;

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
pub struct PasswordResetText<'a> {
    pub product: &'a str,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
pub struct PasswordResetHtml<'a> {
    pub product: &'a str,
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
    pub product: &'a str,
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
    pub product: &'a str,
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
    pub product: &'a str,
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
    pub product: &'a str,
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
    pub product: &'a str,
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
    pub product: &'a str,
    pub link: &'a str,
}
