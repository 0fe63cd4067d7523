//! The catalog for machines: CKAN's Action API v3 (`ckan`), file downloads (`download`),
//! the data API and a plain JSON search (`data`, documented in OpenAPI), and the DCAT
//! documents and sitemap crawlers read (`dcat`).
//!
//! Every handler here reaches the engine through `Extension<Catalog>` (added by
//! [`super::CatalogEngine::router`]).

mod ckan;
mod data;
mod dcat;
mod download;
mod fq;
mod wire;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use ydx_accounts::Principal;

use crate::AppState;

pub use dcat::dcat_dataset_response;

/// The catalog's machine-facing routes.
pub fn router() -> OpenApiRouter<AppState> {
    let open = OpenApiRouter::new()
        .route(
            "/api/3/action/{action}",
            get(ckan::call_action).post(ckan::call_action),
        )
        .route(
            "/api/action/{action}",
            get(ckan::call_action).post(ckan::call_action),
        )
        .routes(routes!(data::get_resource_data))
        .routes(routes!(data::get_series_data))
        .routes(routes!(data::search_datasets))
        .route("/catalog.ttl", get(dcat::get_catalog_ttl))
        .route("/catalog.jsonld", get(dcat::get_catalog_jsonld))
        .route("/catalog.rdf", get(dcat::get_catalog_rdf))
        // Read-only and public: any web page may use them (no credentials are honoured
        // cross-origin, since `*` forbids them).
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        );
    open.route("/sitemap.xml", get(dcat::get_sitemap))
        .route(
            "/dataset/{name}/resource/{id}/download",
            get(download::download_resource),
        )
        .route(
            "/dataset/{name}/resource/{id}/download/{filename}",
            get(download::download_resource_named),
        )
        .route(
            "/dataset/{name}/resource/{id}/version/{version}/download",
            get(download::download_version),
        )
        .route(
            "/dataset/{name}/latest/download",
            get(download::download_latest),
        )
}

/// The public URL without a trailing slash.
fn base_url(state: &AppState) -> &str {
    state.config.base_url.trim_end_matches('/')
}

/// Why the caller could not be identified.
enum CallerError {
    /// A token was sent but is unknown or revoked: refused rather than treated as anonymous,
    /// so a client with a revoked token learns it at once.
    BadToken,
    Internal(String),
}

/// The caller: an API token (`Authorization` with or without `Bearer`, or
/// `X-CKAN-API-Key`), else a signed-in session, else anonymous.
async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Option<Principal>, CallerError> {
    if let Some(token) = crate::auth::api_token(headers) {
        return match state.accounts.token_principal(&token).await {
            Ok(Some(p)) => Ok(Some(p)),
            Ok(None) => Err(CallerError::BadToken),
            Err(e) => Err(CallerError::Internal(e.to_string())),
        };
    }
    if let Some(secret) = crate::i18n::cookie(headers, crate::auth::SESSION_COOKIE) {
        match state.accounts.session(&secret).await {
            Ok(Some((p, _))) => return Ok(Some(p)),
            Ok(None) => {}
            Err(e) => return Err(CallerError::Internal(e.to_string())),
        }
    }
    Ok(None)
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved kept).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
