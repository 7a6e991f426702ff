//! Configuration as code: a TOML file of clients and users (see `examples/provision.toml`)
//! brought into the database, at start (`provision.file`) and by `ferrid apply FILE`. It
//! creates what is missing, updates what differs, deletes (clients) or demotes (admins) what
//! the file does not name only with `prune`, and changes nothing when run twice.
//!
//! `file` reads the file into what should be (secrets from the environment or files);
//! `plan` is the pure difference from what is; `apply` writes it through the same functions
//! as the CLI (`oauth::registration`, `accounts::create_user`, `accounts::admin::set_role`) and
//! records a `provision_applied` audit event.
mod apply;
pub mod file;
pub mod plan;

pub use apply::{provision, Options, Report};
pub use file::{load, Desired};
pub use plan::{plan, Change, Current};

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The file is missing, unreadable or says something refused; the message names where.
    #[error("provisioning file {0}")]
    File(String),
    /// The file is fine, but applying it is refused (the message says why).
    #[error("provisioning refused: {0}")]
    Refused(String),
    #[error("provisioning: {0}")]
    Account(#[from] crate::accounts::AccountError),
    #[error("provisioning: {0}")]
    Store(#[from] crate::store::StoreError),
}
