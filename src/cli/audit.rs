//! `ferrid audit list`: the console's audit log filter and CSV export
//! (`accounts::audit_filter`, `accounts::export_csv`), from the command line.
use clap::Subcommand;

use super::{open_pool, CliError};
use crate::accounts::{self, AuditLogError, AuditQuery};
use crate::config::Settings;
use crate::store::StoreError;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Events, newest first (kinds are snake_case, e.g. login_failed, client_created).
    List {
        /// Only this kind.
        #[arg(long)]
        kind: Option<String>,
        /// From this UTC time on: 2026-12-02, 2026-12-02T06:30 or unix seconds.
        #[arg(long)]
        since: Option<String>,
        /// Before this UTC time.
        #[arg(long)]
        until: Option<String>,
        /// Events about or by this user (email address or user id).
        #[arg(long)]
        user: Option<String>,
        // A client_id may begin with "-" (random ids are base64url).
        #[arg(long, allow_hyphen_values = true)]
        client_id: Option<String>,
        #[arg(long)]
        ip: Option<String>,
        /// Every matching event as CSV (the console's export), instead of the latest.
        #[arg(long)]
        csv: bool,
        /// How many events to print without --csv.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

pub fn run(settings: &Settings, command: AuditCommand) -> Result<(), CliError> {
    let AuditCommand::List {
        kind,
        since,
        until,
        user,
        client_id,
        ip,
        csv,
        limit,
    } = command;
    let query = AuditQuery {
        kind: kind.unwrap_or_default(),
        user: user.unwrap_or_default(),
        client: client_id.unwrap_or_default(),
        ip: ip.unwrap_or_default(),
        since: since.unwrap_or_default(),
        until: until.unwrap_or_default(),
    };
    let pool = open_pool(settings)?;
    let mut conn = pool.get().map_err(StoreError::from)?;
    let filter = accounts::audit_filter(&mut conn, &query).map_err(|e| match e {
        AuditLogError::Invalid(m) => CliError::Usage(m),
        AuditLogError::Store(e) => e.into(),
    })?;
    if csv {
        print!("{}", accounts::export_csv(&mut conn, &filter)?);
        return Ok(());
    }
    let page = accounts::audit_page(&mut conn, &filter, None, i64::from(limit.max(1)))?;
    if page.events.is_empty() {
        println!("no events");
        return Ok(());
    }
    println!(
        "{:<20} {:<26} {:<28} {:<28} {:<16} DETAIL",
        "TIME", "KIND", "USER", "ACTOR", "IP"
    );
    for shown in &page.events {
        let e = &shown.event;
        let who = |email: &Option<String>, id: &Option<String>| {
            email
                .clone()
                .or_else(|| id.clone())
                .unwrap_or_else(|| "-".into())
        };
        // Details and names are written escaped: no terminal escape reaches the screen.
        println!(
            "{:<20} {:<26} {:<28} {:<28} {:<16} {}",
            shown.time(),
            e.kind,
            who(&shown.user_email, &e.user_id).escape_debug(),
            who(&shown.actor_email, &e.actor_id).escape_debug(),
            e.ip.as_deref().unwrap_or("-"),
            e.detail.escape_debug()
        );
    }
    if page.next.is_some() {
        println!("(more: narrow with --since/--until or use --csv for every event)");
    }
    Ok(())
}
