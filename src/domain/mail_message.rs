/// A rendered email (`mail::Mail::render`), as the mail queue stores it and a transport
/// sends it: a value shared by `mail/` and `store/`, so neither imports the other's types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailMessage {
    /// The recipient's address, as stored with their account.
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}
