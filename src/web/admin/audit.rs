//! /admin/audit: the audit log, filtered by kind, user, client, IP and time range, newest
//! first, paginated by keyset; /admin/audit.csv exports every event the filter matches.
//! The filter and the export are `accounts::audit_log`, which `ferrid audit list` uses too.
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{Nav, RequireAdmin, Section};
use crate::accounts::{self, AuditLogError, AuditQuery, ShownEvent};
use crate::state::AppState;
use crate::store::audit::EventKind;
use crate::web::error::{html, PageError};
use crate::web::layout::Layout;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(show))
        .route("/audit.csv", web::get().to(export));
}

/// Events per page.
const PAGE_SIZE: i64 = 50;

impl From<AuditLogError> for PageError {
    fn from(e: AuditLogError) -> Self {
        match e {
            AuditLogError::Invalid(m) => PageError::BadRequest(m),
            AuditLogError::Store(e) => e.into(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditParams {
    kind: String,
    user: String,
    client: String,
    ip: String,
    since: String,
    until: String,
    before: Option<i64>,
}

impl AuditParams {
    fn query(&self) -> AuditQuery {
        AuditQuery {
            kind: self.kind.clone(),
            user: self.user.clone(),
            client: self.client.clone(),
            ip: self.ip.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
        }
    }

    /// The filter as a query string, for the next page and the CSV link.
    fn encoded(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("kind", &self.kind)
            .append_pair("user", &self.user)
            .append_pair("client", &self.client)
            .append_pair("ip", &self.ip)
            .append_pair("since", &self.since)
            .append_pair("until", &self.until)
            .finish()
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    params: &'a AuditParams,
    kinds: Vec<&'static str>,
    events: Vec<ShownEvent>,
    /// The query string of the filter (CSV link, next page).
    filter: String,
    next: Option<i64>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, PageError> {
    let params = params.into_inner();
    let (query, before) = (params.query(), params.before);
    let page = {
        let state = state.clone();
        web::block(move || {
            let mut conn = state.conn()?;
            let filter = accounts::audit_filter(&mut conn, &query)?;
            Ok::<_, AuditLogError>(accounts::audit_page(&mut conn, &filter, before, PAGE_SIZE)?)
        })
        .await??
    };
    let page = AuditPage {
        layout: Layout::new(&req, &state),
        nav: Nav::new(Section::Audit, &admin),
        kinds: EventKind::ALL.iter().map(|k| k.as_str()).collect(),
        filter: params.encoded(),
        params: &params,
        events: page.events,
        next: page.next,
    };
    html(StatusCode::OK, &page)
}

pub async fn export(
    state: web::Data<AppState>,
    _admin: RequireAdmin,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, PageError> {
    let query = params.query();
    let csv = {
        let state = state.clone();
        web::block(move || {
            let mut conn = state.conn()?;
            let filter = accounts::audit_filter(&mut conn, &query)?;
            Ok::<_, AuditLogError>(accounts::export_csv(&mut conn, &filter)?)
        })
        .await??
    };
    let name = format!("attachment; filename=\"audit-{}.csv\"", state.clock.now());
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, name))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(csv))
}
