//! /admin/audit: filters (kind, user, client, IP, time), keyset pages, the CSV export of
//! what the filter matches, and bad filters answered 400.
use ferrid::store::audit::{self, Event, EventKind};

use super::{between, unescape};
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    the_log_filters_by_kind_user_client_ip_and_time,
    the_log_pages_by_keyset,
    the_csv_export_holds_the_filtered_events,
    bad_filters_are_400,
);

fn record(app: &TestApp, event: Event<'_>, at: i64) {
    audit::record(&mut app.conn(), &event, at).unwrap();
}

async fn the_log_filters_by_kind_user_client_ip_and_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, browser) = app.admin_browser().await;
    let user = app.new_user().await;
    let user_id = app.user_id(&user);
    let t = app.clock.now();
    record(
        &app,
        Event::new(EventKind::LoginFailed)
            .user(&user_id)
            .ip(Some("198.51.100.7"))
            .detail("marker-a"),
        t - 2 * 86400,
    );
    record(
        &app,
        Event::new(EventKind::TokenRevoked)
            .client("client-x")
            .detail("marker-b"),
        t - 86400,
    );
    record(
        &app,
        Event::new(EventKind::LoginFailed)
            .ip(Some("203.0.113.1"))
            .detail("marker-c"),
        t,
    );

    let shows = |body: &str, markers: &[&str]| {
        for m in ["marker-a", "marker-b", "marker-c"] {
            assert_eq!(body.contains(m), markers.contains(&m), "{m} in:\n{body}");
        }
    };
    shows(
        &browser.page("/admin/audit").await,
        &["marker-a", "marker-b", "marker-c"],
    );
    shows(
        &browser.page("/admin/audit?kind=login_failed").await,
        &["marker-a", "marker-c"],
    );
    let by_email = format!("/admin/audit?user={}", user.email.replace('@', "%40"));
    shows(&browser.page(&by_email).await, &["marker-a"]);
    shows(
        &browser.page(&format!("/admin/audit?user={user_id}")).await,
        &["marker-a"],
    );
    shows(
        &browser.page("/admin/audit?client=client-x").await,
        &["marker-b"],
    );
    shows(
        &browser.page("/admin/audit?ip=203.0.113.1").await,
        &["marker-c"],
    );
    let since = ferrid::domain::utc::format(t - 86400 - 1);
    let until = ferrid::domain::utc::format(t);
    shows(
        &browser
            .page(&format!("/admin/audit?since={since}&until={until}"))
            .await,
        &["marker-b"],
    );
    // The user column names the subject by address; the admin's own login is there too.
    let page = browser.page("/admin/audit?kind=login_succeeded").await;
    assert!(page.contains(&admin.email), "{page}");
}

async fn the_log_pages_by_keyset(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let t = app.clock.now();
    for i in 0..120 {
        let detail = format!("event-{i:03}");
        record(
            &app,
            Event::new(EventKind::ConsentGranted).detail(&detail),
            t,
        );
    }
    let first = browser.page("/admin/audit?kind=consent_granted").await;
    assert!(
        first.contains("event-119") && first.contains("event-070") && !first.contains("event-069"),
        "{first}"
    );
    let next = between(&first, "<a href=\"/admin/audit?", "\" rel=\"next\"")
        .map(unescape)
        .unwrap();
    let second = browser.page(&format!("/admin/audit?{next}")).await;
    assert!(
        second.contains("event-069")
            && second.contains("event-020")
            && !second.contains("event-070"),
        "{second}"
    );
    // Events written meanwhile do not shift the next page.
    record(
        &app,
        Event::new(EventKind::ConsentGranted).detail("event-new"),
        t,
    );
    let again = browser.page(&format!("/admin/audit?{next}")).await;
    assert_eq!(
        again.matches("event-").count(),
        second.matches("event-").count()
    );
    assert!(!again.contains("event-new"));
}

async fn the_csv_export_holds_the_filtered_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    let t = app.clock.now();
    record(
        &app,
        Event::new(EventKind::LoginFailed)
            .ip(Some("203.0.113.1"))
            .user_agent(Some("+cmd|' /C calc'!A0"))
            .detail("@SUM(1+1)"),
        t,
    );
    record(&app, Event::new(EventKind::TokenRevoked).detail("other"), t);
    let response = browser.get("/admin/audit.csv?kind=login_failed").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "id,time,kind,actor_id,actor_email,user_id,user_email,client_id,ip,user_agent,detail"
    );
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].ends_with(",login_failed,,,,,,203.0.113.1,'+cmd|' /C calc'!A0,'@SUM(1+1)"),
        "{csv}"
    );
    assert!(!csv.contains("other"));
}

async fn bad_filters_are_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, browser) = app.admin_browser().await;
    for query in [
        "kind=login.failed",
        "since=tomorrow",
        "ip=999.1.1.1",
        "user=a%40",
        "before=abc",
    ] {
        assert_eq!(
            browser.status(&format!("/admin/audit?{query}")).await,
            400,
            "{query}"
        );
        if !query.starts_with("before") {
            assert_eq!(
                browser.status(&format!("/admin/audit.csv?{query}")).await,
                400,
                "{query}"
            );
        }
    }
}
