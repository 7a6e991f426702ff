//! A loopback load balancer for replicas: every new connection goes to the replica the test
//! pinned, or round-robin, and on to the next replica when one refuses the connection (as a
//! proxy's health check would take a dead backend out). Clients that must reach a chosen
//! replica per request open a connection per request (`Browser::one_connection_per_request`).
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Round-robin, rather than a pinned replica.
const ROUND_ROBIN: usize = usize::MAX;

pub struct Balancer {
    pub port: u16,
    backends: Arc<Mutex<Vec<SocketAddr>>>,
    pinned: Arc<AtomicUsize>,
    /// Dropping it ends the balancer's thread.
    _stop: oneshot::Sender<()>,
}

impl Balancer {
    /// Listens on a free loopback port; backends are added once they are known.
    pub fn start() -> Balancer {
        let backends = Arc::new(Mutex::new(Vec::new()));
        let pinned = Arc::new(AtomicUsize::new(ROUND_ROBIN));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let (b, p) = (backends.clone(), pinned.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                port_tx.send(listener.local_addr().unwrap().port()).unwrap();
                tokio::select! {
                    _ = stopped => {}
                    _ = serve(listener, b, p) => {}
                }
            });
        });
        Balancer {
            port: port_rx.recv().unwrap(),
            backends,
            pinned,
            _stop: stop,
        }
    }

    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set_backends(&self, backends: Vec<SocketAddr>) {
        *self.backends.lock().unwrap() = backends;
    }

    /// New connections go to replica `index` (falling over to the next only if it refuses).
    pub fn pin(&self, index: usize) {
        self.pinned.store(index, Ordering::SeqCst);
    }

    pub fn round_robin(&self) {
        self.pinned.store(ROUND_ROBIN, Ordering::SeqCst);
    }
}

async fn serve(
    listener: TcpListener,
    backends: Arc<Mutex<Vec<SocketAddr>>>,
    pinned: Arc<AtomicUsize>,
) {
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            continue;
        };
        let all = backends.lock().unwrap().clone();
        if all.is_empty() {
            continue;
        }
        let first = match pinned.load(Ordering::SeqCst) {
            ROUND_ROBIN => next.fetch_add(1, Ordering::SeqCst),
            i => i,
        };
        tokio::spawn(async move {
            for k in 0..all.len() {
                let backend = all[(first + k) % all.len()];
                if let Ok(mut outbound) = TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    return;
                }
            }
        });
    }
}
