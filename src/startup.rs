//! Builds the application from settings; `main` and the tests both start it through here,
//! so tests run what production runs.
use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{web, App, HttpServer};

use crate::accounts;
use crate::config::Settings;
use crate::crypto::password::PasswordHasher;
use crate::security::rate_limit::LoginLimiter;
use crate::state::AppState;
use crate::store;
use crate::web::{self as handlers, error, headers};

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
        settings.validate()?;
        let kind = settings
            .database_kind()
            .ok_or_else(|| anyhow::anyhow!("database.url: unknown database scheme"))?;
        let pool = store::connect(&kind, settings.database.pool_size)?;
        let hasher = PasswordHasher::new(&settings.password)
            .map_err(|e| anyhow::anyhow!("password: invalid argon2 parameters: {e}"))?;
        let listener = TcpListener::bind(&settings.server.bind).map_err(|e| {
            anyhow::anyhow!(
                "server.bind: cannot listen on {}: {e}",
                settings.server.bind
            )
        })?;
        let address = listener.local_addr()?;
        let issuer = settings
            .server
            .issuer
            .clone()
            .unwrap_or_else(|| format!("http://{address}"));
        let state = web::Data::new(AppState {
            login_limiter: LoginLimiter::new(settings.rate_limit.clone()),
            settings,
            issuer: issuer.clone(),
            pool,
            hasher,
        });
        let setup_link = accounts::issue_setup_token(&state, handlers::now())?
            .map(|token| format!("{issuer}/setup?token={}", token.as_str()));
        let server = {
            let state = state.clone();
            HttpServer::new(move || {
                let limits = &state.settings.server;
                App::new()
                    .wrap(headers::security_headers())
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
                    .app_data(
                        web::PayloadConfig::default()
                            .limit(limits.form_limit.max(limits.json_limit)),
                    )
                    .app_data(web::JsonConfig::default().limit(limits.json_limit))
                    .app_data(web::QueryConfig::default().error_handler(|err, _req| {
                        let page = error::PageError::BadRequest(
                            "The request's parameters could not be read.".into(),
                        );
                        actix_web::error::InternalError::from_response(
                            err.to_string(),
                            actix_web::ResponseError::error_response(&page),
                        )
                        .into()
                    }))
                    .configure(handlers::routes)
            })
            .listen(listener)?
            .run()
        };
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
