//! The applications a user has let in, and taking that back: withdrawing consent revokes
//! every grant the user gave the client, so its refresh and access tokens stop working at
//! once (RFC 9700 §4.14: refresh ends when consent is withdrawn).
use super::AccountError;
use crate::domain::{ClientId, ScopeSet};
use crate::store::audit::{self, Event, EventKind};
use crate::store::{clients, codes, consents, grants, write_transaction, DbConn, StoreError};

/// One connected application, for the account page.
#[derive(Clone, Debug)]
pub struct Connection {
    pub client_id: ClientId,
    pub client_name: String,
    /// What the user consented to.
    pub scope: ScopeSet,
}

/// The applications the user consented to, the most recent first.
pub fn list_connections(conn: &mut DbConn, user_id: &str) -> Result<Vec<Connection>, AccountError> {
    let mut out = Vec::new();
    for (client_id, scope) in consents::consents_of(conn, user_id)? {
        // The consent row of a client deleted since is shown no more.
        let Some(client) = clients::find(conn, &client_id)? else {
            continue;
        };
        out.push(Connection {
            client_id,
            client_name: client.name,
            scope,
        });
    }
    Ok(out)
}

/// Withdraws consent and revokes the client's grants for this user. Unknown ids do nothing.
pub fn withdraw_consent(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let Ok(client_id) = ClientId::parse(client_id) else {
        return Ok(());
    };
    // One transaction, codes first: a code exchange racing with this either redeemed its
    // code before (and its grant is revoked below) or finds the code gone.
    write_transaction::<_, StoreError>(conn, |conn| {
        let codes = codes::delete_unredeemed_codes(conn, user_id, Some(&client_id))?;
        consents::withdraw_consent(conn, user_id, &client_id)?;
        let revoked = grants::revoke_grants_of(conn, user_id, &client_id, now)?;
        let detail = format!(
            "client {client_id}: consent withdrawn, {revoked} grant(s) revoked, {codes} unredeemed code(s) deleted"
        );
        audit::record(
            conn,
            &Event::new(EventKind::ConsentWithdrawn)
                .user(user_id)
                .ip(ip)
                .detail(&detail),
            now,
        )
    })?;
    Ok(())
}
