//! The frame every page shares (templates/base.html): the product's name in the title and
//! the header, the stylesheets, the favicon, and the flash message. Each page struct holds a
//! [`Layout`] (`layout: Layout::new(&req, &state)`), which base.html reads.
//!
//! [`finish_pages`] is the middleware that completes what handlers cannot: error pages
//! (`PageError`, rendered by actix without the request) are rendered again in the
//! deployment's layout, an empty 405 becomes a page, and a flash message is dropped once a
//! page has shown it.
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};

use super::error::PageError;
use super::error_page;
use super::flash::{self, Flash};
use crate::state::AppState;

/// What base.html shows around every page.
#[derive(Clone, Copy, Debug)]
pub struct Layout<'a> {
    /// `ui.product_name`.
    pub product_name: &'a str,
    /// The confirmation a redirect left for this page.
    pub flash: Option<Flash>,
}

/// The name used only where no application state is at hand (an error rendered outside a
/// running server, as in unit tests); pages of a running server say `ui.product_name`.
const FALLBACK_PRODUCT: &str = "Ferrid";

impl<'a> Layout<'a> {
    pub fn new(req: &HttpRequest, state: &'a AppState) -> Layout<'a> {
        Layout {
            product_name: &state.settings.ui.product_name,
            flash: Flash::presented(req),
        }
    }

    pub fn fallback() -> Layout<'static> {
        Layout {
            product_name: FALLBACK_PRODUCT,
            flash: None,
        }
    }
}

/// Middleware, around every route (see startup): error pages in the deployment's layout,
/// a page for an empty 405, and the flash cookie dropped once shown.
pub async fn finish_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (req, mut response) = next.call(req).await?.map_into_boxed_body().into_parts();
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(ServiceResponse::new(req, response));
    };
    let layout = Layout::new(&req, &state);
    let page = response
        .error()
        .and_then(|e| e.as_error::<PageError>())
        .map(|error| error_page::render(error, &layout));
    if let Some(page) = page {
        response = page;
    } else if is_bare_method_not_allowed(&response) {
        // actix's own 405 has no body; keep its Allow header (RFC 9110 §15.5.6).
        let allow = response.headers().get(header::ALLOW).cloned();
        response = error_page::render(&PageError::MethodNotAllowed, &layout);
        if let Some(allow) = allow {
            response.headers_mut().insert(header::ALLOW, allow);
        }
    }
    if layout.flash.is_some() && shows_page(&response) {
        response
            .add_cookie(&flash::removal_cookie(state.cookies_secure()))
            .map_err(actix_web::error::ErrorInternalServerError)?;
    }
    Ok(ServiceResponse::new(req, response))
}

fn is_bare_method_not_allowed(response: &HttpResponse) -> bool {
    response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::CONTENT_TYPE)
}

/// An HTML page (not a redirect, which carries the flash on to its page) that does not set
/// a flash of its own.
fn shows_page(response: &HttpResponse) -> bool {
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let sets_flash = response.cookies().any(|c| c.name() == flash::COOKIE);
    html && !response.status().is_redirection() && !sets_flash
}
