//! The shared state every handler gets through `web::Data<AppState>`; nothing is global.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::accounts::{Accounts, Flows};
use crate::clock::Clock;
use crate::config::{RegistrationMode, Settings};
use crate::crypto::device_cookie::DeviceKey;
use crate::crypto::password::PasswordHasher;
use crate::federation::Registry;
use crate::keys::KeyStore;
use crate::oauth::provider::{Provider, TokenPolicy};
use crate::security::cors::AllowedOrigins;
use crate::security::rate_limit::RateLimiter;
use crate::store::{Pool, PooledConn, StoreError};

pub struct AppState {
    /// Where every handler and background job reads the time (a manual clock in tests).
    pub clock: Clock,
    pub settings: Settings,
    /// The issuer identifier, fixed once the listener is bound.
    pub issuer: String,
    pub pool: Pool,
    pub hasher: PasswordHasher,
    /// Turns at the password hasher (`password.max_concurrent_hashes`), taken before the
    /// blocking call that hashes (see web::hashing).
    pub hash_permits: Arc<tokio::sync::Semaphore>,
    /// Throttling of logins, forms and client authentication.
    pub limiter: RateLimiter,
    /// Signs and recognises device cookies (derived from the master key).
    pub devices: DeviceKey,
    /// Signing keys; a background thread keeps it current (see startup).
    pub keys: Arc<KeyStore>,
    /// The discovery document, serialized once the issuer is known.
    pub discovery: bytes::Bytes,
    /// /static/theme.css and /static/favicon.svg, made at start from `[ui]` (see web::theme).
    pub theme_css: bytes::Bytes,
    pub favicon_svg: bytes::Bytes,
    /// Browser origins allowed on the protocol endpoints.
    pub cors_origins: AllowedOrigins,
    /// Requests answered 4xx by the application (see web::client_errors).
    pub client_errors: AtomicU64,
    /// What `/metrics` serves (see web::metrics).
    pub metrics: crate::metrics::Metrics,
    /// The upstream identity providers of `[federation.<name>]`.
    pub federation: Arc<Registry>,
}

impl AppState {
    /// A pooled connection, waiting at most `database.pool_timeout_ms` (then the database
    /// counts as unavailable).
    pub fn conn(&self) -> Result<PooledConn, StoreError> {
        Ok(self.pool.get()?)
    }

    /// What the account operations use: the hasher, the password policy, the limiter, the
    /// device-cookie key, the session lifetime and the rules of the mailed flows.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts {
            hasher: &self.hasher,
            password_policy: self.settings.password.policy(),
            limiter: &self.limiter,
            devices: &self.devices,
            device_cookie_lifetime: self.settings.rate_limit.device_cookie_lifetime,
            session_lifetime: self.settings.session.lifetime,
            flows: self.flows(),
        }
    }

    /// `[accounts]`, and what the flows' mail needs (the issuer, the product's name).
    pub fn flows(&self) -> Flows<'_> {
        let accounts = &self.settings.accounts;
        Flows {
            issuer: &self.issuer,
            ui: &self.settings.ui,
            require_verified_email: accounts.require_verified_email,
            registration_open: accounts.registration == RegistrationMode::Open,
            reset_token_lifetime: accounts.reset_token_lifetime,
            verification_token_lifetime: accounts.verification_token_lifetime,
        }
    }

    /// Cookies get `Secure` whenever the issuer is https.
    pub fn cookies_secure(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// What the protocol needs for one request: the issuer, the current key set and the
    /// token and authorization policies (see `oauth::provider`).
    pub fn provider(&self) -> Provider<'_> {
        let tokens = &self.settings.tokens;
        Provider {
            issuer: &self.issuer,
            keys: self.keys.current(),
            tokens: TokenPolicy {
                access_token_lifetime: tokens.access_token_lifetime,
                id_token_lifetime: tokens.id_token_lifetime,
                refresh_token_lifetime: tokens.refresh_token_lifetime,
                refresh_reuse_grace: tokens.refresh_reuse_grace,
                access_token_alg: self.settings.signing_alg(),
            },
            max_pending_per_ip: self.settings.authorize.max_pending_per_ip,
        }
    }

    /// Client errors so far: 4xx answers of this application, plus malformed requests that
    /// actix answered before they reached it (counted process-wide by the logger, see
    /// `logging`).
    pub fn client_errors(&self) -> u64 {
        self.client_errors.load(Ordering::Relaxed) + crate::logging::client_stream_errors()
    }
}
