//! Builds the application from settings; `main` and the tests both start it through here,
//! so tests run what production runs.
use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{web, App, HttpServer};

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::accounts;
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::device_cookie::DeviceKey;
use crate::crypto::password::PasswordHasher;
use crate::keys::{self, KeyPolicy, KeyStore, KeyStoreError};
use crate::mail::{self, Mailer};
use crate::provision;
use crate::security::connections::ConnectionCounter;
use crate::security::cors::AllowedOrigins;
use crate::security::rate_limit::RateLimiter;
use crate::state::AppState;
use crate::store::{self, StoreError};
use crate::web::{
    self as handlers, client_errors, error, headers, layout, request_deadline, theme,
};

pub mod jobs;

pub struct Application {
    port: u16,
    issuer: String,
    setup_link: Option<String>,
    state: web::Data<AppState>,
    server: Server,
    /// The `/metrics` listener (`metrics.bind`) and its port, when configured.
    metrics: Option<(u16, Server)>,
}

impl Application {
    /// Opens the database and runs migrations, binds `server.bind`, and only then fixes the
    /// issuer: when `server.issuer` is unset it is `http://<bound address>`, so port 0 works.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Application::build_with_clock(settings, Clock::system()).await
    }

    /// `build` with a given clock: tests pass a manual one and move time by advancing it.
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Application> {
        settings.validate()?;
        let kind = settings
            .database_kind()
            .ok_or_else(|| anyhow::anyhow!("database.url: unknown database scheme"))?;
        // Migrations and the first keys under the startup lock: replicas started together
        // on a fresh database take turns instead of racing to create the same tables.
        let (pool, startup_lock) = store::connect_locked(
            &kind,
            settings.database.pool_size.get(),
            Duration::from_millis(settings.database.pool_timeout_ms),
            settings.database.sqlite_synchronous,
        )?;
        let (keys, devices) = open_key_store(&settings, &pool, clock.now())?;
        let keys = Arc::new(keys);
        // Mail settings are checked before anything binds: a bad SMTP setup stops the start.
        let mailer = Mailer::from_settings(&settings.mail, settings.is_production())?;
        let hasher = PasswordHasher::new(settings.password.argon2())
            .map_err(|e| anyhow::anyhow!("password: invalid argon2 parameters: {e}"))?;
        // Still under the startup lock: replicas sharing one provision file apply it in turn,
        // so the later ones find nothing left to create.
        provision_at_start(&settings, &pool, &hasher, clock.now())?;
        startup_lock.release();
        let listener = TcpListener::bind(settings.server.bind).map_err(|e| {
            anyhow::anyhow!(
                "server.bind: cannot listen on {}: {e}",
                settings.server.bind
            )
        })?;
        let address = listener.local_addr()?;
        let issuer = match &settings.server.issuer {
            Some(issuer) => issuer.to_string(),
            None => format!("http://{address}"),
        };
        let cors_origins = AllowedOrigins::new(settings.server.cors_origins.clone());
        cors_origins.refresh(&mut *pool.get()?)?;
        let limiter = RateLimiter::new(settings.rate_limit.clone(), clock.clone())
            .map_err(anyhow::Error::msg)?;
        let hash_permits = Arc::new(tokio::sync::Semaphore::new(
            settings.password.concurrent_hashes(),
        ));
        // Validated with the settings; built now that the issuer (the callbacks' base) is known.
        let providers = settings
            .federation_providers()
            .map_err(|problems| anyhow::anyhow!(problems.join("; ")))?;
        let federation = Arc::new(
            crate::federation::Registry::new(providers, &issuer).map_err(anyhow::Error::msg)?,
        );
        let state = web::Data::new(AppState {
            federation,
            clock,
            cors_origins,
            limiter,
            devices,
            hash_permits,
            client_errors: AtomicU64::new(0),
            metrics: crate::metrics::Metrics::default(),
            issuer: issuer.clone(),
            pool,
            hasher,
            keys,
            discovery: serde_json::to_vec(&crate::oauth::discovery::metadata(&issuer))?.into(),
            theme_css: theme::stylesheet(&settings.ui).into(),
            favicon_svg: theme::favicon_svg(&settings.ui).into(),
            settings,
        });
        let holder = jobs::holder_name();
        spawn_maintenance(&state, holder.clone());
        spawn_mail_worker(&state, mailer, holder)?;
        // The common-password list (half a million entries) loads off the request path.
        std::thread::spawn(crate::domain::password::warm_up);
        let setup_link = accounts::issue_setup_token(&mut *state.conn()?, state.clock.now())?
            .map(|token| format!("{issuer}/setup?token={}", token.as_str()));
        let metrics = serve_metrics(&state)?;
        let server = serve(&state, listener)?;
        Ok(Application {
            port: address.port(),
            issuer,
            setup_link,
            state,
            server,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The first-run link, printed while no admin exists.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// The port of the `/metrics` listener, when `metrics.bind` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests (actix's graceful stop).
    /// The metrics listener runs beside the main one and stops with it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some((_, mut metrics)) = self.metrics else {
            return self.server.await;
        };
        let handle = metrics.handle();
        let mut server = self.server;
        let mut metrics_done = false;
        let result = std::future::poll_fn(|cx| {
            use std::future::Future as _;
            use std::pin::Pin;
            use std::task::Poll;
            if !metrics_done {
                if let Poll::Ready(result) = Pin::new(&mut metrics).poll(cx) {
                    metrics_done = true;
                    if let Err(e) = result {
                        log::error!("the metrics listener stopped: {e}");
                    }
                }
            }
            Pin::new(&mut server).poll(cx)
        })
        .await;
        handle.stop(false).await;
        result
    }
}

/// The HTTP server: middleware (outermost last), shared state, body limits and routes, and
/// the connection-level limits: blocking threads, the header deadline, the per-IP cap.
fn serve(state: &web::Data<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let limits = state.settings.server.clone();
    let state = state.clone();
    let server = HttpServer::new(move || {
        let limits = &state.settings.server;
        App::new()
            // Innermost: whole bodies are in before any handler (or CORS) runs.
            .wrap(actix_web::middleware::from_fn(
                request_deadline::read_deadline,
            ))
            // Error pages in the deployment's layout, flash messages dropped once shown.
            .wrap(actix_web::middleware::from_fn(layout::finish_pages))
            .wrap(actix_web::middleware::from_fn(handlers::cors::cors))
            .wrap(headers::security_headers())
            .wrap(actix_web::middleware::from_fn(
                client_errors::count_client_errors,
            ))
            // Path only (%U), never the query string: it may hold codes or tokens.
            .wrap(
                Logger::new("%a \"%{method}xi %U\" %s %b %Dms")
                    .custom_request_replace("method", |req| req.method().to_string()),
            )
            .wrap(actix_web::middleware::from_fn(handlers::metrics::observe))
            .app_data(state.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(limits.form_limit)
                    .error_handler(error::form_error_handler),
            )
            .app_data(web::PayloadConfig::default().limit(limits.form_limit.max(limits.json_limit)))
            .app_data(web::JsonConfig::default().limit(limits.json_limit))
            .app_data(web::QueryConfig::default().error_handler(error::query_error_handler))
            .configure(|cfg| handlers::routes(cfg, limits.form_limit))
    });
    let per_ip = limits.max_connections_per_ip;
    let counter = (per_ip > 0).then(|| ConnectionCounter::new(per_ip));
    Ok(server
        .worker_max_blocking_threads(limits.blocking_threads.get())
        // The deadline for the headers; the body's is web::request_deadline's.
        .client_request_timeout(Duration::from_millis(limits.request_timeout_ms))
        .client_disconnect_timeout(DISCONNECT_TIMEOUT)
        .on_connect(move |connection, data| admit_connection(counter.as_ref(), connection, data))
        .listen(listener)?
        .run())
}

/// The `/metrics` listener on `metrics.bind`, apart from the public one so metrics are not
/// exposed by accident: one worker, no signal handling of its own (it stops with the main
/// server), none of the main listener's middleware.
fn serve_metrics(state: &web::Data<AppState>) -> anyhow::Result<Option<(u16, Server)>> {
    let Some(bind) = state.settings.metrics.bind else {
        return Ok(None);
    };
    let listener = TcpListener::bind(bind)
        .map_err(|e| anyhow::anyhow!("metrics.bind: cannot listen on {bind}: {e}"))?;
    let port = listener.local_addr()?.port();
    let state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(handlers::metrics::routes)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(Some((port, server)))
}

/// How long a closing connection may take to flush its last response.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The per-IP connection cap: each connection takes a slot, kept in its connection data so
/// closing it frees the slot (see security::connections).
fn admit_connection(
    counter: Option<&Arc<ConnectionCounter>>,
    connection: &dyn std::any::Any,
    data: &mut actix_web::dev::Extensions,
) {
    let peer = connection
        .downcast_ref::<actix_web::rt::net::TcpStream>()
        .and_then(|s| s.peer_addr().ok());
    if let (Some(counter), Some(peer)) = (counter, peer) {
        data.insert(counter.admit(peer.ip()));
    }
}

/// Loads (in development, creates) the master key, opens the key store and derives the
/// device-cookie key from it. A master key that does not open the stored keys stops the
/// start here, before anything is changed.
fn open_key_store(
    settings: &Settings,
    pool: &store::Pool,
    now: i64,
) -> anyhow::Result<(KeyStore, DeviceKey)> {
    let (master, generated) = keys::load_master_key(settings)?;
    if generated {
        let path = settings.server.data_dir.join("master.key");
        log::warn!(
            "generated a development master key in {}; production needs FERRID__SECRETS__MASTER_KEY",
            path.display()
        );
    }
    let mut conn = pool.get()?;
    let policy = KeyPolicy::from_settings(settings);
    let devices = DeviceKey::derive(&master);
    Ok((KeyStore::open(&mut conn, master, policy, now)?, devices))
}

/// `provision.file`: the configuration as code, applied before the server listens; a file
/// that does not apply stops the start. Each change is logged (never a secret).
fn provision_at_start(
    settings: &Settings,
    pool: &store::Pool,
    hasher: &PasswordHasher,
    now: i64,
) -> anyhow::Result<()> {
    let Some(file) = &settings.provision.file else {
        return Ok(());
    };
    let vars = std::env::vars().collect();
    let desired = provision::load(file, &vars, now)?;
    let options = provision::Options {
        dry_run: false,
        prune: settings.provision.prune,
    };
    let policy = settings.password.policy();
    let report = provision::provision(&mut *pool.get()?, &desired, options, hasher, &policy, now)?;
    for change in &report.changes {
        log::info!("provision: {change}");
    }
    Ok(())
}

/// One background thread per replica, doing blocking database work on its own schedule:
/// every `keys.poll_interval` seconds a round of `jobs::run_round` (the key set reloaded when
/// its version moved, key maintenance and the purge where this replica gets their leases, so
/// they run once per interval across replicas). It ends once the application state is gone.
fn spawn_maintenance(state: &web::Data<AppState>, holder: String) {
    let weak: Weak<AppState> = Arc::downgrade(&state.clone().into_inner());
    let interval = Duration::from_secs(state.settings.keys.poll_interval.get());
    let spawned = std::thread::Builder::new()
        .name("ferrid-maintenance".into())
        .spawn(move || loop {
            std::thread::sleep(interval);
            let Some(state) = weak.upgrade() else { break };
            if let Err(e) = jobs::run_round(&state, &holder, state.clock.now()) {
                if is_corrupt_row(&e) {
                    // The key set and CORS origins stay as last loaded; an operator must
                    // repair the row.
                    log::error!("maintenance: {e}");
                } else {
                    log::warn!("maintenance: {e}");
                }
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot start the maintenance thread: {e}");
    }
}

/// The mail queue's delivery thread (network I/O, so never on the request path's blocking
/// threads); it ends with the application state.
fn spawn_mail_worker(
    state: &web::Data<AppState>,
    mailer: Mailer,
    holder: String,
) -> anyhow::Result<()> {
    let weak: Weak<AppState> = Arc::downgrade(&state.clone().into_inner());
    mail::worker::spawn(
        state.pool.clone(),
        mailer,
        state.clock.clone(),
        Duration::from_secs(state.settings.mail.poll_interval.get()),
        holder,
        weak,
    )
    .map_err(|e| anyhow::anyhow!("cannot start the mail worker: {e}"))?;
    Ok(())
}

/// A stored row that does not parse, as opposed to a database that is briefly away.
fn is_corrupt_row(e: &anyhow::Error) -> bool {
    let corrupt = |e: &StoreError| matches!(e, StoreError::Corrupt { .. });
    match (
        e.downcast_ref::<KeyStoreError>(),
        e.downcast_ref::<StoreError>(),
    ) {
        (Some(KeyStoreError::Store(e)), _) | (_, Some(e)) => corrupt(e),
        _ => false,
    }
}
