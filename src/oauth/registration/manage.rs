//! Changing registered clients: what the console's application pages and `ferrid client
//! show|update|rotate-secret|delete` do, one implementation each. Every change is checked by
//! the same rules as a registration ([`build_client`]), runs in one transaction and is
//! audited (client_created, client_updated, client_secret_rotated, client_deleted) with who
//! did it; a secret is never in an event.
use super::{build_client, NewClientRequest, RegistrationError};
use crate::domain::{ClientId, ClientType, SecretToken};
use crate::store::audit::{self, Actor, EventKind};
use crate::store::clients::{self, Client};
use crate::store::{write_transaction, DbConn};

/// The client named by a typed client_id (a malformed one is not found either).
pub fn find_client(conn: &mut DbConn, raw_client_id: &str) -> Result<Client, RegistrationError> {
    let client_id =
        ClientId::parse(raw_client_id.trim()).map_err(|_| RegistrationError::NotFound)?;
    clients::find(conn, &client_id)?.ok_or(RegistrationError::NotFound)
}

/// The request that would register `client` as it is now: the starting point of an edit
/// (the console's form, the CLI's `update` with only some options given).
pub fn as_request(client: &Client) -> NewClientRequest {
    let uris =
        |list: &[crate::domain::RedirectUri]| list.iter().map(|u| u.as_str().to_string()).collect();
    NewClientRequest {
        name: client.name.clone(),
        redirect_uris: uris(&client.redirect_uris),
        public: client.client_type.is_public(),
        grants: client
            .grant_types
            .iter()
            .map(|g| g.as_str().to_string())
            .collect(),
        scopes: client.scopes.iter().map(str::to_string).collect(),
        post_logout_redirect_uris: uris(&client.post_logout_redirect_uris),
        auth_method: Some(client.client_type.token_endpoint_auth_method().to_string()),
        id_token_alg: Some(client.id_token_alg.as_str().to_string()),
        skip_consent: client.skip_consent,
        // Public clients always require PKCE; the stored flag says what was asked.
        require_pkce: client.require_pkce,
    }
}

/// Registers a client (checked as [`build_client`] does) and audits client_created. The
/// secret, for a confidential client, is returned once.
pub fn create_client(
    conn: &mut DbConn,
    request: &NewClientRequest,
    actor: Actor<'_>,
    now: i64,
) -> Result<(Client, Option<SecretToken>), RegistrationError> {
    let (client, secret) = build_client(request, now)?;
    store_new_client(conn, &client, actor, now)?;
    Ok((client, secret))
}

/// Inserts a client built by [`build_client`] and audits client_created.
pub fn store_new_client(
    conn: &mut DbConn,
    client: &Client,
    actor: Actor<'_>,
    now: i64,
) -> Result<(), RegistrationError> {
    write_transaction(conn, |conn| {
        clients::insert(conn, client)?;
        let kind = if client.client_type.is_public() {
            "public"
        } else {
            "confidential"
        };
        let detail = format!("{kind} client {:?}", client.name);
        let event = actor
            .event(EventKind::ClientCreated)
            .client(client.client_id.as_str())
            .detail(&detail);
        audit::record(conn, &event, now)?;
        Ok(())
    })
}

/// Applies an edit: every field of `request` replaces the stored one, except that the
/// client type (public or confidential) stays, and so does a confidential client's secret.
/// Audits client_updated, naming the fields that changed.
pub fn update_client(
    conn: &mut DbConn,
    client_id: &ClientId,
    request: &NewClientRequest,
    actor: Actor<'_>,
    now: i64,
) -> Result<Client, RegistrationError> {
    write_transaction(conn, |conn| {
        let existing = clients::find(conn, client_id)?.ok_or(RegistrationError::NotFound)?;
        let updated = edited(&existing, request, now)?;
        let changed = changed_fields(&as_request(&existing), &as_request(&updated));
        if changed.is_empty() {
            return Ok(existing);
        }
        if !clients::update(conn, &updated, now)? {
            return Err(RegistrationError::NotFound);
        }
        let detail = changed.join(", ");
        let event = actor
            .event(EventKind::ClientUpdated)
            .client(client_id.as_str())
            .detail(&detail);
        audit::record(conn, &event, now)?;
        Ok(updated)
    })
}

/// `existing` with the edit applied, checked by the registration rules.
fn edited(
    existing: &Client,
    request: &NewClientRequest,
    now: i64,
) -> Result<Client, RegistrationError> {
    let request = NewClientRequest {
        public: existing.client_type.is_public(),
        auth_method: match &existing.client_type {
            ClientType::Public => None,
            ClientType::Confidential { .. } => request.auth_method.clone(),
        },
        ..request.clone()
    };
    // The secret build_client makes for a confidential request is dropped unused: the
    // client keeps its own (rotating it is a separate, audited action).
    let (built, _) = build_client(&request, now)?;
    let client_type = match (&existing.client_type, built.client_type) {
        (
            ClientType::Confidential { secret_hash, .. },
            ClientType::Confidential { auth_method, .. },
        ) => ClientType::Confidential {
            secret_hash: secret_hash.clone(),
            auth_method,
        },
        (existing_type, _) => existing_type.clone(),
    };
    Ok(Client {
        client_id: existing.client_id.clone(),
        client_type,
        created_at: existing.created_at,
        ..built
    })
}

/// The names (as the CLI's options and the console's fields call them) of what differs.
fn changed_fields(old: &NewClientRequest, new: &NewClientRequest) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut check = |name, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    check("name", old.name != new.name);
    check("redirect_uris", old.redirect_uris != new.redirect_uris);
    check(
        "post_logout_redirect_uris",
        old.post_logout_redirect_uris != new.post_logout_redirect_uris,
    );
    check("grant_types", old.grants != new.grants);
    check("scopes", old.scopes != new.scopes);
    check("auth_method", old.auth_method != new.auth_method);
    check("id_token_alg", old.id_token_alg != new.id_token_alg);
    check("skip_consent", old.skip_consent != new.skip_consent);
    check("require_pkce", old.require_pkce != new.require_pkce);
    changed
}

/// Gives a confidential client a new secret (returned once); the old one stops working at
/// once. Audits client_secret_rotated.
pub fn rotate_secret(
    conn: &mut DbConn,
    client_id: &ClientId,
    actor: Actor<'_>,
    now: i64,
) -> Result<(Client, SecretToken), RegistrationError> {
    write_transaction(conn, |conn| {
        let client = clients::find(conn, client_id)?.ok_or(RegistrationError::NotFound)?;
        if client.client_type.is_public() {
            return Err(RegistrationError::Invalid(
                "a public client has no secret to rotate".into(),
            ));
        }
        let secret = SecretToken::generate();
        if !clients::set_secret_hash(conn, client_id, &secret.hash(), now)? {
            return Err(RegistrationError::NotFound);
        }
        let event = actor
            .event(EventKind::ClientSecretRotated)
            .client(client_id.as_str());
        audit::record(conn, &event, now)?;
        Ok((client, secret))
    })
}

/// Deletes a client and everything it was granted (consents, codes, grants, refresh
/// tokens). Audits client_deleted with its name.
pub fn delete_client(
    conn: &mut DbConn,
    client_id: &ClientId,
    actor: Actor<'_>,
    now: i64,
) -> Result<Client, RegistrationError> {
    write_transaction(conn, |conn| {
        let client = clients::find(conn, client_id)?.ok_or(RegistrationError::NotFound)?;
        if !clients::delete(conn, client_id)? {
            return Err(RegistrationError::NotFound);
        }
        let detail = format!("{:?}", client.name);
        let event = actor
            .event(EventKind::ClientDeleted)
            .client(client_id.as_str())
            .detail(&detail);
        audit::record(conn, &event, now)?;
        Ok(client)
    })
}
