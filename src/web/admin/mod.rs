//! The web console, under /admin: administrators only (`guard`), every change behind CSRF
//! and sudo mode (`guard::AdminForm`, `sudo`), every page in the console layout
//! (templates/admin/console.html: the page struct holds `layout: Layout` and `nav: Nav`).
//!
//! Pages call the one implementation of each action in `accounts` (`accounts::admin`), as
//! the CLI does.
pub mod audit;
pub mod clients;
pub mod confirm;
pub mod dashboard;
pub mod format;
pub mod guard;
pub mod keys;
pub mod sessions;
pub mod sudo;
pub mod users;

use actix_web::{web, HttpResponse};

pub use guard::{AdminForm, CurrentUser, RequireAdmin};

use crate::web::error::PageError;

/// The console's sections, as its navigation names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Users,
    Applications,
    Sessions,
    Keys,
    Audit,
    /// A page outside the sections (the sudo page).
    None,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Dashboard => "dashboard",
            Section::Users => "users",
            Section::Applications => "applications",
            Section::Sessions => "sessions",
            Section::Keys => "keys",
            Section::Audit => "audit",
            Section::None => "",
        }
    }
}

/// What the console layout shows besides base.html's `Layout`: the section the page is in
/// (marked in the navigation) and who is signed in.
#[derive(Clone, Copy, Debug)]
pub struct Nav<'a> {
    pub current: &'static str,
    pub email: &'a str,
}

impl<'a> Nav<'a> {
    pub fn new(section: Section, admin: &'a RequireAdmin) -> Nav<'a> {
        Nav {
            current: section.as_str(),
            email: admin.session.user.email.as_str(),
        }
    }
}

/// Every console route. Sections add theirs with one `.configure(...)` line each, below.
/// Any other path under /admin answers as a console page would (login, 403, or 404 to an
/// administrator), so a guess reveals nothing to a visitor.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .route("", web::get().to(dashboard::show))
            .route("/", web::get().to(dashboard::show))
            // Sections: users and sessions (issue 11, console core) …
            .configure(users::routes)
            .configure(sessions::routes)
            // … applications, signing keys and the audit log (issue 11, part 2).
            .configure(clients::routes)
            .configure(keys::routes)
            .configure(audit::routes)
            .default_service(web::to(not_found)),
    );
}

/// An unknown console path: the guard first, so only an administrator learns it is unknown.
async fn not_found(_admin: RequireAdmin) -> Result<HttpResponse, PageError> {
    Err(PageError::NotFound)
}
