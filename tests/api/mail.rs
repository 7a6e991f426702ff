//! Mail: the queue, the delivery worker and both transports. SMTP goes to a stand-in written
//! here (just enough SMTP to take a message); the clock is moved past the backoff instead of
//! sleeping.
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use ferrid::config::{MailSettings, MailTransport, SmtpTls};
use ferrid::domain::Email;
use ferrid::mail::worker::{self, DeliveryReport};
use ferrid::mail::{Links, Mail, MailMessage, Mailer};
use ferrid::store::mail_queue::{self, MailQueueStats};

use crate::helpers::{eventually, quoted_printable_decode, spawn_app, Backend, TestApp};
use crate::on_both_backends;

/// What the stand-in received in one SMTP transaction.
#[derive(Clone, Debug, Default)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

/// Serves SMTP on `listener` from a background thread: 220 greeting, EHLO → 250,
/// MAIL/RCPT → 250, DATA → 354 and "." → 250, QUIT → 221. Keeps what it received.
fn smtp_stand_in(listener: TcpListener) -> Arc<Mutex<Vec<Received>>> {
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Some(mail) = serve_one(stream) {
                store.lock().unwrap().push(mail);
            }
        }
    });
    received
}

fn serve_one(stream: TcpStream) -> Option<Received> {
    let mut out = stream.try_clone().ok()?;
    let mut reader = BufReader::new(stream);
    let mut mail = Received::default();
    let mut done = false;
    out.write_all(b"220 stand-in ESMTP\r\n").ok()?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return done.then_some(mail);
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 stand-in\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail.mail_from = command[10..].to_string();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            mail.rcpt_to.push(command[8..].to_string());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            out.write_all(b"354 end with <CRLF>.<CRLF>\r\n").ok()?;
            loop {
                let mut data_line = String::new();
                if reader.read_line(&mut data_line).ok()? == 0 {
                    return None;
                }
                if data_line == ".\r\n" {
                    break;
                }
                mail.data.push_str(&data_line);
            }
            done = true;
            b"250 OK queued\r\n"
        } else if upper == "QUIT" {
            out.write_all(b"221 bye\r\n").ok()?;
            return done.then_some(mail);
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        out.write_all(reply).ok()?;
    }
}

/// A loopback port with nothing listening on it (bound, then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn smtp_settings(app: &TestApp, port: u16) -> MailSettings {
    let mut settings = app.state.settings.mail.clone();
    settings.transport = MailTransport::Smtp;
    settings.smtp_host = Some("127.0.0.1".into());
    settings.smtp_port = Some(port);
    settings.smtp_tls = SmtpTls::None;
    settings.timeout = std::num::NonZeroU64::new(5).unwrap();
    settings
}

fn message(to: &str) -> MailMessage {
    MailMessage {
        to: to.into(),
        subject: "Reset your Ferrid password".into(),
        text: "Choose a new password: http://127.0.0.1/reset-password?token=abc".into(),
        html: "<p>Choose a new password</p>".into(),
    }
}

/// One worker round at the app's current time, off the async runtime (it blocks).
async fn deliver(app: &TestApp, mailer: &Mailer) -> DeliveryReport {
    let (pool, mailer, now) = (app.state.pool.clone(), mailer.clone(), app.clock.now());
    tokio::task::spawn_blocking(move || worker::deliver_due(&pool, &mailer, now))
        .await
        .unwrap()
        .unwrap()
}

/// A message queued while the SMTP server (at `port`) is down, after the round that
/// failed to send it: the app, the mailer, the message's id and when it was queued.
struct DownServer {
    app: TestApp,
    mailer: Mailer,
    port: u16,
    id: i64,
    queued_at: i64,
}

async fn queued_while_down(backend: Backend) -> DownServer {
    let app = spawn_app(backend).await;
    let port = closed_port();
    let mailer = Mailer::from_settings(&smtp_settings(&app, port), false).unwrap();
    let queued_at = app.clock.now();
    let id = mail_queue::enqueue(&mut app.conn(), &message("ann@example.com"), queued_at).unwrap();
    let report = deliver(&app, &mailer).await;
    assert_eq!(report.retrying, 1, "{report:?}");
    DownServer {
        app,
        mailer,
        port,
        id,
        queued_at,
    }
}

/// A message queued while the SMTP server is down is kept, with its error, for a retry
/// after the backoff; a round before then leaves it alone.
async fn a_message_for_a_down_server_is_kept_with_its_error(backend: Backend) {
    let DownServer {
        app,
        mailer,
        id,
        queued_at,
        ..
    } = queued_while_down(backend).await;
    let row = mail_queue::find(&mut app.conn(), id).unwrap().unwrap();
    assert_eq!(row.sent_at, None);
    assert_eq!(row.attempts, 1);
    assert_eq!(row.next_attempt_at, Some(queued_at + worker::FIRST_RETRY));
    assert!(
        row.last_error
            .as_deref()
            .is_some_and(|e| e.contains("SMTP")),
        "{row:?}"
    );
    let stats = mail_queue::stats(&mut app.conn(), app.clock.now()).unwrap();
    assert_eq!(
        stats,
        MailQueueStats {
            queued: 1,
            due: 0,
            failing: 1,
            given_up: 0,
            oldest_queued_at: Some(queued_at),
        }
    );

    // Not due yet: the next round leaves it alone.
    assert_eq!(deliver(&app, &mailer).await.claimed(), 0);
}

/// Once the server is up, the kept message is delivered after the backoff, once.
async fn a_kept_message_is_delivered_once_the_server_is_up(backend: Backend) {
    let DownServer {
        app,
        mailer,
        port,
        id,
        ..
    } = queued_while_down(backend).await;
    let received = smtp_stand_in(TcpListener::bind(("127.0.0.1", port)).unwrap());
    app.clock.advance(worker::FIRST_RETRY);
    let report = deliver(&app, &mailer).await;
    assert_eq!(
        report,
        DeliveryReport {
            sent: 1,
            ..DeliveryReport::default()
        }
    );
    let row = mail_queue::find(&mut app.conn(), id).unwrap().unwrap();
    assert_eq!(row.sent_at, Some(app.clock.now()));
    assert_eq!(
        (row.attempts, row.next_attempt_at, row.last_error),
        (2, None, None)
    );
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].rcpt_to, vec!["<ann@example.com>".to_string()]);
    assert_eq!(received[0].mail_from, "<no-reply@localhost>");
    assert!(received[0]
        .data
        .contains("Subject: Reset your Ferrid password"));

    // Sent means sent: no later round sends it again.
    app.clock.advance(3600);
    assert_eq!(deliver(&app, &mailer).await.claimed(), 0);
    let stats = mail_queue::stats(&mut app.conn(), app.clock.now()).unwrap();
    assert_eq!((stats.queued, stats.oldest_queued_at), (0, None));
}

/// Two workers (replicas) looking at the same moment: a due message is claimed once, and
/// only claimed again once its lease has run out.
async fn a_due_message_is_claimed_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let now = app.clock.now();
    let id = mail_queue::enqueue(&mut app.conn(), &message("ann@example.com"), now).unwrap();
    let first = mail_queue::claim_due(&mut app.conn(), now, 10, 600).unwrap();
    assert_eq!(first.iter().map(|m| m.id).collect::<Vec<_>>(), vec![id]);
    assert!(mail_queue::claim_due(&mut app.conn(), now, 10, 600)
        .unwrap()
        .is_empty());
    assert!(mail_queue::claim_due(&mut app.conn(), now + 599, 10, 600)
        .unwrap()
        .is_empty());
    let again = mail_queue::claim_due(&mut app.conn(), now + 600, 10, 600).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
}

/// After the last allowed attempt the message is given up, and its error stays visible.
async fn a_message_is_given_up_after_the_last_attempt(backend: Backend) {
    use ferrid::store::schema::mail_queue::dsl;
    let app = spawn_app(backend).await;
    let mailer = Mailer::from_settings(&smtp_settings(&app, closed_port()), false).unwrap();
    let id = mail_queue::enqueue(
        &mut app.conn(),
        &message("ann@example.com"),
        app.clock.now(),
    )
    .unwrap();
    diesel::update(dsl::mail_queue.find(id))
        .set(dsl::attempts.eq(worker::MAX_ATTEMPTS - 1))
        .execute(&mut *app.conn())
        .unwrap();
    let report = deliver(&app, &mailer).await;
    assert_eq!(report.gave_up, 1, "{report:?}");
    let row = mail_queue::find(&mut app.conn(), id).unwrap().unwrap();
    assert_eq!((row.sent_at, row.next_attempt_at), (None, None));
    assert!(row.last_error.is_some());
    let stats = mail_queue::stats(&mut app.conn(), app.clock.now()).unwrap();
    assert_eq!((stats.queued, stats.given_up), (0, 1));
    app.clock.advance(24 * 3600);
    assert_eq!(deliver(&app, &mailer).await.claimed(), 0);
}

/// The development default: the worker writes each queued message as an .eml file (lettre's
/// file transport) with a text and an HTML part, links under the issuer.
async fn the_outbox_gets_an_eml_with_text_and_html(backend: Backend) {
    let app = spawn_app(backend).await;
    let settings = app.state.settings.mail.clone();
    let mailer = Mailer::from_settings(&settings, false).unwrap();
    let link = Links::new(&app.state.issuer).reset_password("t0ken");
    let to = Email::parse("Ann@Example.com").unwrap();
    let message = Mail::PasswordReset { link: &link }
        .render(&to, &app.state.settings.ui)
        .unwrap();
    mail_queue::enqueue(&mut app.conn(), &message, app.clock.now()).unwrap();
    assert_eq!(deliver(&app, &mailer).await.sent, 1);

    let files: Vec<_> = std::fs::read_dir(&settings.outbox_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let eml = quoted_printable_decode(&std::fs::read_to_string(&files[0]).unwrap());
    for part in [
        "To: Ann@example.com",
        "Subject: Reset your Ferrid password",
        "Content-Type: multipart/alternative",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Type: text/html; charset=utf-8",
        &format!("{}/reset-password?token=t0ken", app.state.issuer),
    ] {
        assert!(eml.contains(part), "{part} missing from:\n{eml}");
    }
}

/// The worker thread delivers on its own, and ends once what it was tied to is gone.
async fn the_worker_thread_delivers_and_stops(backend: Backend) {
    let app = spawn_app(backend).await;
    let settings = app.state.settings.mail.clone();
    let mailer = Mailer::from_settings(&settings, false).unwrap();
    let alive = Arc::new(());
    let handle = worker::spawn(
        app.state.pool.clone(),
        mailer,
        app.clock.clone(),
        std::time::Duration::from_millis(20),
        "test-worker".into(),
        Arc::downgrade(&alive),
    )
    .unwrap();
    mail_queue::enqueue(
        &mut app.conn(),
        &message("ann@example.com"),
        app.clock.now(),
    )
    .unwrap();
    // A real thread runs here: poll, bounded.
    eventually(
        std::time::Duration::from_secs(5),
        "the worker delivered the message",
        || async {
            mail_queue::stats(&mut app.conn(), app.clock.now())
                .unwrap()
                .queued
                == 0
        },
    )
    .await;
    assert_eq!(std::fs::read_dir(&settings.outbox_dir).unwrap().count(), 1);
    drop(alive);
    tokio::task::spawn_blocking(move || handle.join())
        .await
        .unwrap()
        .expect("the worker ends cleanly");
}

on_both_backends!(
    a_message_for_a_down_server_is_kept_with_its_error,
    a_kept_message_is_delivered_once_the_server_is_up,
    a_due_message_is_claimed_once,
    a_message_is_given_up_after_the_last_attempt,
    the_outbox_gets_an_eml_with_text_and_html,
    the_worker_thread_delivers_and_stops,
);
