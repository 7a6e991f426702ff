//! A TCP proxy the tests can cut and restore, to take PostgreSQL or Redis away from the
//! application without stopping the shared servers. It runs on its own thread and runtime,
//! so blocking database calls on the test's thread cannot starve it.
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

pub struct TcpProxy {
    pub port: u16,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    /// Dropping it ends the proxy's thread.
    _stop: oneshot::Sender<()>,
}

impl TcpProxy {
    /// Forwards every connection to `upstream` until cut.
    pub fn start(upstream: SocketAddr) -> TcpProxy {
        let cut = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::<AbortHandle>::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let (c, conns) = (cut.clone(), connections.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                port_tx.send(listener.local_addr().unwrap().port()).unwrap();
                tokio::select! {
                    _ = stopped => {}
                    _ = serve(listener, upstream, c, conns) => {}
                }
            });
        });
        TcpProxy {
            port: port_rx.recv().unwrap(),
            cut,
            connections,
            _stop: stop,
        }
    }

    /// Drops every open connection and refuses new ones (closed at once after accept).
    pub fn cut(&self) {
        // Under the lock that `serve` holds while it admits a connection: none slips past.
        let mut open = self.connections.lock().unwrap();
        self.cut.store(true, Ordering::SeqCst);
        for connection in open.drain(..) {
            connection.abort();
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn route(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(self.port)).unwrap();
        url.to_string()
    }
}

async fn serve(
    listener: TcpListener,
    upstream: SocketAddr,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            continue;
        };
        let mut open = connections.lock().unwrap();
        if cut.load(Ordering::SeqCst) {
            drop(inbound);
            continue;
        }
        let task = tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
        open.retain(|c| !c.is_finished());
        open.push(task.abort_handle());
    }
}

/// The host and port a service URL names.
pub fn socket_addr_of(url: &str) -> SocketAddr {
    let url = url::Url::parse(url).unwrap();
    let host = url.host_str().unwrap();
    let port = url.port().unwrap_or(match url.scheme() {
        "redis" => 6379,
        _ => 5432,
    });
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .unwrap()
        .next()
        .unwrap()
}
