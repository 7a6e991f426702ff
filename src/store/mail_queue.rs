//! The mail queue: a message is written here in the transaction of what caused it (so it is
//! sent if and only if that commits), and the delivery worker sends it later, outside any
//! transaction, retrying with backoff. Sent rows are kept a while, failures keep their last
//! error, so both show in the console.
//!
//! A row is *queued* while `sent_at` is NULL and `next_attempt_at` is set, *sent* once
//! `sent_at` is set, and *given up* when both are NULL.
use diesel::prelude::*;

use super::schema::mail_queue;
use super::{DbConn, StoreError};
use crate::domain::MailMessage;

/// A row of the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub message: MailMessage,
    pub created_at: i64,
    /// When the next delivery may start; NULL once sent or given up.
    pub next_attempt_at: Option<i64>,
    /// Delivery attempts started (a claim counts as one).
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = mail_queue)]
struct Row {
    id: i64,
    recipient: String,
    subject: String,
    text_body: String,
    html_body: String,
    created_at: i64,
    next_attempt_at: Option<i64>,
    attempts: i32,
    last_error: Option<String>,
    sent_at: Option<i64>,
}

impl From<Row> for QueuedMail {
    fn from(r: Row) -> Self {
        QueuedMail {
            id: r.id,
            message: MailMessage {
                to: r.recipient,
                subject: r.subject,
                text: r.text_body,
                html: r.html_body,
            },
            created_at: r.created_at,
            next_attempt_at: r.next_attempt_at,
            attempts: r.attempts,
            last_error: r.last_error,
            sent_at: r.sent_at,
        }
    }
}

/// Queues a message, due at once; returns its id. Callers run it inside their own
/// transaction, beside the change the message reports.
pub fn enqueue(conn: &mut DbConn, message: &MailMessage, now: i64) -> Result<i64, StoreError> {
    let insert = diesel::insert_into(mail_queue::table)
        .values((
            mail_queue::recipient.eq(&message.to),
            mail_queue::subject.eq(&message.subject),
            mail_queue::text_body.eq(&message.text),
            mail_queue::html_body.eq(&message.html),
            mail_queue::created_at.eq(now),
            mail_queue::next_attempt_at.eq(Some(now)),
            mail_queue::attempts.eq(0),
        ))
        .returning(mail_queue::id);
    // RETURNING does not compile through the multi-backend connection; both backends have it.
    let id = match conn {
        DbConn::Postgresql(c) => insert.get_result(c)?,
        DbConn::Sqlite(c) => insert.get_result(c)?,
    };
    Ok(id)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = mail_queue)]
struct DueRow {
    id: i64,
    next_attempt_at: Option<i64>,
}

/// Claims up to `limit` due messages for one delivery attempt each: every claim is one
/// conditional update that moves `next_attempt_at` to `now + lease` and counts the attempt,
/// so two replicas cannot both claim a message, and a worker that dies mid-delivery leaves it
/// to be claimed again when the lease ends. Returns the claimed rows as they are now.
pub fn claim_due(
    conn: &mut DbConn,
    now: i64,
    limit: i64,
    lease: i64,
) -> Result<Vec<QueuedMail>, StoreError> {
    let due: Vec<DueRow> = mail_queue::table
        .filter(mail_queue::sent_at.is_null())
        .filter(mail_queue::next_attempt_at.le(now))
        .order((mail_queue::next_attempt_at.asc(), mail_queue::id.asc()))
        .limit(limit)
        .select(DueRow::as_select())
        .load(conn)?;
    let mut claimed = Vec::with_capacity(due.len());
    for DueRow {
        id,
        next_attempt_at: seen,
    } in due
    {
        let n = diesel::update(
            mail_queue::table
                .find(id)
                .filter(mail_queue::sent_at.is_null())
                .filter(mail_queue::next_attempt_at.eq(seen)),
        )
        .set((
            mail_queue::next_attempt_at.eq(Some(now + lease)),
            mail_queue::attempts.eq(mail_queue::attempts + 1),
        ))
        .execute(conn)?;
        if n == 1 {
            claimed.extend(find(conn, id)?);
        }
    }
    Ok(claimed)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<QueuedMail>, StoreError> {
    Ok(mail_queue::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(QueuedMail::from))
}

pub fn mark_sent(conn: &mut DbConn, id: i64, now: i64) -> Result<(), StoreError> {
    diesel::update(mail_queue::table.find(id))
        .set((
            mail_queue::sent_at.eq(Some(now)),
            mail_queue::next_attempt_at.eq(None::<i64>),
            mail_queue::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: the error stays visible, and the message is due again at
/// `next_attempt_at`, or never (`None`: given up).
pub fn mark_failed(
    conn: &mut DbConn,
    id: i64,
    error: &str,
    next_attempt_at: Option<i64>,
) -> Result<(), StoreError> {
    // An SMTP server's answer can be long; the start says what happened.
    let error: String = error.chars().take(1000).collect();
    diesel::update(
        mail_queue::table
            .find(id)
            .filter(mail_queue::sent_at.is_null()),
    )
    .set((
        mail_queue::last_error.eq(Some(error)),
        mail_queue::next_attempt_at.eq(next_attempt_at),
    ))
    .execute(conn)?;
    Ok(())
}

/// The state of the queue, for the console.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailQueueStats {
    /// Not yet sent, still to be tried.
    pub queued: i64,
    /// Queued and due now.
    pub due: i64,
    /// Queued after at least one failed attempt.
    pub failing: i64,
    /// Never to be tried again; the last error says why.
    pub given_up: i64,
    /// When the oldest queued message was written.
    pub oldest_queued_at: Option<i64>,
}

pub fn stats(conn: &mut DbConn, now: i64) -> Result<MailQueueStats, StoreError> {
    let queued = || {
        mail_queue::table
            .filter(mail_queue::sent_at.is_null())
            .filter(mail_queue::next_attempt_at.is_not_null())
    };
    Ok(MailQueueStats {
        queued: queued().count().get_result(conn)?,
        due: queued()
            .filter(mail_queue::next_attempt_at.le(now))
            .count()
            .get_result(conn)?,
        failing: queued()
            .filter(mail_queue::last_error.is_not_null())
            .count()
            .get_result(conn)?,
        given_up: mail_queue::table
            .filter(mail_queue::sent_at.is_null())
            .filter(mail_queue::next_attempt_at.is_null())
            .count()
            .get_result(conn)?,
        oldest_queued_at: queued()
            .select(diesel::dsl::min(mail_queue::created_at))
            .first(conn)?,
    })
}

/// Deletes messages sent before `before` (their bodies hold links that must not linger);
/// given-up messages stay until an administrator has seen them. Returns how many went.
pub fn purge_sent(conn: &mut DbConn, before: i64) -> Result<usize, StoreError> {
    Ok(diesel::delete(mail_queue::table.filter(mail_queue::sent_at.lt(before))).execute(conn)?)
}
