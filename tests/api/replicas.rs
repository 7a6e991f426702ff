//! Issue 13.1: three real `ferrid serve` processes on one fresh PostgreSQL database and one
//! Redis, behind a loopback balancer (helpers::balancer), started at the same moment. Each
//! step of a flow is pinned to a chosen replica (A, B or C), so what one replica wrote another
//! must read: the pending login, the code, the refresh family, the session, the keys, the
//! throttling counts. Then one replica is killed (SIGKILL) under load: every token it or the
//! others acknowledged stays valid, and the others keep serving.
//!
//! Needs both services (`cfg(ferrid_postgres)` and `cfg(ferrid_redis)`); ignored otherwise.
use std::io::{BufRead as _, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::balancer::Balancer;
use crate::helpers::*;

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const POLL_INTERVAL: u64 = 1;
const PUBLISH_AHEAD: u64 = 2;
const REDIRECT: &str = "https://rp.example/callback";

/// One `ferrid serve` process; killed when dropped, so none outlives a failed test.
struct Replica {
    child: Child,
    address: SocketAddr,
    output: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Replica {
    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

/// The settings all replicas share (and the CLI, run beside them).
struct Cluster {
    env: Vec<(String, String)>,
    balancer: Balancer,
    replicas: Vec<Replica>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Copies a child's stream into `sink` on a thread of its own (the pipe never fills).
fn drain(stream: impl Read + Send + 'static, sink: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut sink = sink.lock().unwrap();
            sink.push_str(&line);
            sink.push('\n');
        }
    });
}

impl Cluster {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferrid"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// The CLI against the shared database.
    fn ferrid(&self, args: &[&str], input: &str) -> String {
        let out = run_with_stdin(self.command(args), input);
        assert!(
            out.status.success(),
            "ferrid {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn spawn_replica(&self) -> Replica {
        let dir = tempfile::tempdir().unwrap();
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut cmd = self.command(&["serve"]);
        cmd.env("FERRID__SERVER__BIND", address.to_string())
            .env("FERRID__SERVER__DATA_DIR", dir.path())
            .env("FERRID__MAIL__OUTBOX_DIR", dir.path().join("outbox"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        drain(child.stdout.take().unwrap(), output.clone());
        drain(child.stderr.take().unwrap(), output.clone());
        Replica {
            child,
            address,
            output,
            _dir: dir,
        }
    }

    /// Three replicas, spawned together on a fresh database, each ready (or the test fails
    /// with what the ones that did not come up printed).
    async fn start() -> Cluster {
        let balancer = Balancer::start();
        let master = ferrid::crypto::master_key::MasterKey::generate().to_base64();
        let prefix = format!("ferrid-test:{}:", ferrid::domain::random_id());
        let env = [
            ("FERRID__SERVER__ISSUER", balancer.address()),
            ("FERRID__SERVER__MAX_CONNECTIONS_PER_IP", "0".into()),
            ("FERRID__DATABASE__URL", fresh_postgres_database()),
            ("FERRID__SECRETS__MASTER_KEY", master),
            ("FERRID__RATE_LIMIT__REDIS_URL", redis_url()),
            ("FERRID__RATE_LIMIT__REDIS_KEY_PREFIX", prefix),
            ("FERRID__RATE_LIMIT__LOGIN_PER_ACCOUNT_IP", "3".into()),
            ("FERRID__PASSWORD__MEMORY_KIB", "64".into()),
            ("FERRID__PASSWORD__ITERATIONS", "1".into()),
            ("FERRID__KEYS__POLL_INTERVAL", POLL_INTERVAL.to_string()),
            ("FERRID__KEYS__JWKS_MAX_AGE", "0".into()),
            ("FERRID__KEYS__PUBLISH_AHEAD", PUBLISH_AHEAD.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let mut cluster = Cluster {
            env,
            balancer,
            replicas: Vec::new(),
        };
        // At the same moment: all three migrate a fresh schema and look for the first keys.
        let replicas: Vec<Replica> = (0..3).map(|_| cluster.spawn_replica()).collect();
        cluster.replicas = replicas;
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        for (i, replica) in cluster.replicas.iter_mut().enumerate() {
            loop {
                let ready = http
                    .get(format!("http://{}/readyz", replica.address))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200);
                if ready {
                    break;
                }
                let exited = replica.child.try_wait().unwrap();
                assert!(
                    exited.is_none() && Instant::now() < deadline,
                    "replica {i} did not come up ({exited:?}):\n{}",
                    replica.output.lock().unwrap()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        cluster
            .balancer
            .set_backends(cluster.replicas.iter().map(|r| r.address).collect());
        cluster
    }

    fn pin(&self, replica: usize) {
        self.balancer.pin(replica);
    }

    fn browser(&self, user: Option<User>) -> Browser {
        Browser::one_connection_per_request(&self.balancer.address(), user)
    }

    fn user(&self) -> User {
        let user = User {
            email: format!("{}@example.com", ferrid::domain::random_id().to_lowercase()),
            password: PASSWORD.to_string(),
        };
        self.ferrid(
            &["user", "add", "--email", &user.email, "--password-stdin"],
            &format!("{}\n", user.password),
        );
        user
    }

    fn client(&self) -> Rp {
        let out = self.ferrid(
            &[
                "client",
                "add",
                "--name",
                "Replicated RP",
                "--redirect-uri",
                REDIRECT,
                "--grant",
                "authorization_code",
                "--grant",
                "refresh_token",
                "--grant",
                "client_credentials",
                "--scope",
                "openid email offline_access api.read",
                "--json",
            ],
            "",
        );
        let client: Value = serde_json::from_str(&out).unwrap();
        Rp::at(
            &self.balancer.address(),
            s(&client["client_id"]),
            Some(s(&client["client_secret"])),
            REDIRECT,
        )
    }

    /// The kids the replica publishes.
    async fn kids(&self, replica: usize) -> Vec<String> {
        let jwks: Value = reqwest::get(format!("http://{}/jwks", self.replicas[replica].address))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| s(&k["kid"]).to_string())
            .collect()
    }
}

/// The login page's form, filled in for `user`: where it sends the browser next.
async fn log_in_on(browser: &Browser, login_location: &str, user: &User) -> String {
    let page = browser.page(login_location).await;
    let mut fields = vec![
        ("email", user.email.as_str()),
        ("password", user.password.as_str()),
    ];
    let return_to = extract_field(&page, "return_to");
    if let Some(r) = &return_to {
        fields.push(("return_to", r));
    }
    let response = browser.submit(&page, "/login", &fields).await;
    assert_eq!(response.status(), 303, "login");
    location_of(&response)
}

#[tokio::test]
#[cfg_attr(
    not(all(ferrid_postgres, ferrid_redis)),
    ignore = "set FERRID_TEST_POSTGRES_URL and FERRID_TEST_REDIS_URL to run"
)]
async fn three_replicas_share_everything_and_survive_losing_one() {
    let mut cluster = Cluster::start().await;

    // Every replica printed a setup link, and a later start did not break an earlier one's.
    let links: Vec<String> = cluster
        .replicas
        .iter()
        .map(|r| {
            let out = r.output();
            out.lines()
                .find_map(|l| l.trim().strip_prefix(&cluster.balancer.address()))
                .filter(|path| path.starts_with("/setup?token="))
                .unwrap_or_else(|| panic!("no setup link printed:\n{out}"))
                .to_string()
        })
        .collect();
    let anyone = cluster.browser(None);
    for (i, link) in links.iter().enumerate() {
        cluster.pin((i + 1) % 3);
        assert_eq!(anyone.status(link).await, 200, "setup link of replica {i}");
    }

    let (user, rp) = (cluster.user(), cluster.client());
    a_login_at_a_continues_at_b(&cluster, &user, &rp).await;
    a_session_from_a_is_valid_at_b_and_ends_at_c(&cluster, &user).await;
    refresh_rotation_spans_replicas(&cluster, &user, &rp).await;
    a_rotation_reaches_every_replica(&cluster, &rp).await;
    throttling_counts_across_replicas(&cluster).await;
    killing_a_replica_loses_no_acknowledged_token(&mut cluster, &rp).await;
}

/// A, then B, then C, then A: the authorization request, the login, the resumed request,
/// the consent. The code from A is redeemed at B and replayed at C, which revokes what B
/// issued (RFC 6749 §4.1.2).
async fn a_login_at_a_continues_at_b(cluster: &Cluster, user: &User, rp: &Rp) {
    let browser = cluster.browser(Some(user.clone()));
    let request = rp.request("openid email").with_pkce();
    cluster.pin(A);
    let login = location_of(&browser.get(&request.url()).await);
    assert!(login.starts_with("/login"), "{login}");
    cluster.pin(B);
    let back = log_in_on(&browser, &login, user).await;
    cluster.pin(C);
    let consent = location_of(&browser.get(&back).await);
    assert!(consent.starts_with("/consent"), "{consent}");
    cluster.pin(A);
    let page = browser.consent_page(&consent).await;
    let to_client = location_of(&browser.consent(&page, Consent::Allow).await);
    let code = query_of(&to_client)["code"].clone();

    cluster.pin(B);
    let (status, tokens) = rp.exchange(&code, request.verifier.as_deref()).await;
    assert_eq!(status, 200, "the code from A is redeemed at B: {tokens}");
    cluster.pin(C);
    let replay = rp.exchange(&code, request.verifier.as_deref()).await;
    assert_error(&replay, 400, "invalid_grant");
    cluster.pin(A);
    let (_, seen) = rp.introspect(tokens.access_token()).await;
    assert_eq!(seen["active"], false, "the replay at C revoked B's token");
}

async fn a_session_from_a_is_valid_at_b_and_ends_at_c(cluster: &Cluster, user: &User) {
    let browser = cluster.browser(Some(user.clone()));
    cluster.pin(A);
    assert_eq!(
        browser.login(&user.email, &user.password).await.status(),
        303
    );
    cluster.pin(B);
    assert_eq!(browser.status("/account").await, 200, "A's session at B");
    cluster.pin(C);
    let out = browser.form("/logout", &[]).await;
    assert!(
        out.status().is_redirection() || out.status() == 200,
        "{}",
        out.status()
    );
    for replica in [A, B, C] {
        cluster.pin(replica);
        let account = browser.get("/account").await;
        assert_eq!(account.status(), 303, "logged out at {replica}");
        assert!(location_of(&account).starts_with("/login"));
    }
}

/// Rotation at A, a retry of the same token at B within the grace (a lost answer), the
/// newest used at C; then the first token again (its successor was used: a real reuse)
/// revokes the family everywhere.
async fn refresh_rotation_spans_replicas(cluster: &Cluster, user: &User, rp: &Rp) {
    cluster.balancer.round_robin();
    let browser = cluster.browser(Some(user.clone()));
    let request = rp.request("openid email offline_access").with_pkce();
    let end = browser.follow(&request.url(), Consent::Allow).await;
    let (status, first) = rp.exchange(&end.code(), request.verifier.as_deref()).await;
    assert_eq!(status, 200, "{first}");
    let rt = first.refresh_token().to_string();

    cluster.pin(A);
    let (status, lost) = rp.refresh(&rt, None).await;
    assert_eq!(status, 200, "rotated at A: {lost}");
    cluster.pin(B);
    let (status, retried) = rp.refresh(&rt, None).await;
    assert_eq!(status, 200, "retried at B within the grace: {retried}");
    cluster.pin(C);
    assert_error(
        &rp.refresh(lost.refresh_token(), None).await,
        400,
        "invalid_grant",
    );
    let (status, newest) = rp.refresh(retried.refresh_token(), None).await;
    assert_eq!(status, 200, "the retry's token works at C: {newest}");
    cluster.pin(A);
    assert_error(&rp.refresh(&rt, None).await, 400, "invalid_grant");
    cluster.pin(B);
    assert_error(
        &rp.refresh(newest.refresh_token(), None).await,
        400,
        "invalid_grant",
    );
}

/// `ferrid keys rotate` beside the replicas: B publishes the next keys within
/// `keys.poll_interval`, and signs with them once they are active.
async fn a_rotation_reaches_every_replica(cluster: &Cluster, rp: &Rp) {
    let before = cluster.kids(B).await;
    cluster.ferrid(&["keys", "rotate"], "");
    let rotated = Instant::now();
    let slack = Duration::from_secs(2);
    let published = loop {
        let kids = cluster.kids(B).await;
        if kids.len() > before.len() {
            break kids;
        }
        assert!(
            rotated.elapsed() < Duration::from_secs(POLL_INTERVAL) + slack,
            "B did not publish the next keys: {kids:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let new: Vec<_> = published.iter().filter(|k| !before.contains(k)).collect();
    cluster.pin(B);
    loop {
        let (status, token) = rp.client_credentials(Some("api.read")).await;
        assert_eq!(status, 200, "{token}");
        let kid = jwt_header(token.access_token())["kid"]
            .as_str()
            .unwrap()
            .to_string();
        if new.contains(&&kid) {
            break;
        }
        assert!(
            rotated.elapsed() < Duration::from_secs(PUBLISH_AHEAD + 2 * POLL_INTERVAL) + slack,
            "B still signs with {kid}, not one of {new:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The limit is 3 failures per (account, IP): one at each replica, and the right password
/// is then refused at any (Redis keeps one count).
async fn throttling_counts_across_replicas(cluster: &Cluster) {
    let user = cluster.user();
    for replica in [A, B, C] {
        cluster.pin(replica);
        let browser = cluster.browser(None);
        let status = browser
            .login(&user.email, "not the password at all")
            .await
            .status();
        assert_eq!(status, 400, "failure at {replica}");
    }
    for replica in [A, B, C] {
        cluster.pin(replica);
        let browser = cluster.browser(None);
        let status = browser.login(&user.email, &user.password).await.status();
        assert_eq!(status, 429, "throttled at {replica}");
    }
}

/// Load through the balancer (round-robin) while B is killed: every token answered 200
/// introspects active afterwards, and A and C go on serving.
async fn killing_a_replica_loses_no_acknowledged_token(cluster: &mut Cluster, rp: &Rp) {
    cluster.balancer.round_robin();
    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(Mutex::new(Vec::<(Instant, String)>::new()));
    let mut load = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (rp, stop, issued) = (rp.clone(), stop.clone(), issued.clone());
        load.spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                // Anything but a 200 (a reset connection, a 5xx) is not an acknowledged write.
                if let Some(token) = try_client_credentials(&rp).await {
                    issued.lock().unwrap().push((Instant::now(), token));
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.replicas[B].child.kill().unwrap();
    cluster.replicas[B].child.wait().unwrap();
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    load.join_all().await;

    let issued = std::mem::take(&mut *issued.lock().unwrap());
    let after = issued.iter().filter(|(at, _)| *at > killed).count();
    assert!(
        issued.len() > after && after > 0,
        "load ran before and after the kill"
    );
    for _ in 0..10 {
        assert!(try_client_credentials(rp).await.is_some(), "A and C serve");
    }
    let mut inactive = 0;
    for chunk in issued.chunks(8) {
        let mut checks = tokio::task::JoinSet::new();
        for (_, token) in chunk {
            let (rp, token) = (rp.clone(), token.clone());
            checks.spawn(async move { rp.introspect(&token).await });
        }
        for (status, seen) in checks.join_all().await {
            assert_eq!(status, 200);
            if seen["active"] != true {
                inactive += 1;
            }
        }
    }
    assert_eq!(inactive, 0, "of {} acknowledged tokens", issued.len());
}

async fn try_client_credentials(rp: &Rp) -> Option<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let response = client
        .post(rp.endpoint("/token"))
        .basic_auth(&rp.client_id, rp.secret.as_deref())
        .form(&[("grant_type", "client_credentials"), ("scope", "api.read")])
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    Some(s(&body["access_token"]).to_string())
}
