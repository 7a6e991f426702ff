//! The audit log as administrators read it, in the console and with `ferrid audit list`
//! (one implementation): a filter typed as text (kind, user by address or id, client, IP,
//! time range) checked into a `store::audit::Filter`, pages by keyset, and the CSV export.
use std::collections::HashMap;
use std::net::IpAddr;

use crate::domain::{utc, Email};
use crate::store::audit::{self, EventKind, Filter, StoredEvent};
use crate::store::{users, DbConn, StoreError};

/// The filter as typed; empty fields do not filter.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub kind: String,
    /// An email address or a user id: events about that user or by them.
    pub user: String,
    pub client: String,
    pub ip: String,
    /// UTC, inclusive: `2026-12-02`, `2026-12-02T06:30`, or unix seconds.
    pub since: String,
    /// UTC, exclusive.
    pub until: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditLogError {
    /// A filter field was refused; the message names it.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Longer values cannot be a kind, an id or an address we store.
const MAX_FIELD: usize = 320;

/// Checks the typed filter. An address that has no account filters to nothing (its text
/// stands in for the id, which no user has).
pub fn filter(conn: &mut DbConn, query: &AuditQuery) -> Result<Filter, AuditLogError> {
    let invalid = |m: &str| AuditLogError::Invalid(m.to_string());
    let field = |raw: &str| -> Result<Option<String>, AuditLogError> {
        let raw = raw.trim();
        if raw.chars().count() > MAX_FIELD || raw.chars().any(char::is_control) {
            return Err(invalid(
                "a filter value is too long or holds control characters",
            ));
        }
        Ok((!raw.is_empty()).then(|| raw.to_string()))
    };
    let kind = match field(&query.kind)? {
        None => None,
        Some(k) => Some(
            EventKind::parse(&k)
                .ok_or_else(|| invalid("kind: not a known event kind"))?
                .as_str()
                .to_string(),
        ),
    };
    let user_id = match field(&query.user)? {
        Some(user) if user.contains('@') => {
            let email = Email::parse(&user).map_err(|e| invalid(&format!("user: {e}")))?;
            Some(match users::find_by_email(conn, &email)? {
                Some(found) => found.id,
                None => user,
            })
        }
        other => other,
    };
    let ip = match field(&query.ip)? {
        None => None,
        Some(ip) => Some(
            ip.parse::<IpAddr>()
                .map_err(|_| invalid("ip: not an IP address"))?
                .to_string(),
        ),
    };
    let time = |name: &str, raw: &str| -> Result<Option<i64>, AuditLogError> {
        field(raw)?
            .map(|t| utc::parse(&t).map_err(|e| invalid(&format!("{name}: {e}"))))
            .transpose()
    };
    Ok(Filter {
        kind,
        user_id,
        client_id: field(&query.client)?,
        ip,
        since: time("since", &query.since)?,
        until: time("until", &query.until)?,
    })
}

/// One page of events, newest first, and where the next one starts.
pub struct AuditPage {
    pub events: Vec<ShownEvent>,
    /// The `before` of the next page; `None` on the last.
    pub next: Option<i64>,
}

/// An event with the addresses of its users (when they still exist).
#[derive(Clone, Debug)]
pub struct ShownEvent {
    pub event: StoredEvent,
    pub user_email: Option<String>,
    pub actor_email: Option<String>,
}

impl ShownEvent {
    pub fn time(&self) -> String {
        utc::format(self.event.at)
    }
}

/// Events matching `filter` below the id `before`, `limit` of them.
pub fn page(
    conn: &mut DbConn,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> Result<AuditPage, StoreError> {
    let mut events = audit::search(conn, filter, before, limit + 1)?;
    let next = if events.len() as i64 > limit {
        events.truncate(limit as usize);
        events.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        events: with_emails(conn, events)?,
        next,
    })
}

fn with_emails(conn: &mut DbConn, events: Vec<StoredEvent>) -> Result<Vec<ShownEvent>, StoreError> {
    let mut ids: Vec<&str> = events
        .iter()
        .flat_map(|e| [e.user_id.as_deref(), e.actor_id.as_deref()])
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let emails: HashMap<String, String> = audit::emails_of(conn, &ids)?;
    let email = |id: &Option<String>| id.as_ref().and_then(|id| emails.get(id)).cloned();
    Ok(events
        .into_iter()
        .map(|event| ShownEvent {
            user_email: email(&event.user_id),
            actor_email: email(&event.actor_id),
            event,
        })
        .collect())
}

/// Rows read per query while exporting.
const EXPORT_BATCH: i64 = 1000;

/// Every event matching `filter`, newest first, as CSV (RFC 4180, CRLF line ends), read
/// in keyset batches.
pub fn export_csv(conn: &mut DbConn, filter: &Filter) -> Result<String, StoreError> {
    let mut out = String::new();
    csv_row(&mut out, CSV_HEADER.iter().copied());
    let mut before = None;
    loop {
        let page = page(conn, filter, before, EXPORT_BATCH)?;
        for shown in &page.events {
            write_csv_event(&mut out, shown);
        }
        match page.next {
            Some(next) => before = Some(next),
            None => return Ok(out),
        }
    }
}

pub const CSV_HEADER: [&str; 11] = [
    "id",
    "time",
    "kind",
    "actor_id",
    "actor_email",
    "user_id",
    "user_email",
    "client_id",
    "ip",
    "user_agent",
    "detail",
];

fn write_csv_event(out: &mut String, shown: &ShownEvent) {
    let e = &shown.event;
    let id = e.id.to_string();
    let time = shown.time();
    let opt = |v: &Option<String>| v.as_deref().unwrap_or("").to_string();
    let cells = [
        id,
        time,
        e.kind.clone(),
        opt(&e.actor_id),
        opt(&shown.actor_email),
        opt(&e.user_id),
        opt(&shown.user_email),
        opt(&e.client_id),
        opt(&e.ip),
        opt(&e.user_agent),
        e.detail.clone(),
    ];
    csv_row(out, cells.iter().map(String::as_str));
}

fn csv_row<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(cell));
    }
    out.push_str("\r\n");
}

/// One CSV field. A value a spreadsheet would run as a formula (starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return: OWASP "CSV Injection") gets a leading `'`, so a
/// user agent or a detail an attacker chose opens as text; a field holding a comma, a quote
/// or a line break is quoted, its quotes doubled (RFC 4180 §2).
pub fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        #[rustfmt::skip]
        let cases = [
            ("plain", "plain"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("=HYPERLINK(\"http://evil\")", "\"'=HYPERLINK(\"\"http://evil\"\")\""),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("a=b", "a=b"),
        ];
        for (raw, cell) in cases {
            assert_eq!(csv_cell(raw), cell, "{raw:?}");
        }
    }
}
