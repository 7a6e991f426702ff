//! Outgoing mail. A message is rendered from askama templates (text and HTML), written to the
//! mail queue (`store::mail_queue`) in the transaction of what caused it, and delivered by a
//! background worker through the configured transport: lettre's SMTP transport, or lettre's
//! file transport writing one .eml per message into `mail.outbox_dir` (development). A slow
//! or unreachable SMTP server therefore never slows a request, and a failed delivery is
//! retried with backoff, its error kept in the queue and logged.
mod links;
mod message;
mod templates;
mod transport;
pub mod worker;

pub use crate::domain::MailMessage;
pub use links::Links;
pub use message::Mail;
pub use transport::{MailError, Mailer};
