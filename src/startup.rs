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
use crate::security::connections::ConnectionCounter;
use crate::security::cors::AllowedOrigins;
use crate::security::rate_limit::RateLimiter;
use crate::state::AppState;
use crate::store::{self, StoreError};
use crate::web::{
    self as handlers, client_errors, error, headers, layout, request_deadline, theme,
};

pub struct Application {
    port: u16,
    issuer: String,
    setup_link: Option<String>,
    state: web::Data<AppState>,
    server: Server,
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
        let pool = store::connect(
            &kind,
            settings.database.pool_size.get(),
            Duration::from_millis(settings.database.pool_timeout_ms),
        )?;
        let (keys, devices) = open_key_store(&settings, &pool, clock.now())?;
        let keys = Arc::new(keys);
        // Mail settings are checked before anything binds: a bad SMTP setup stops the start.
        let mailer = Mailer::from_settings(&settings.mail, settings.is_production())?;
        let hasher = PasswordHasher::new(settings.password.argon2())
            .map_err(|e| anyhow::anyhow!("password: invalid argon2 parameters: {e}"))?;
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
        let state = web::Data::new(AppState {
            clock,
            cors_origins,
            limiter,
            devices,
            hash_permits,
            client_errors: AtomicU64::new(0),
            issuer: issuer.clone(),
            pool,
            hasher,
            keys,
            discovery: serde_json::to_vec(&crate::oauth::discovery::metadata(&issuer))?.into(),
            theme_css: theme::stylesheet(&settings.ui).into(),
            favicon_svg: theme::favicon_svg(&settings.ui).into(),
            settings,
        });
        spawn_maintenance(&state);
        spawn_mail_worker(&state, mailer)?;
        // The common-password list (half a million entries) loads off the request path.
        std::thread::spawn(crate::domain::password::warm_up);
        let setup_link = accounts::issue_setup_token(&mut *state.conn()?, state.clock.now())?
            .map(|token| format!("{issuer}/setup?token={}", token.as_str()));
        let server = serve(&state, listener)?;
        Ok(Application {
            port: address.port(),
            issuer,
            setup_link,
            state,
            server,
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

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests (actix's graceful stop).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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

/// One background thread per replica, doing blocking database work on its own schedule:
/// every `keys.poll_interval` seconds it reloads the key set when its version moved (another
/// replica or `ferrid keys rotate` changed it), runs key maintenance when due and refreshes
/// the CORS origins; every `PURGE_INTERVAL` it deletes expired rows. It ends once the
/// application state is gone.
fn spawn_maintenance(state: &web::Data<AppState>) {
    let weak: Weak<AppState> = Arc::downgrade(&state.clone().into_inner());
    let interval = Duration::from_secs(state.settings.keys.poll_interval.get());
    let spawned = std::thread::Builder::new()
        .name("ferrid-maintenance".into())
        .spawn(move || {
            let mut last_purge = 0;
            loop {
                std::thread::sleep(interval);
                let Some(state) = weak.upgrade() else { break };
                let now = state.clock.now();
                let purge = now - last_purge >= PURGE_INTERVAL;
                if let Err(e) = maintain(&state, now, purge) {
                    if is_corrupt_row(&e) {
                        // The key set and CORS origins stay as last loaded; an operator must
                        // repair the row.
                        log::error!("maintenance: {e}");
                    } else {
                        log::warn!("maintenance: {e}");
                    }
                } else if purge {
                    last_purge = now;
                }
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot start the maintenance thread: {e}");
    }
}

/// The mail queue's delivery thread (network I/O, so never on the request path's blocking
/// threads); it ends with the application state.
fn spawn_mail_worker(state: &web::Data<AppState>, mailer: Mailer) -> anyhow::Result<()> {
    let weak: Weak<AppState> = Arc::downgrade(&state.clone().into_inner());
    mail::worker::spawn(
        state.pool.clone(),
        mailer,
        state.clock.clone(),
        Duration::from_secs(state.settings.mail.poll_interval.get()),
        weak,
    )
    .map_err(|e| anyhow::anyhow!("cannot start the mail worker: {e}"))?;
    Ok(())
}

/// How often expired rows are purged, in seconds.
const PURGE_INTERVAL: i64 = 600;

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

fn maintain(state: &AppState, now: i64, purge: bool) -> anyhow::Result<()> {
    let mut conn = state.pool.get()?;
    state.keys.tick(&mut conn, now)?;
    state.cors_origins.refresh(&mut conn)?;
    if purge {
        let mut purged = store::purge::purge_expired(&mut conn, now)?;
        let retention = state.settings.audit.retention_seconds();
        purged += store::purge::purge_audit(&mut conn, now, retention)?;
        if purged > 0 {
            log::info!("purged {purged} expired rows");
        }
    }
    Ok(())
}
