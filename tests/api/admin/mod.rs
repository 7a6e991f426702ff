//! The admin console (issue 11): who may open it, CSRF and sudo mode on every change, and
//! each section's pages and actions.
mod access;
mod cli;
mod disabled;
mod sessions;
mod sudo;
mod users;

/// Every console page (GET), for the access tests. Each section adds its pages here.
pub const PAGES: &[&str] = &[
    "/admin",
    "/admin/",
    "/admin/no-such-page",
    "/admin/users",
    "/admin/users?q=a&order=newest",
    "/admin/users/new",
    "/admin/users/some-id",
    "/admin/sessions",
    "/admin/applications",
    "/admin/applications?q=a",
    "/admin/applications/new",
    "/admin/applications/some-id",
    "/admin/applications/some-id/edit",
    "/admin/applications/some-id/rotate-secret",
    "/admin/applications/some-id/delete",
    "/admin/keys",
    "/admin/audit",
    "/admin/audit?kind=login_failed",
    "/admin/audit.csv",
];

/// Every console change (POST), by a path that reaches its guard (ids need not exist: the
/// guard answers first). Each section adds its changes here.
pub const CHANGES: &[&str] = &[
    "/admin/users/new",
    "/admin/users/some-id/disable",
    "/admin/users/some-id/enable",
    "/admin/users/some-id/delete",
    "/admin/users/some-id/role",
    "/admin/users/some-id/send-reset",
    "/admin/users/some-id/verify-email",
    "/admin/users/some-id/revoke-all",
    "/admin/sessions/revoke",
    "/admin/sessions/revoke-selected",
    "/admin/applications",
    "/admin/applications/some-id",
    "/admin/applications/some-id/rotate-secret",
    "/admin/applications/some-id/delete",
    "/admin/keys/rotate",
];
