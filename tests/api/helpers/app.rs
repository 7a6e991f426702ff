//! `spawn_app`: the real `Application` on 127.0.0.1:0 with a fresh database (a new SQLite
//! file, or a new PostgreSQL schema), its manual clock, and the actors that drive it.
use diesel::connection::SimpleConnection as _;
use diesel::Connection as _;
use ferrid::clock::Clock;
use ferrid::config::Settings;
use ferrid::domain::random_id;
use ferrid::startup::Application;
use ferrid::state::AppState;
use serde_json::Value;

use super::browser::Browser;

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
    /// `http://127.0.0.1:PORT` of the `/metrics` listener, when `metrics.bind` is set.
    pub metrics_address: Option<String>,
    pub database_url: String,
    pub dir: tempfile::TempDir,
    /// The outbox's files in the order they were delivered (see `deliver_mail`).
    pub outbox: std::sync::Mutex<Vec<std::path::PathBuf>>,
}

/// Runs each listed test body on SQLite and on PostgreSQL: `mod_name::sqlite` and
/// `mod_name::postgres`. The PostgreSQL variant is ignored (and says so in the summary) when
/// FERRID_TEST_POSTGRES_URL was unset at build time: see build.rs.
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
                #[cfg_attr(not(ferrid_postgres), ignore = "set FERRID_TEST_POSTGRES_URL to run")]
                async fn postgres() {
                    super::$name(Backend::Postgres).await
                }
            }
        )*
    };
}

/// The PostgreSQL server for tests. Only tests built with FERRID_TEST_POSTGRES_URL set run
/// (`cfg(ferrid_postgres)`), so here it is set unless the binary is run by hand without it.
pub fn postgres_base_url() -> String {
    service_url("FERRID_TEST_POSTGRES_URL")
}

/// The Redis server for tests (`cfg(ferrid_redis)`, as for PostgreSQL).
pub fn redis_url() -> String {
    service_url("FERRID_TEST_REDIS_URL")
}

fn service_url(var: &str) -> String {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("{var} was set when the tests were built: set it again to run them"),
    }
}

/// FERRID_REQUIRE_SERVICES (set by .ci/run): the PostgreSQL and Redis tests must run, so a
/// build without their URLs fails here instead of reporting them as ignored.
#[test]
fn required_services_are_configured() {
    if std::env::var_os("FERRID_REQUIRE_SERVICES").is_none() {
        return;
    }
    let built_with = [
        ("FERRID_TEST_POSTGRES_URL", cfg!(ferrid_postgres)),
        ("FERRID_TEST_REDIS_URL", cfg!(ferrid_redis)),
    ];
    let missing: Vec<&str> = built_with
        .iter()
        .filter(|(_, set)| !set)
        .map(|(var, _)| *var)
        .collect();
    assert!(
        missing.is_empty(),
        "FERRID_REQUIRE_SERVICES is set, but these were unset at build time: {missing:?}; \
         the tests that need them would only be ignored"
    );
}

/// A fresh schema on the test server, and a URL whose connections use it.
pub fn fresh_postgres_database() -> String {
    let base = postgres_base_url();
    let schema = format!("t_{}", random_id().to_lowercase().replace(['-', '_'], ""));
    let mut conn = diesel::PgConnection::establish(&base)
        .unwrap_or_else(|e| panic!("connect to FERRID_TEST_POSTGRES_URL: {e}"));
    conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("create test schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

/// Settings for a test: port 0, a temp dir for data, cheap argon2 (tests are not about its
/// cost; the stored format is the same), a small pool.
pub fn test_settings(backend: Backend, dir: &std::path::Path) -> Settings {
    let mut s = Settings::defaults();
    s.server.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    s.server.data_dir = dir.to_path_buf();
    s.mail.outbox_dir = dir.join("outbox");
    // The worker's thread would deliver at a moment of its choosing: tests deliver the
    // queue themselves (`TestApp::deliver_mail`), so the worker never gets to it.
    s.mail.poll_interval = std::num::NonZeroU64::new(3600).unwrap();
    s.password.memory_kib = 64;
    s.password.iterations = 1;
    s.database.pool_size = std::num::NonZeroU32::new(3).unwrap();
    // Tests share one Redis server: each app counts under its own keys unless a test
    // gives several apps one prefix (replicas sharing counts).
    s.rate_limit.redis_key_prefix = format!("ferrid-test:{}:", random_id());
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
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        clock,
        state,
        setup_link,
        metrics_address,
        database_url,
        dir,
        outbox: std::sync::Mutex::new(Vec::new()),
    }
}

/// Someone with an account: what they type at the login page.
#[derive(Clone, Debug)]
pub struct User {
    pub email: String,
    pub password: String,
}

pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A browser nobody has logged in with; it cannot log in when a flow asks it to.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.address, None)
    }

    /// A browser `user` sits at, not logged in yet: it logs in when a flow asks it to.
    pub fn browser_of(&self, user: &User) -> Browser {
        Browser::new(&self.address, Some(user.clone()))
    }

    /// A browser nobody has logged in with, behind a proxy naming `ip` as the client.
    pub fn browser_at(&self, ip: &str) -> Browser {
        Browser::at_ip(&self.address, None, ip)
    }

    pub async fn logged_in_browser(&self, user: &User) -> Browser {
        let browser = self.browser_of(user);
        let response = browser.login(&user.email, &user.password).await;
        assert_eq!(response.status(), 303, "login works");
        browser
    }

    /// A registered user: registered through the page and, when the app asks for it,
    /// verified through the link mailed to them, in a browser that is then dropped.
    pub async fn new_user(&self) -> User {
        let email = format!("user-{}@example.com", random_id().to_lowercase());
        let password = PASSWORD.to_string();
        let browser = self.browser();
        let response = browser.register(&email, &password).await;
        match response.status().as_u16() {
            // Verification off: logged in at once.
            303 => {}
            200 => {
                let verified = self.verify_email(&browser, &email).await;
                assert_eq!(verified.status(), 303, "verification works");
            }
            status => panic!("registration failed: {status}"),
        }
        User { email, password }
    }

    /// Opens the newest verification link mailed to `email` in `browser` and confirms it:
    /// the answer is a redirect with a new session (or a page saying why not).
    pub async fn verify_email(&self, browser: &Browser, email: &str) -> reqwest::Response {
        let link = self.last_mail_to(email).await.link("/verify-email");
        browser.confirm_link(&link).await
    }

    /// GET a JSON document without cookies.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = reqwest::get(self.url(path)).await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// /userinfo with a bearer token: status, body and the WWW-Authenticate challenge.
    pub async fn userinfo(&self, access_token: &str) -> (u16, Value, Option<String>) {
        let response = reqwest::Client::new()
            .get(self.url("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_string());
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body, challenge)
    }

    pub fn conn(&self) -> ferrid::store::PooledConn {
        self.state.pool.get().unwrap()
    }

    /// The `ferrid` binary, configured for this app's database and data directory.
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

    /// Runs `ferrid <args>` with `input` on stdin.
    pub fn ferrid(&self, args: &[&str], input: &str) -> std::process::Output {
        let mut cmd = self.ferrid_command();
        cmd.args(args);
        run_with_stdin(cmd, input)
    }
}

pub fn run_with_stdin(mut cmd: std::process::Command, input: &str) -> std::process::Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Polls `check` every `every` until it holds; fails after `limit`. For work done by a real
/// thread or another process, never to move time (that is `clock.advance`).
pub async fn eventually<F, Fut>(limit: std::time::Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    let every = std::time::Duration::from_millis(50);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(every).await;
    }
}
