//! The real `ferrid serve` process: it starts on port 0, prints where it listens and the
//! first-run setup link, keeps secrets out of its request log, and stops cleanly on SIGTERM.
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::*;

/// Kills the server if the test fails before it is stopped, so no process outlives the run.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_prints_its_address_logs_no_secrets_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ferrid"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FERRID__SERVER__BIND", "127.0.0.1:0")
        .env("FERRID__SERVER__DATA_DIR", dir.path())
        .env(
            "FERRID__DATABASE__URL",
            format!("sqlite://{}", dir.path().join("f.db").display()),
        )
        .env("FERRID__PASSWORD__MEMORY_KIB", "64")
        .env("FERRID__PASSWORD__ITERATIONS", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let child = &mut child.0;
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("--password-stdin") {
        assert!(
            stdout.read_line(&mut printed).unwrap() > 0,
            "serve exited: {printed}"
        );
    }
    let address = printed
        .lines()
        .find_map(|l| l.strip_prefix("Ferrid is listening on "))
        .expect("prints where it listens")
        .trim()
        .to_string();
    assert!(
        printed.contains("ferrid user add --admin"),
        "says the CLI way too: {printed}"
    );

    // A login with a secret in the form, and a request with a secret in the query.
    let browser = Browser::new(&address, None);
    let page = browser.get("/login").await;
    assert_eq!(page.status(), 200);
    let csrf = extract_csrf(&page.text().await.unwrap()).unwrap();
    let password = "hunter2-very-secret-password";
    let fields = [("email", "a@example.com"), ("password", password)];
    browser.post("/login", &with_csrf(&fields, &csrf)).await;
    browser
        .get("/authorize?client_id=x&code=SECRET-CODE-VALUE&state=s")
        .await;

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    eventually(
        Duration::from_secs(35),
        "no graceful stop after SIGTERM",
        || std::future::ready(child.try_wait().unwrap().is_some()),
    )
    .await;
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");

    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("POST /login"), "requests are logged: {log}");
    for secret in [
        password,
        "SECRET-CODE-VALUE",
        csrf.as_str(),
        "ferrid_session",
        "ferrid_csrf",
    ] {
        assert!(
            !log.contains(secret),
            "{secret} leaked into the log:\n{log}"
        );
    }
}
