//! `spawn_app`: the real `Application` on 127.0.0.1:0 with a fresh database (a new SQLite
//! file, or a new PostgreSQL schema), plus actors that drive it as a browser would.
#![allow(dead_code)]
use std::path::PathBuf;

use diesel::connection::SimpleConnection as _;
use diesel::Connection as _;
use ferrid::clock::Clock;
use ferrid::config::Settings;
use ferrid::domain::random_id;
use ferrid::startup::Application;
use ferrid::state::AppState;
use reqwest::header::HeaderMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    /// The server's clock: a manual one, moved with `clock.advance(secs)` instead of sleeping.
    pub clock: Clock,
    pub state: actix_web::web::Data<AppState>,
    pub setup_link: Option<String>,
    pub database_url: String,
    pub dir: tempfile::TempDir,
}

/// Runs each listed test body on SQLite and on PostgreSQL: `mod_name::sqlite` and
/// `mod_name::postgres`. The PostgreSQL variant is skipped (with a message) when
/// FERRID_TEST_POSTGRES_URL is unset, and fails when FERRID_REQUIRE_SERVICES is set.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::helpers::Backend;
                #[tokio::test]
                async fn sqlite() {
                    super::$name(Backend::Sqlite).await
                }
                #[tokio::test]
                async fn postgres() {
                    if $crate::helpers::postgres_base_url().is_some() {
                        super::$name(Backend::Postgres).await
                    }
                }
            }
        )*
    };
}

/// The PostgreSQL server for tests, or `None` (printing that the suite was skipped).
pub fn postgres_base_url() -> Option<String> {
    match std::env::var("FERRID_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("FERRID_REQUIRE_SERVICES").is_none(),
                "FERRID_REQUIRE_SERVICES is set but FERRID_TEST_POSTGRES_URL is not"
            );
            eprintln!("skipped: FERRID_TEST_POSTGRES_URL is not set, PostgreSQL test not run");
            None
        }
    }
}

/// The Redis server for tests, or `None` (printing that the test was skipped).
pub fn redis_url() -> Option<String> {
    match std::env::var("FERRID_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("FERRID_REQUIRE_SERVICES").is_none(),
                "FERRID_REQUIRE_SERVICES is set but FERRID_TEST_REDIS_URL is not"
            );
            eprintln!("skipped: FERRID_TEST_REDIS_URL is not set, Redis test not run");
            None
        }
    }
}

/// A fresh schema on the test server, and a URL whose connections use it.
fn fresh_postgres_database() -> String {
    let base = postgres_base_url().expect("checked by the caller");
    let schema = format!("t_{}", random_id().to_lowercase().replace(['-', '_'], ""));
    let mut conn =
        diesel::PgConnection::establish(&base).expect("connect to FERRID_TEST_POSTGRES_URL");
    conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("create test schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

/// Settings for a test: port 0, a temp dir for data, cheap argon2 (tests are not about its
/// cost; the stored format is the same), a small pool.
pub fn test_settings(backend: Backend, dir: &std::path::Path) -> Settings {
    let mut s = Settings::defaults();
    s.server.bind = "127.0.0.1:0".into();
    s.server.data_dir = dir.to_path_buf();
    s.mail.outbox_dir = dir.join("outbox");
    s.password.memory_kib = 64;
    s.password.iterations = 1;
    s.database.pool_size = 3;
    s.database.url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("ferrid.db").display()),
        Backend::Postgres => fresh_postgres_database(),
    };
    s
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, edit: impl FnOnce(&mut Settings)) -> TestApp {
    // As `serve` logs (errors only, unless RUST_LOG says more), so client errors are counted.
    ferrid::logging::init_with_default("error");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(backend, dir.path());
    edit(&mut settings);
    let database_url = settings.database.url.clone();
    let clock = Clock::manual_from_system();
    let app = Application::build_with_clock(settings, clock.clone())
        .await
        .expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let setup_link = app.setup_link().map(str::to_string);
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        clock,
        state,
        setup_link,
        database_url,
        dir,
    }
}

/// A browser: keeps cookies, does not follow redirects (tests look at each hop).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub struct User {
    pub email: String,
    pub password: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The status of a GET with this browser.
    pub async fn status(&self, client: &reqwest::Client, path: &str) -> reqwest::StatusCode {
        client.get(self.url(path)).send().await.unwrap().status()
    }

    /// GETs a page and returns the `csrf_token` of its form.
    pub async fn csrf(&self, client: &reqwest::Client, path: &str) -> String {
        let body = client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        extract_csrf(&body).unwrap_or_else(|| panic!("no csrf_token on {path}:\n{body}"))
    }

    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Registers through the page, as a browser would; the client ends up logged in.
    pub async fn register(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = self.csrf(client, "/register").await;
        self.post_form(
            client,
            "/register",
            &[
                ("email", email),
                ("password", password),
                ("name", "Test User"),
                ("csrf_token", &csrf),
            ],
        )
        .await
    }

    pub async fn login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = self.csrf(client, "/login").await;
        self.post_form(
            client,
            "/login",
            &[
                ("email", email),
                ("password", password),
                ("csrf_token", &csrf),
            ],
        )
        .await
    }

    /// A registered user, with a browser that is not logged in.
    pub async fn new_user(&self) -> User {
        let email = format!("user-{}@example.com", random_id().to_lowercase());
        let password = "correct horse battery".to_string();
        let response = self.register(&browser(), &email, &password).await;
        assert_eq!(response.status(), 303, "registration works");
        User { email, password }
    }

    pub async fn logged_in_browser(&self, user: &User) -> reqwest::Client {
        let client = browser();
        let response = self.login(&client, &user.email, &user.password).await;
        assert_eq!(response.status(), 303, "login works");
        client
    }

    pub fn conn(&self) -> ferrid::store::PooledConn {
        self.state.pool.get().unwrap()
    }

    pub fn user_count(&self) -> i64 {
        use diesel::prelude::*;
        ferrid::store::schema::users::table
            .count()
            .get_result(&mut *self.conn())
            .unwrap()
    }

    pub fn ferrid_command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ferrid"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("FERRID__DATABASE__URL", &self.database_url)
            .env("FERRID__SERVER__DATA_DIR", self.dir.path())
            .env("FERRID__PASSWORD__MEMORY_KIB", "64")
            .env("FERRID__PASSWORD__ITERATIONS", "1")
            .env("RUST_LOG", "warn");
        cmd
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

pub fn extract_csrf(body: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_string())
}

/// The Set-Cookie header for a cookie name.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// The value part of a Set-Cookie header.
pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}
