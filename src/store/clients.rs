//! The client registry (oxide-auth's "Registrar"): clients are found by `client_id`; a
//! confidential client's secret is stored only as its SHA-256 hash and compared by the caller
//! in constant time (`TokenHash::matches`), never looked up by it.
use diesel::prelude::*;

use super::schema::clients;
use super::{DbConn, StoreError};
use crate::domain::{
    ClientAuthMethod, ClientId, ClientType, GrantType, RedirectUri, ScopeSet, SigningAlg, TokenHash,
};

/// A registered client as the rest of Ferrid sees it.
#[derive(Clone, Debug)]
pub struct Client {
    pub client_id: ClientId,
    pub name: String,
    pub redirect_uris: Vec<RedirectUri>,
    /// OpenID Connect RP-Initiated Logout 1.0 §3: where `/logout` may send the user.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    /// The scopes this client may be granted; requests are narrowed to them.
    pub scopes: ScopeSet,
    /// Public, or confidential with its secret's hash and auth method (RFC 6749 §2.1).
    pub client_type: ClientType,
    pub id_token_alg: SigningAlg,
    /// First-party apps: the consent page is not shown.
    pub skip_consent: bool,
    /// Registered to require PKCE although confidential (RFC 9700 §2.1.1 recommends it for
    /// every client). See [`Client::requires_pkce`].
    pub require_pkce: bool,
    pub created_at: i64,
}

impl Client {
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// PKCE (S256) is required of public clients always, and of confidential clients
    /// registered with `require_pkce`.
    pub fn requires_pkce(&self) -> bool {
        self.client_type.is_public() || self.require_pkce
    }

    /// Exact string match against the registered redirect URIs (RFC 6749 §3.1.2.3).
    pub fn redirect_uri(&self, presented: &str) -> Option<&RedirectUri> {
        self.redirect_uris.iter().find(|uri| uri.matches(presented))
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = clients)]
struct ClientRow {
    client_id: String,
    secret_hash: Option<String>,
    name: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    grant_types: String,
    scopes: String,
    public: bool,
    token_endpoint_auth_method: String,
    id_token_signed_response_alg: String,
    skip_consent: bool,
    require_pkce: bool,
    created_at: i64,
}

fn corrupt(column: &'static str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt("clients", column)(detail)
}

fn json_list(column: &'static str, raw: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(raw).map_err(|e| corrupt(column, e))
}

/// The three columns the CHECK constraint ties together, as one value; a row that breaks
/// the pairing (a secret without a method, a public client with one) is reported.
fn client_type(
    public: bool,
    method: &str,
    secret_hash: Option<String>,
) -> Result<ClientType, StoreError> {
    match (public, method, secret_hash) {
        (true, "none", None) => Ok(ClientType::Public),
        (false, method, Some(hash)) => Ok(ClientType::Confidential {
            auth_method: ClientAuthMethod::parse(method)
                .map_err(|e| corrupt("token_endpoint_auth_method", e))?,
            secret_hash: TokenHash::from_stored(hash),
        }),
        (public, method, hash) => Err(corrupt(
            "public",
            format_args!(
                "public={public}, token_endpoint_auth_method={method:?} and a {} secret hash \
                 do not make a client type (RFC 6749 §2.1)",
                if hash.is_some() { "stored" } else { "missing" }
            ),
        )),
    }
}

fn to_json<'a>(items: impl Iterator<Item = &'a str>) -> String {
    serde_json::to_string(&items.collect::<Vec<_>>()).expect("a list of strings serializes")
}

impl ClientRow {
    fn into_client(self) -> Result<Client, StoreError> {
        let uris = |column: &'static str, raw: &str| -> Result<Vec<RedirectUri>, StoreError> {
            json_list(column, raw)?
                .iter()
                .map(|u| RedirectUri::parse(u).map_err(|e| corrupt(column, e)))
                .collect()
        };
        let grant_types = json_list("grant_types", &self.grant_types)?
            .iter()
            .map(|g| GrantType::parse(g).map_err(|e| corrupt("grant_types", e)))
            .collect::<Result<_, _>>()?;
        let scope_list = json_list("scopes", &self.scopes)?;
        Ok(Client {
            client_id: ClientId::parse(&self.client_id).map_err(|e| corrupt("client_id", e))?,
            redirect_uris: uris("redirect_uris", &self.redirect_uris)?,
            post_logout_redirect_uris: uris(
                "post_logout_redirect_uris",
                &self.post_logout_redirect_uris,
            )?,
            grant_types,
            scopes: ScopeSet::parse_all(scope_list.iter().map(String::as_str))
                .map_err(|e| corrupt("scopes", e))?,
            client_type: client_type(
                self.public,
                &self.token_endpoint_auth_method,
                self.secret_hash,
            )?,
            id_token_alg: self
                .id_token_signed_response_alg
                .parse()
                .map_err(|e| corrupt("id_token_signed_response_alg", e))?,
            skip_consent: self.skip_consent,
            require_pkce: self.require_pkce,
            name: self.name,
            created_at: self.created_at,
        })
    }
}

/// Inserts a client (`client.created_at` is its creation and update time). A client_id
/// already taken is `StoreError::Duplicate`.
pub fn insert(conn: &mut DbConn, client: &Client) -> Result<(), StoreError> {
    diesel::insert_into(clients::table)
        .values((
            clients::client_id.eq(client.client_id.as_str()),
            clients::secret_hash.eq(client.client_type.secret_hash().map(TokenHash::as_str)),
            clients::name.eq(&client.name),
            clients::redirect_uris.eq(to_json(client.redirect_uris.iter().map(|u| u.as_str()))),
            clients::post_logout_redirect_uris.eq(to_json(
                client.post_logout_redirect_uris.iter().map(|u| u.as_str()),
            )),
            clients::grant_types.eq(to_json(client.grant_types.iter().map(|g| g.as_str()))),
            clients::scopes.eq(to_json(client.scopes.iter())),
            clients::public.eq(client.client_type.is_public()),
            clients::token_endpoint_auth_method.eq(client.client_type.token_endpoint_auth_method()),
            clients::id_token_signed_response_alg.eq(client.id_token_alg.as_str()),
            clients::skip_consent.eq(client.skip_consent),
            clients::require_pkce.eq(client.require_pkce),
            clients::created_at.eq(client.created_at),
            clients::updated_at.eq(client.created_at),
        ))
        .execute(conn)
        .map_err(StoreError::from_insert)?;
    Ok(())
}

/// Replaces everything about the client but its client_id and creation time, its type and
/// secret included (configuration as code; the console's `update` keeps those). Returns
/// false when no client has that client_id.
pub fn replace(conn: &mut DbConn, client: &Client, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(clients::table.find(client.client_id.as_str()))
        .set((
            clients::secret_hash.eq(client.client_type.secret_hash().map(TokenHash::as_str)),
            clients::name.eq(&client.name),
            clients::redirect_uris.eq(to_json(client.redirect_uris.iter().map(|u| u.as_str()))),
            clients::post_logout_redirect_uris.eq(to_json(
                client.post_logout_redirect_uris.iter().map(|u| u.as_str()),
            )),
            clients::grant_types.eq(to_json(client.grant_types.iter().map(|g| g.as_str()))),
            clients::scopes.eq(to_json(client.scopes.iter())),
            clients::public.eq(client.client_type.is_public()),
            clients::token_endpoint_auth_method.eq(client.client_type.token_endpoint_auth_method()),
            clients::id_token_signed_response_alg.eq(client.id_token_alg.as_str()),
            clients::skip_consent.eq(client.skip_consent),
            clients::require_pkce.eq(client.require_pkce),
            clients::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn find(conn: &mut DbConn, client_id: &ClientId) -> Result<Option<Client>, StoreError> {
    clients::table
        .find(client_id.as_str())
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?
        .map(ClientRow::into_client)
        .transpose()
}

/// Every client, oldest first.
pub fn list(conn: &mut DbConn) -> Result<Vec<Client>, StoreError> {
    clients::table
        .order((clients::created_at.asc(), clients::client_id.asc()))
        .select(ClientRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ClientRow::into_client)
        .collect()
}

/// Writes every changeable column of `client` (not its id, type or secret) to its row.
/// Returns whether the client still existed.
pub fn update(conn: &mut DbConn, client: &Client, now: i64) -> Result<bool, StoreError> {
    let changed = diesel::update(clients::table.find(client.client_id.as_str()))
        .set((
            clients::name.eq(&client.name),
            clients::redirect_uris.eq(to_json(client.redirect_uris.iter().map(|u| u.as_str()))),
            clients::post_logout_redirect_uris.eq(to_json(
                client.post_logout_redirect_uris.iter().map(|u| u.as_str()),
            )),
            clients::grant_types.eq(to_json(client.grant_types.iter().map(|g| g.as_str()))),
            clients::scopes.eq(to_json(client.scopes.iter())),
            clients::token_endpoint_auth_method.eq(client.client_type.token_endpoint_auth_method()),
            clients::id_token_signed_response_alg.eq(client.id_token_alg.as_str()),
            clients::skip_consent.eq(client.skip_consent),
            clients::require_pkce.eq(client.require_pkce),
            clients::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Replaces a confidential client's secret hash; the old secret stops working at once.
/// Returns whether a confidential client with this id existed.
pub fn set_secret_hash(
    conn: &mut DbConn,
    client_id: &ClientId,
    hash: &TokenHash,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        clients::table
            .find(client_id.as_str())
            .filter(clients::public.eq(false)),
    )
    .set((
        clients::secret_hash.eq(hash.as_str()),
        clients::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Deletes a client; its consents, pending requests, codes, grants and the refresh tokens
/// of those grants go with it (ON DELETE CASCADE). Returns whether it existed.
pub fn delete(conn: &mut DbConn, client_id: &ClientId) -> Result<bool, StoreError> {
    Ok(diesel::delete(clients::table.find(client_id.as_str())).execute(conn)? == 1)
}

/// Clients whose name or client_id contains `search` (any case for ASCII), by name then
/// client_id, after the `(name, client_id)` of the last one shown (keyset pagination).
pub fn page(
    conn: &mut DbConn,
    search: &str,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<Client>, StoreError> {
    let mut query = clients::table
        .select(ClientRow::as_select())
        .order((clients::name.asc(), clients::client_id.asc()))
        .limit(limit)
        .into_boxed();
    if !search.is_empty() {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        query = query.filter(
            lower(clients::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(clients::client_id).like(pattern).escape('\\')),
        );
    }
    if let Some((name, id)) = after {
        query = query.filter(
            clients::name.gt(name.to_string()).or(clients::name
                .eq(name.to_string())
                .and(clients::client_id.gt(id.to_string()))),
        );
    }
    query
        .load(conn)?
        .into_iter()
        .map(ClientRow::into_client)
        .collect()
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// `%`, `_` and the escape itself match literally in a LIKE pattern.
fn escape_like(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6749 §2.1: the three columns make one client type, or the row is reported.
    #[test]
    fn the_client_type_columns_pair_up() {
        let hash = || Some("stored-hash".to_string());
        let column = |r: Result<ClientType, StoreError>| match r {
            Err(StoreError::Corrupt { column, .. }) => Some(column),
            Err(other) => panic!("{other:?}"),
            Ok(_) => None,
        };
        #[rustfmt::skip]
        let cases: &[(bool, &str, Option<String>, Option<&str>)] = &[
            (true, "none", None, None),
            (false, "client_secret_basic", hash(), None),
            (false, "client_secret_post", hash(), None),
            (true, "none", hash(), Some("public")),
            (true, "client_secret_basic", None, Some("public")),
            (false, "client_secret_basic", None, Some("public")),
            (false, "none", hash(), Some("token_endpoint_auth_method")),
            (false, "private_key_jwt", hash(), Some("token_endpoint_auth_method")),
        ];
        for (public, method, secret, corrupt) in cases {
            let found = column(client_type(*public, method, secret.clone()));
            assert_eq!(
                found, *corrupt,
                "public={public} method={method} secret={secret:?}"
            );
        }
        assert!(matches!(
            client_type(false, "client_secret_post", hash()),
            Ok(ClientType::Confidential {
                auth_method: ClientAuthMethod::ClientSecretPost,
                ..
            })
        ));
    }
}
