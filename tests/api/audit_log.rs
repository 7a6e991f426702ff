//! The audit log as administrators read it (`ferrid audit list`, and the console's filter
//! and export, which share `accounts::audit_log`): snake_case kinds, filters, CSV that is
//! quoted and never a formula, and retention purged by the maintenance job.
use std::time::Duration;

use ferrid::store::audit::{self, Event, EventKind};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    every_kind_is_snake_case_in_the_database,
    audit_list_filters_by_kind_user_and_time,
    csv_export_is_quoted_and_defuses_formulas,
    bad_filters_are_usage_errors,
    the_maintenance_job_purges_events_past_retention,
    login_events_name_the_browser,
);

/// A login's events carry the browser's User-Agent beside its IP (issue 11.3).
async fn login_events_name_the_browser(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let agent = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0";
    let browser = Browser::with_user_agent(&app.address, None, agent);
    browser
        .login(&user.email, "not the right password at all")
        .await;
    browser.login(&user.email, &user.password).await;
    for kind in ["login_failed", "login_succeeded"] {
        let events = app.audit_of(kind);
        assert_eq!(events.len(), 1, "{kind}");
        assert_eq!(events[0].user_agent.as_deref(), Some(agent), "{kind}");
        assert!(events[0].ip.is_some(), "{kind}");
    }
}

fn audit_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = app.ferrid_command();
    cmd.arg("audit").arg("list").args(args);
    cmd.output().unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// What the flows write are the names the console, CSV and CLI show: no dotted kind left.
async fn every_kind_is_snake_case_in_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let browser = app.browser();
    browser
        .login(&user.email, "not the password at all 42")
        .await;
    app.logged_in_browser(&user).await;
    let kinds = app.audit_kinds();
    for kind in ["login_failed", "login_succeeded", "key_created"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind}: {kinds:?}");
    }
    for kind in &kinds {
        assert!(
            EventKind::parse(kind).is_some(),
            "{kind} is a known snake_case kind"
        );
    }
}

async fn audit_list_filters_by_kind_user_and_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let (alice, bob) = (app.new_user().await, app.new_user().await);
    app.logged_in_browser(&alice).await;
    app.clock.advance(3 * 86400);
    let since = ferrid::domain::utc::format(app.clock.now() - 60);
    app.logged_in_browser(&bob).await;

    let all = ok(&audit_cli(&app, &["--kind", "login_succeeded"]));
    assert!(
        all.contains(&alice.email) && all.contains(&bob.email),
        "{all}"
    );
    assert!(!all.contains("key_created"), "{all}");

    let by_user = ok(&audit_cli(&app, &["--user", &alice.email]));
    assert!(
        by_user.contains(&alice.email) && !by_user.contains(&bob.email),
        "{by_user}"
    );

    let recent = ok(&audit_cli(
        &app,
        &["--kind", "login_succeeded", "--since", &since],
    ));
    assert!(
        recent.contains(&bob.email) && !recent.contains(&alice.email),
        "{recent}"
    );

    let nobody = ok(&audit_cli(&app, &["--user", "nobody@example.com"]));
    assert_eq!(nobody.trim(), "no events");
}

async fn csv_export_is_quoted_and_defuses_formulas(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.new_user().await;
    let id = app.user_id(&user);
    let event = Event::new(EventKind::LoginFailed)
        .user(&id)
        .ip(Some("203.0.113.9"))
        .user_agent(Some("=HYPERLINK(\"http://evil.example\",\"x\")"))
        .detail("-2+3, \"quoted\"\nsecond line");
    audit::record(&mut app.conn(), &event, app.clock.now()).unwrap();

    let csv = ok(&audit_cli(&app, &["--csv", "--kind", "login_failed"]));
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "id,time,kind,actor_id,actor_email,user_id,user_email,client_id,ip,user_agent,detail"
    );
    let row = csv.split_once("\r\n").unwrap().1;
    assert!(
        row.contains(&format!(
            ",login_failed,,,{id},{},,203.0.113.9,",
            user.email
        )),
        "{row}"
    );
    assert!(
        row.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""),
        "formula defused and quoted: {row}"
    );
    assert!(
        row.contains("\"'-2+3, \"\"quoted\"\"\nsecond line\"\r\n"),
        "{row}"
    );
    // One header and one event.
    assert_eq!(csv.matches(",login_failed,").count(), 1);
}

async fn bad_filters_are_usage_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases: &[(&[&str], &str)] = &[
        (&["--kind", "login.succeeded"], "kind"),
        (&["--since", "yesterday"], "since"),
        (&["--until", "2026-02-30"], "until"),
        (&["--ip", "not-an-ip"], "ip"),
        (&["--user", "no-at-sign@"], "user"),
    ];
    for (args, name) in cases {
        let out = audit_cli(&app, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(name), "{args:?}: {stderr}");
    }
}

/// `audit.retention_days` (here 30): the maintenance job deletes older events and keeps
/// the rest.
async fn the_maintenance_job_purges_events_past_retention(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.audit.retention_days = 30;
        s.keys.poll_interval = std::num::NonZeroU64::new(1).unwrap();
    })
    .await;
    let t0 = app.clock.now();
    let old = Event::new(EventKind::LoginFailed).detail("old");
    audit::record(&mut app.conn(), &old, t0).unwrap();
    let recent = Event::new(EventKind::LoginFailed).detail("recent");
    audit::record(&mut app.conn(), &recent, t0 + 10 * 86400).unwrap();
    app.clock.advance(31 * 86400);
    eventually(
        Duration::from_secs(20),
        "the old event is purged",
        || async {
            app.audit_of("login_failed")
                .iter()
                .all(|e| e.detail != "old")
        },
    )
    .await;
    let left: Vec<String> = app
        .audit_of("login_failed")
        .into_iter()
        .map(|e| e.detail)
        .collect();
    assert_eq!(left, ["recent"]);
}
