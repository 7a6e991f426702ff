//! An upstream OpenID Connect issuer (Google, a company IdP, another Ferrid), through the
//! `openidconnect` crate. Discovery (OpenID Connect Discovery §4) and the JWKS are fetched
//! at the first login and cached; an ID token naming a key the cache lacks fetches the JWKS
//! again (Core §10.1.1, key rotation), at most once per [`JWKS_REFETCH_INTERVAL`], so forged
//! tokens with made-up `kid`s cannot make Ferrid hammer the upstream.
use std::sync::Mutex;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, SignatureVerificationError, TokenResponse,
};

use super::{flow::Started, request_failure, FederationError, UpstreamIdentity};
use crate::config::ResolvedProvider;
use crate::domain::Email;
use crate::store::federation::{Flow, IdentityKey};

/// How long discovery is trusted before it is fetched again (seconds).
const DISCOVERY_MAX_AGE: i64 = 3600;
/// The least time between two JWKS fetches caused by an unknown `kid` (seconds).
const JWKS_REFETCH_INTERVAL: i64 = 60;
/// How far in the future an `iat` may lie (clock skew), and how old it may be (seconds).
const IAT_SKEW: i64 = 300;
const IAT_MAX_AGE: i64 = 600;

/// Signatures accepted: asymmetric only (no `none`, no HMAC keyed with the client secret).
const ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

type Http = openidconnect::reqwest::Client;

struct Cached {
    metadata: CoreProviderMetadata,
    fetched_at: i64,
    jwks_fetched_at: i64,
}

pub(super) struct OidcUpstream {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect_uri: RedirectUrl,
    scopes: Vec<String>,
    http: Http,
    cache: Mutex<Option<Cached>>,
}

impl OidcUpstream {
    pub(super) fn new(
        config: &ResolvedProvider,
        http: Http,
        redirect_uri: String,
    ) -> Result<OidcUpstream, String> {
        let name = &config.name;
        Ok(OidcUpstream {
            issuer: IssuerUrl::new(config.issuer.clone())
                .map_err(|e| format!("federation.{name}.issuer: {e}"))?,
            client_id: ClientId::new(config.client_id.clone()),
            client_secret: ClientSecret::new(config.client_secret.expose().to_string()),
            redirect_uri: RedirectUrl::new(redirect_uri)
                .map_err(|e| format!("federation.{name}: callback URL: {e}"))?,
            scopes: config.scopes.clone(),
            http,
            cache: Mutex::new(None),
        })
    }

    fn cached(&self) -> Option<std::sync::MutexGuard<'_, Option<Cached>>> {
        Some(self.cache.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The discovered metadata (with its JWKS), fetched when missing or old.
    async fn metadata(&self, now: i64) -> Result<CoreProviderMetadata, FederationError> {
        if let Some(guard) = self.cached() {
            if let Some(c) = guard
                .as_ref()
                .filter(|c| now - c.fetched_at < DISCOVERY_MAX_AGE)
            {
                return Ok(c.metadata.clone());
            }
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(discovery_failure)?;
        if let Some(mut guard) = self.cached() {
            *guard = Some(Cached {
                metadata: metadata.clone(),
                fetched_at: now,
                jwks_fetched_at: now,
            });
        }
        Ok(metadata)
    }

    /// Fetches the JWKS again after an unknown key, unless it was fetched moments ago.
    async fn refresh_jwks(
        &self,
        metadata: &CoreProviderMetadata,
        now: i64,
    ) -> Result<Option<CoreProviderMetadata>, FederationError> {
        if let Some(guard) = self.cached() {
            if guard
                .as_ref()
                .is_some_and(|c| now - c.jwks_fetched_at < JWKS_REFETCH_INTERVAL)
            {
                return Ok(None);
            }
        }
        let jwks = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(discovery_failure)?;
        let metadata = metadata.clone().set_jwks(jwks);
        if let Some(mut guard) = self.cached() {
            *guard = Some(Cached {
                metadata: metadata.clone(),
                fetched_at: guard.as_ref().map_or(now, |c| c.fetched_at),
                jwks_fetched_at: now,
            });
        }
        Ok(Some(metadata))
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
    ) -> openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            Some(self.client_secret.clone()),
        )
        .set_redirect_uri(self.redirect_uri.clone())
    }

    pub(super) async fn authorize_url(
        &self,
        started: &Started,
        now: i64,
    ) -> Result<String, FederationError> {
        let client = self.client(self.metadata(now).await?);
        let verifier = PkceCodeVerifier::new(started.pkce_verifier.clone());
        let state = started.state.as_str().to_string();
        let nonce = started.nonce.clone();
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scopes(
                self.scopes
                    .iter()
                    .filter(|s| s.as_str() != "openid")
                    .map(|s| Scope::new(s.clone())),
            )
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier))
            .url();
        Ok(url.to_string())
    }

    pub(super) async fn exchange(
        &self,
        provider: &str,
        code: &str,
        flow: &Flow,
        now: i64,
    ) -> Result<UpstreamIdentity, FederationError> {
        let metadata = self.metadata(now).await?;
        let client = self.client(metadata.clone());
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| FederationError::Malformed(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(token_failure)?;
        let id_token = response.id_token().ok_or_else(|| {
            FederationError::Malformed("no id_token in the token response".into())
        })?;
        let nonce = Nonce::new(flow.nonce.clone());
        let verify = |client: &CoreClient<_, _, _, _, _, _>| {
            let verifier = client
                .id_token_verifier()
                .set_allowed_algs(ALGS)
                .set_time_fn(move || at(now))
                .set_issue_time_verifier_fn(move |iat| {
                    let iat = iat.timestamp();
                    if iat > now + IAT_SKEW {
                        Err("issued in the future".to_string())
                    } else if iat < now - IAT_MAX_AGE {
                        Err("issued too long ago".to_string())
                    } else {
                        Ok(())
                    }
                });
            id_token
                .claims(&verifier, &nonce)
                .map(|claims| identity_of(provider, claims))
        };
        let verified = match verify(&client) {
            Ok(identity) => Ok(identity),
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // The upstream may have rotated its keys since the JWKS was cached.
                let Some(fresh) = self.refresh_jwks(&metadata, now).await? else {
                    return Err(FederationError::Token(
                        "no key matches the signature".into(),
                    ));
                };
                verify(&self.client(fresh)).map_err(claims_failure)
            }
            Err(e) => Err(claims_failure(e)),
        };
        let mut identity = verified?;
        if identity.email.is_none() {
            // OIDC Core §5.4: with an access token, the scope's claims may come from
            // UserInfo only (Ferrid does so); its `sub` must be the ID token's (§5.3.2).
            self.add_userinfo(&client, response.access_token(), &mut identity)
                .await?;
        }
        Ok(identity)
    }

    async fn add_userinfo(
        &self,
        client: &CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        access_token: &openidconnect::AccessToken,
        identity: &mut UpstreamIdentity,
    ) -> Result<(), FederationError> {
        let subject = openidconnect::SubjectIdentifier::new(identity.key.subject.clone());
        let Ok(request) = client.user_info(access_token.clone(), Some(subject)) else {
            return Ok(());
        };
        let claims: openidconnect::core::CoreUserInfoClaims = request
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::UserInfoError::Request(inner) => request_failure(&inner),
                openidconnect::UserInfoError::ClaimsVerification(_) => {
                    FederationError::Token("userinfo is for another subject".into())
                }
                other => FederationError::Malformed(format!("userinfo: {other}")),
            })?;
        identity.email = claims.email().and_then(|e| Email::parse(e.as_str()).ok());
        identity.email_verified = identity.email.is_some() && claims.email_verified() == Some(true);
        if identity.name.is_empty() {
            if let Some(name) = claims.name().and_then(|n| n.get(None)) {
                identity.name = name.as_str().to_string();
            }
        }
        Ok(())
    }
}

fn at(now: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(now, 0).unwrap_or_default()
}

fn identity_of(
    provider: &str,
    claims: &openidconnect::core::CoreIdTokenClaims,
) -> UpstreamIdentity {
    let email = claims.email().and_then(|e| Email::parse(e.as_str()).ok());
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_string())
        .unwrap_or_default();
    UpstreamIdentity {
        key: IdentityKey {
            provider: provider.to_string(),
            issuer: claims.issuer().as_str().trim_end_matches('/').to_string(),
            subject: claims.subject().as_str().to_string(),
        },
        email_verified: email.is_some() && claims.email_verified() == Some(true),
        email,
        name,
    }
}

fn claims_failure(e: ClaimsVerificationError) -> FederationError {
    let why = match &e {
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        ) => "no key matches the signature".to_string(),
        ClaimsVerificationError::SignatureVerification(inner) => format!("signature: {inner}"),
        ClaimsVerificationError::Expired(_) => "expired".into(),
        ClaimsVerificationError::InvalidAudience(_) => "wrong audience".into(),
        ClaimsVerificationError::InvalidIssuer(_) => "wrong issuer".into(),
        ClaimsVerificationError::InvalidNonce(_) => "wrong nonce".into(),
        other => other.to_string(),
    };
    FederationError::Token(why)
}

fn discovery_failure<E: std::error::Error + 'static>(
    e: openidconnect::DiscoveryError<E>,
) -> FederationError {
    match e {
        openidconnect::DiscoveryError::Request(inner) => request_failure(&inner),
        openidconnect::DiscoveryError::Parse(_) => {
            FederationError::Malformed("discovery or JWKS is not valid JSON metadata".into())
        }
        openidconnect::DiscoveryError::Response(status, _, _) => {
            FederationError::Malformed(format!("discovery answered {status}"))
        }
        openidconnect::DiscoveryError::Validation(why) => {
            FederationError::Malformed(format!("discovery: {why}"))
        }
        other => FederationError::Malformed(format!("discovery: {other}")),
    }
}

pub(super) fn token_failure<RE, T>(e: RequestTokenError<RE, T>) -> FederationError
where
    RE: std::error::Error + 'static,
    T: openidconnect::ErrorResponse + 'static,
{
    match e {
        RequestTokenError::ServerResponse(response) => {
            FederationError::Upstream(format!("token endpoint: {response}"))
        }
        RequestTokenError::Request(inner) => request_failure(&inner),
        RequestTokenError::Parse(_, _) => {
            FederationError::Malformed("token response is not valid JSON".into())
        }
        RequestTokenError::Other(why) => {
            FederationError::Malformed(format!("token response: {why}"))
        }
    }
}
