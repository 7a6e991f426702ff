//! The shared state every handler gets through `web::Data<AppState>`; nothing is global.

use crate::config::Settings;
use crate::crypto::password::PasswordHasher;
use crate::security::rate_limit::LoginLimiter;
use crate::store::Pool;

pub struct AppState {
    pub settings: Settings,
    /// The issuer identifier, fixed once the listener is bound.
    pub issuer: String,
    pub pool: Pool,
    pub hasher: PasswordHasher,
    pub login_limiter: LoginLimiter,
}

impl AppState {
    /// Cookies get `Secure` whenever the issuer is https.
    pub fn cookies_secure(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}
