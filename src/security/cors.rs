//! Which browser origins may call the protocol endpoints (CORS), so single-page apps with
//! public clients work: the origins of every registered redirect URI, plus a configured list.
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use crate::store::clients;
use crate::store::{DbConn, StoreError};

#[derive(Default)]
pub struct AllowedOrigins {
    configured: Vec<String>,
    current: RwLock<Arc<HashSet<String>>>,
}

impl AllowedOrigins {
    pub fn new(configured: Vec<String>) -> Self {
        let set: HashSet<String> = configured.iter().cloned().collect();
        AllowedOrigins {
            configured,
            current: RwLock::new(Arc::new(set)),
        }
    }

    pub fn allows(&self, origin: &str) -> bool {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(origin)
    }

    /// Recomputes the set from the client registry (run at start and by the maintenance
    /// thread, so clients added with the CLI are picked up without a restart).
    pub fn refresh(&self, conn: &mut DbConn) -> Result<(), StoreError> {
        let mut set: HashSet<String> = self.configured.iter().cloned().collect();
        for client in clients::list(conn)? {
            set.extend(
                client
                    .redirect_uris
                    .iter()
                    .filter_map(|uri| origin_of(uri.as_str())),
            );
        }
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
        Ok(())
    }
}

/// RFC 6454 origin of an http(s) URL; other schemes (native apps) have none to allow.
pub fn origin_of(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_of_redirect_uris() {
        assert_eq!(
            origin_of("https://app.example/cb?x=1").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000/cb").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            origin_of("https://app.example:443/cb").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(origin_of("com.example.app:/cb"), None);
    }
}
