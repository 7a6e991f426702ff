//! Authorization requests waiting for the user to log in or consent. The row is found by
//! the SHA-256 of a random id that travels through the login and consent pages; it is bound
//! to the browser that started it by the SHA-256 of a secret in that browser's cookie, and
//! counted per client IP so one address cannot fill the table.
use diesel::prelude::*;

use super::schema::authorization_requests;
use super::{DbConn, StoreError};
use crate::domain::{ClientId, TokenHash};

/// A pending request to store.
pub struct NewPending<'a> {
    pub client_id: &'a ClientId,
    /// The validated request, serialized by `oauth::authorize`.
    pub request: &'a str,
    pub browser_hash: &'a TokenHash,
    pub client_ip: &'a str,
}

/// A pending request as found.
pub struct PendingRequest {
    pub client_id: ClientId,
    /// The validated request as `oauth::authorize` serialized it (opaque here).
    pub request: String,
    pub browser_hash: TokenHash,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = authorization_requests)]
struct PendingRow {
    client_id: String,
    request: String,
    browser_hash: String,
}

/// How a capped insert went.
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    Yes,
    /// This client IP already has `max_per_ip` live pending requests.
    OverCap,
}

/// Stores a request unless its client IP already keeps `max_per_ip` live ones. The count
/// and the insert are not one atomic step, so concurrent requests may pass the cap by a
/// few: it bounds storage, it is not an exact quota.
pub fn insert_capped(
    conn: &mut DbConn,
    id_hash: &TokenHash,
    pending: &NewPending<'_>,
    now: i64,
    lifetime: i64,
    max_per_ip: i64,
) -> Result<Inserted, StoreError> {
    let live: i64 = authorization_requests::table
        .filter(authorization_requests::client_ip.eq(pending.client_ip))
        .filter(authorization_requests::expires_at.gt(now))
        .count()
        .get_result(conn)?;
    if live >= max_per_ip {
        return Ok(Inserted::OverCap);
    }
    diesel::insert_into(authorization_requests::table)
        .values((
            authorization_requests::id_hash.eq(id_hash.as_str()),
            authorization_requests::client_id.eq(pending.client_id.as_str()),
            authorization_requests::request.eq(pending.request),
            authorization_requests::browser_hash.eq(pending.browser_hash.as_str()),
            authorization_requests::client_ip.eq(pending.client_ip),
            authorization_requests::created_at.eq(now),
            authorization_requests::expires_at.eq(now + lifetime),
        ))
        .execute(conn)?;
    Ok(Inserted::Yes)
}

/// The live request with that id.
pub fn find(
    conn: &mut DbConn,
    id_hash: &TokenHash,
    now: i64,
) -> Result<Option<PendingRequest>, StoreError> {
    let Some(row) = authorization_requests::table
        .filter(authorization_requests::id_hash.eq(id_hash.as_str()))
        .filter(authorization_requests::expires_at.gt(now))
        .select(PendingRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    Ok(Some(PendingRequest {
        client_id: ClientId::parse(&row.client_id)
            .map_err(StoreError::corrupt("authorization_requests", "client_id"))?,
        request: row.request,
        browser_hash: TokenHash::from_stored(row.browser_hash),
    }))
}

/// Single use: returns false when another request already took it.
pub fn delete(conn: &mut DbConn, id_hash: &TokenHash) -> Result<bool, StoreError> {
    let n = diesel::delete(
        authorization_requests::table.filter(authorization_requests::id_hash.eq(id_hash.as_str())),
    )
    .execute(conn)?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SecretToken;
    use crate::oauth::registration::{register_client, NewClientRequest};

    #[test]
    fn the_cap_counts_live_requests_of_one_address() {
        let mut conn = crate::oauth::test_support::sqlite_memory();
        let request = NewClientRequest {
            name: "Capped".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            ..Default::default()
        };
        let (client, _) = register_client(&mut conn, &request, 0).unwrap();
        let browser = SecretToken::generate().hash();
        let pending = |ip| NewPending {
            client_id: &client.client_id,
            request: "{}",
            browser_hash: &browser,
            client_ip: ip,
        };
        let mut insert = |ip, now| {
            let id = SecretToken::generate().hash();
            insert_capped(&mut conn, &id, &pending(ip), now, 100, 2).unwrap()
        };
        assert_eq!(insert("192.0.2.1", 0), Inserted::Yes);
        assert_eq!(insert("192.0.2.1", 10), Inserted::Yes);
        assert_eq!(insert("192.0.2.1", 20), Inserted::OverCap);
        // Another address has its own allowance.
        assert_eq!(insert("192.0.2.2", 20), Inserted::Yes);
        // Expired requests no longer count.
        assert_eq!(insert("192.0.2.1", 100), Inserted::Yes);
    }
}
