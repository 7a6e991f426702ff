//! Open connections per client IP (`server.max_connections_per_ip`). One address holding
//! hundreds of connections open is how slow clients exhaust a server's file descriptors;
//! beyond the cap, a connection's requests are answered 429 and it is closed, before any body
//! is read. Counted when a connection opens and released when it closes (the slot lives in
//! the connection's data, so dropping the connection releases it).
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

pub struct ConnectionCounter {
    /// 0: no cap (the server then does not count at all).
    cap: u32,
    open: Mutex<HashMap<IpAddr, u32>>,
}

/// One open connection's place in the count.
pub struct ConnectionSlot {
    ip: IpAddr,
    over_cap: bool,
    counter: Arc<ConnectionCounter>,
}

impl ConnectionCounter {
    pub fn new(cap: u32) -> Arc<ConnectionCounter> {
        Arc::new(ConnectionCounter {
            cap,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Counts a new connection from `ip`; the slot says whether it is over the cap.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> ConnectionSlot {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        *count += 1;
        ConnectionSlot {
            ip,
            over_cap: self.cap != 0 && *count > self.cap,
            counter: self.clone(),
        }
    }

    pub fn open_from(&self, ip: IpAddr) -> u32 {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&ip).copied().unwrap_or(0)
    }
}

impl ConnectionSlot {
    pub fn over_cap(&self) -> bool {
        self.over_cap
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.counter.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_over_the_cap_are_marked_and_closing_frees_a_place() {
        let counter = ConnectionCounter::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = counter.admit(a);
        let second = counter.admit(a);
        let third = counter.admit(a);
        assert!(!first.over_cap() && !second.over_cap());
        assert!(third.over_cap());
        assert!(
            !counter.admit(b).over_cap(),
            "another address has its own count"
        );
        drop(third);
        drop(first);
        assert_eq!(counter.open_from(a), 1);
        assert!(!counter.admit(a).over_cap());
        drop(second);
        assert_eq!(counter.open_from(a), 0);
        assert_eq!(counter.open_from(b), 0, "released on drop");
    }

    #[test]
    fn zero_means_no_cap() {
        let counter = ConnectionCounter::new(0);
        let ip: IpAddr = "::1".parse().unwrap();
        let slots: Vec<_> = (0..1000).map(|_| counter.admit(ip)).collect();
        assert!(slots.iter().all(|s| !s.over_cap()));
    }
}
