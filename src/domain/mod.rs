//! Types that are valid by construction ("parse, don't validate"): once a value of one of
//! these types exists, nothing downstream has to check it again.
mod email;
mod password;
mod role;

pub use email::Email;
pub use password::Password;
pub use role::Role;

/// Why a raw value was refused; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DomainError(pub &'static str);
