//! The `ferrid` command line: argument definitions and what each command does.
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Settings;
use crate::startup::Application;
use crate::store::{self, StoreError};

mod admin;
mod apply;
mod audit;
mod backup;
mod client;
mod keys;
mod user;

pub use audit::AuditCommand;
pub use client::ClientCommand;

#[derive(Parser)]
#[command(
    name = "ferrid",
    version,
    about = "An OAuth 2.0 / OpenID Connect identity provider"
)]
pub struct Cli {
    /// A TOML file layered over the built-in defaults (FERRID__SECTION__KEY variables win).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (creates the database and runs migrations first).
    Serve,
    /// Run database migrations only.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Inspect and rotate the signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Register, list, show, change and delete OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Bring clients and users to what a provisioning file says (configuration as code):
    /// create what is missing, update what differs, print each change.
    Apply {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Print what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also delete clients, and demote admins, that the file does not name.
        #[arg(long)]
        prune: bool,
    },
    /// Copy the live SQLite database to FILE, consistently, while Ferrid runs (on
    /// PostgreSQL, says how to use pg_dump).
    Backup {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Put a backup made by `ferrid backup` in place of an empty database.
    Restore {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Read the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// List and revoke login sessions.
    #[command(subcommand)]
    Session(SessionCommand),
}

#[derive(Subcommand)]
pub enum SessionCommand {
    /// Live sessions, newest first: id, user, IP address, start (unix seconds), browser.
    List {
        /// Only this user's sessions.
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// End one session (--id, as `session list` prints it), or every session and token of
    /// a user (--email).
    Revoke {
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Every stored key: kid, algorithm, state and times (unix seconds).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Create the next keys now (published at once, active after keys.publish_ahead).
    Rotate,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// Make the user an administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (so it is not in the process list or
        /// shell history). Required.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Make a user an admin, or a plain user again.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["admin", "user"])]
        role: String,
    },
    /// Every user (or those whose address or name contains --search), by address.
    List {
        #[arg(long)]
        search: Option<String>,
        /// JSON: email, name, role, disabled, email_verified, created_at (unix seconds).
        #[arg(long)]
        json: bool,
    },
    /// One user: profile, role, status, last login, sessions, connected applications.
    Show {
        #[arg(long)]
        email: String,
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: they cannot log in or refresh; their sessions, tokens, codes and
    /// consents are revoked at once. The last administrator cannot be disabled.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled user again.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Delete a user and everything of theirs; the address can register again. The last
    /// administrator cannot be deleted.
    Delete {
        #[arg(long)]
        email: String,
    },
    /// Print a single-use password reset link for the user, to hand over (nothing is
    /// mailed). It works for accounts.reset_token_lifetime seconds.
    ResetLink {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: exit status 2, like a usage error.
    #[error("{0}")]
    Usage(String),
    /// A well-formed request that could not be carried out: exit status 1.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Failed(_) => 1,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError::Failed(e.to_string())
    }
}

/// Runs one command. Commands other than `serve` read the clock once, at their start.
pub fn run(command: Command, settings: Settings, clock: Clock) -> Result<(), CliError> {
    let now = clock.now();
    match command {
        Command::Serve => serve(settings, clock),
        Command::Migrate => {
            open_pool(&settings)?;
            println!("migrations are up to date");
            Ok(())
        }
        Command::User(UserCommand::Add {
            email,
            name,
            admin,
            password_stdin: _,
        }) => user::add(&settings, &email, name.as_deref().unwrap_or(""), admin, now),
        Command::Keys(KeysCommand::List { json }) => keys::list(&settings, json),
        Command::Keys(KeysCommand::Rotate) => keys::rotate(&settings, now),
        Command::Client(command) => client::run(&settings, command, now),
        Command::Audit(command) => audit::run(&settings, command),
        Command::User(UserCommand::SetRole { email, role }) => {
            user::set_role(&settings, &email, &role, now)
        }
        Command::User(UserCommand::ResetLink { email }) => user::reset_link(&settings, &email, now),
        Command::Apply {
            file,
            dry_run,
            prune,
        } => apply::apply(
            &settings,
            &file,
            crate::provision::Options { dry_run, prune },
            std::env::vars().collect(),
            now,
        ),
        Command::Backup { file } => backup::backup(&settings, &file),
        Command::Restore { file } => backup::restore(&settings, &file),
        Command::User(UserCommand::List { search, json }) => {
            admin::list(&settings, search.as_deref().unwrap_or(""), json)
        }
        Command::User(UserCommand::Show { email, json }) => {
            admin::show(&settings, &email, json, now)
        }
        Command::User(UserCommand::Disable { email }) => admin::disable(&settings, &email, now),
        Command::User(UserCommand::Enable { email }) => admin::enable(&settings, &email, now),
        Command::User(UserCommand::Delete { email }) => admin::delete(&settings, &email, now),
        Command::Session(SessionCommand::List { email, json }) => {
            admin::sessions(&settings, email.as_deref(), json, now)
        }
        Command::Session(SessionCommand::Revoke { id, email }) => {
            admin::revoke(&settings, id.as_deref(), email.as_deref(), now)
        }
    }
}

fn serve(settings: Settings, clock: Clock) -> Result<(), CliError> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build_with_clock(settings, clock)
            .await
            .map_err(|e| CliError::Failed(format!("{e:#}")))?;
        println!("Ferrid is listening on {}", app.issuer());
        println!("  log in:    {}/login", app.issuer());
        if let Some(link) = app.setup_link() {
            println!();
            println!("No administrator exists yet. Create the first one in your browser with this one-time link:");
            println!("  {link}");
            println!("or on the command line:");
            println!("  ferrid user add --admin --email you@example.com --password-stdin");
            println!();
        }
        app.run_until_stopped()
            .await
            .map_err(|e| CliError::Failed(e.to_string()))
    })
}

pub(crate) fn open_pool(settings: &Settings) -> Result<store::Pool, CliError> {
    let kind = settings
        .database_kind()
        .ok_or_else(|| CliError::Usage("database.url: unknown database scheme".into()))?;
    let wait = std::time::Duration::from_millis(settings.database.pool_timeout_ms);
    Ok(store::connect_with(
        &kind,
        2,
        wait,
        settings.database.sqlite_synchronous,
    )?)
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::{Cli, Command};

    /// Random client_ids are base64url and may begin with "-": they are values, not flags.
    #[test]
    fn a_client_id_may_begin_with_a_hyphen() {
        for sub in ["show", "rotate-secret", "delete", "update"] {
            let cli = Cli::try_parse_from(["ferrid", "client", sub, "--client-id", "-Sx_1"]);
            let Ok(Cli { command, .. }) = cli else {
                panic!("{sub}: refused");
            };
            assert!(matches!(command, Command::Client(_)), "{sub}");
        }
        let audit = Cli::try_parse_from(["ferrid", "audit", "list", "--client-id", "-Sx_1"]);
        assert!(audit.is_ok());
    }
}
