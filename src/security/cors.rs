//! Which browser origins may call the protocol endpoints (CORS), so single-page apps with
//! public clients work: the origins of every registered redirect URI, plus a configured list.
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use crate::domain::Origin;
use crate::store::clients;
use crate::store::{DbConn, StoreError};

#[derive(Default)]
pub struct AllowedOrigins {
    configured: Vec<Origin>,
    current: RwLock<Arc<HashSet<String>>>,
}

impl AllowedOrigins {
    pub fn new(configured: Vec<Origin>) -> Self {
        let set: HashSet<String> = configured.iter().map(|o| o.as_str().to_string()).collect();
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
        let mut set: HashSet<String> = self
            .configured
            .iter()
            .map(|o| o.as_str().to_string())
            .collect();
        for client in clients::list(conn)? {
            set.extend(
                client
                    .redirect_uris
                    .iter()
                    .filter_map(|uri| Origin::of(uri.as_str()))
                    .map(|o| o.as_str().to_string()),
            );
        }
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
        Ok(())
    }
}
