//! CORS (Fetch standard) for the endpoints browser apps call: discovery and /jwks are public
//! documents, open to every origin; /token, /userinfo, /revoke and /introspect answer only
//! allowed origins (see security::cors). Tokens travel in headers and bodies, never cookies,
//! so credentials are not allowed.
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse};

use crate::state::AppState;

const PUBLIC: [&str; 3] = [
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/jwks",
];
const PROTECTED: [&str; 4] = ["/token", "/userinfo", "/revoke", "/introspect"];

pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let path = req.path();
    let public = PUBLIC.contains(&path);
    let covered = public || PROTECTED.contains(&path);
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (Some(origin), true) = (origin, covered) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let allowed = public
        || req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| state.cors_origins.allows(&origin));
    let allow_origin = if public { "*".to_string() } else { origin };

    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let mut response = HttpResponse::NoContent();
        response.insert_header((header::VARY, "Origin"));
        if allowed {
            response
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "Authorization, Content-Type",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
        }
        return Ok(req.into_response(response.finish()).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(header::VARY, header::HeaderValue::from_static("Origin"));
    if allowed {
        if let Ok(value) = header::HeaderValue::from_str(&allow_origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                header::HeaderValue::from_static("WWW-Authenticate"),
            );
        }
    }
    Ok(response.map_into_left_body())
}
