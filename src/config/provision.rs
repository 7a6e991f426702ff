//! `[provision]`: configuration as code applied at every start (see `provision/` and
//! `examples/provision.toml`).
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionSettings {
    /// A TOML file of clients and users, brought into the database before the server
    /// listens; a file that does not apply stops the start. Unset: nothing is provisioned.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Also delete clients, and demote admins, that the file does not name (as
    /// `ferrid apply --prune`).
    #[serde(default)]
    pub prune: bool,
}

impl ProvisionSettings {
    pub(super) fn problems(&self) -> Vec<String> {
        match &self.file {
            Some(path) if !path.is_file() => vec![format!(
                "provision.file: {} does not exist or is not a file",
                path.display()
            )],
            _ => Vec::new(),
        }
    }
}
