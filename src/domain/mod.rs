//! Types that are valid by construction ("parse, don't validate"): once a value of one of
//! these types exists, nothing downstream has to check it again. Plus the few plain values
//! two layers share (`MailMessage`, between `mail/` and `store/`). Imports nothing else of
//! the crate.
pub mod claims;
mod client_auth_method;
mod client_id;
mod client_type;
mod code_challenge;
pub mod color;
mod email;
mod grant_type;
mod key_state;
mod mail_message;
mod origin;
pub mod password;
pub mod profile;
mod redirect_uri;
mod role;
mod scope;
mod signing_alg;
mod token;
pub mod utc;

pub use claims::ClaimsRequest;
pub use client_auth_method::ClientAuthMethod;
pub use client_id::ClientId;
pub use client_type::ClientType;
pub use code_challenge::CodeChallenge;
pub use color::Color;
pub use email::Email;
pub use grant_type::GrantType;
pub use key_state::KeyState;
pub use mail_message::MailMessage;
pub use origin::Origin;
pub use password::{Password, PasswordContext, PasswordError, PasswordPolicy};
pub use profile::{
    AddressParts, LineField, PhoneNumber, PostalAddress, ProfileLine, StreetAddress,
};
pub use redirect_uri::{RedirectUri, RedirectUriError};
pub use role::Role;
pub use scope::ScopeSet;
pub use signing_alg::SigningAlg;
pub use token::{constant_time_eq, random_id, SecretToken, TokenHash};

/// Why a raw value was refused; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DomainError(pub &'static str);

#[cfg(test)]
pub(crate) mod proptests;
