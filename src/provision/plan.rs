//! The plan: what must change for the database to hold what the file says. A pure function
//! of the two; [`super::apply`] carries it out.
use std::fmt;

use super::file::{Desired, DesiredUser};
use super::ProvisionError;
use crate::domain::{ClientId, ClientType, Email, Role};
use crate::store::clients::Client;
use crate::store::users::User;

/// What the database holds that a file can speak about.
#[derive(Debug, Default)]
pub struct Current {
    pub clients: Vec<Client>,
    /// The users the file names that exist, and every administrator.
    pub users: Vec<User>,
}

#[derive(Debug)]
pub enum Change {
    CreateClient(Client),
    /// The client as it should be, and the fields that differ.
    UpdateClient {
        client: Client,
        fields: Vec<&'static str>,
    },
    DeleteClient {
        client_id: ClientId,
        name: String,
    },
    /// A new account; its password is read and checked against the policy when applied.
    CreateUser {
        email: Email,
        name: String,
        role: Role,
    },
    SetRole {
        email: Email,
        from: Role,
        to: Role,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::CreateClient(c) => write!(f, "create client {} ({})", c.client_id, c.name),
            Change::UpdateClient { client, fields } => write!(
                f,
                "update client {}: {}",
                client.client_id,
                fields.join(", ")
            ),
            Change::DeleteClient { client_id, name } => {
                write!(f, "delete client {client_id} ({name})")
            }
            Change::CreateUser { email, role, .. } => {
                write!(f, "create {} {}", role.as_str(), email.as_str())
            }
            Change::SetRole { email, from, to } => write!(
                f,
                "set the role of {}: {} -> {}",
                email.as_str(),
                from.as_str(),
                to.as_str()
            ),
        }
    }
}

/// The changes, in the order they are applied: clients (created, updated, then deleted with
/// `prune`), then users (created, roles set, then with `prune` administrators the file does
/// not name made plain users). Users are never deleted: they own their accounts, and the
/// file only decides who administers. Refused: a new user without a password, and a prune
/// that would leave no administrator (nobody could then reach the console).
pub fn plan(
    desired: &Desired,
    current: &Current,
    prune: bool,
) -> Result<Vec<Change>, ProvisionError> {
    let mut changes = Vec::new();
    for wanted in &desired.clients {
        let wanted = &wanted.client;
        match current
            .clients
            .iter()
            .find(|c| c.client_id == wanted.client_id)
        {
            None => changes.push(Change::CreateClient(wanted.clone())),
            Some(stored) => {
                let fields = differences(stored, wanted);
                if !fields.is_empty() {
                    let mut client = wanted.clone();
                    client.created_at = stored.created_at;
                    changes.push(Change::UpdateClient { client, fields });
                }
            }
        }
    }
    if prune {
        for stored in &current.clients {
            if !desired
                .clients
                .iter()
                .any(|d| d.client.client_id == stored.client_id)
            {
                changes.push(Change::DeleteClient {
                    client_id: stored.client_id.clone(),
                    name: stored.name.clone(),
                });
            }
        }
    }
    let mut missing_password = Vec::new();
    for wanted in &desired.users {
        match find_user(current, &wanted.email) {
            None => {
                if wanted.password.is_none() {
                    missing_password.push(wanted.email.as_str().to_string());
                }
                changes.push(Change::CreateUser {
                    email: wanted.email.clone(),
                    name: wanted.name.clone(),
                    role: wanted.role,
                });
            }
            Some(stored) if stored.role != wanted.role => changes.push(Change::SetRole {
                email: stored.email.clone(),
                from: stored.role,
                to: wanted.role,
            }),
            Some(_) => {}
        }
    }
    if !missing_password.is_empty() {
        return Err(ProvisionError::Refused(format!(
            "new users need password_env or password_file: {}",
            missing_password.join(", ")
        )));
    }
    if prune {
        for stored in current.users.iter().filter(|u| u.role == Role::Admin) {
            if !desired.users.iter().any(|d| same_user(d, stored)) {
                changes.push(Change::SetRole {
                    email: stored.email.clone(),
                    from: Role::Admin,
                    to: Role::User,
                });
            }
        }
        let admins_after = desired
            .users
            .iter()
            .filter(|u| u.role == Role::Admin)
            .count();
        if admins_after == 0 && current.users.iter().any(|u| u.role == Role::Admin) {
            return Err(ProvisionError::Refused(
                "--prune would leave no administrator: name at least one user with \
                 role = \"admin\" in the file"
                    .into(),
            ));
        }
    }
    Ok(changes)
}

fn find_user<'a>(current: &'a Current, email: &Email) -> Option<&'a User> {
    current
        .users
        .iter()
        .find(|u| u.email.normalized() == email.normalized())
}

fn same_user(desired: &DesiredUser, stored: &User) -> bool {
    desired.email.normalized() == stored.email.normalized()
}

/// The names of the fields in which `stored` differs from `wanted` (never their values: one
/// of them is a secret's hash).
pub fn differences(stored: &Client, wanted: &Client) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut check = |name, differs: bool| {
        if differs {
            fields.push(name);
        }
    };
    check("name", stored.name != wanted.name);
    check(
        "redirect_uris",
        stored.redirect_uris != wanted.redirect_uris,
    );
    check(
        "post_logout_redirect_uris",
        stored.post_logout_redirect_uris != wanted.post_logout_redirect_uris,
    );
    check("grants", stored.grant_types != wanted.grant_types);
    check("scopes", stored.scopes != wanted.scopes);
    let (type_differs, secret_differs) = match (&stored.client_type, &wanted.client_type) {
        (ClientType::Public, ClientType::Public) => (false, false),
        (
            ClientType::Confidential {
                secret_hash: a,
                auth_method: m,
            },
            ClientType::Confidential {
                secret_hash: b,
                auth_method: n,
            },
        ) => (m != n, !a.matches(b)),
        _ => (true, false),
    };
    check("client type", type_differs);
    check("secret", secret_differs);
    check("id_token_alg", stored.id_token_alg != wanted.id_token_alg);
    check("skip_consent", stored.skip_consent != wanted.skip_consent);
    check("require_pkce", stored.require_pkce != wanted.require_pkce);
    fields
}

#[cfg(test)]
mod tests;
