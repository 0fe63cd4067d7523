//! The ydx web server: the shell every engine's pages live in (layout, languages, sign-in,
//! staff area, map component, errors), the JSON APIs, and the registration through which an
//! engine plugs in its routes, migrations, sample data, navigation and OpenAPI paths.

pub mod auth;
pub mod catalog;
pub mod engine;
pub mod error;
pub mod i18n;
mod metrics;
pub mod pages;
mod region_api;
mod staff;
mod static_files;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use ydx_accounts::Accounts;
use ydx_region::Region;
use ydx_storage::{BlobStore, Db};

pub use engine::{Engine, NavEntry};
pub use metrics::Metrics;

/// Settings of the web layer (the binary reads them from the config file).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The public URL, used in DCAT, sitemaps and API examples.
    pub base_url: String,
    /// The base map's tile URL template; empty for no tiles (boundaries only).
    pub tile_url: String,
    pub tile_attribution_html: String,
    /// How far outside a simplified coastline a point may be and still be located.
    pub snap_distance_m: f64,
    /// Set `Secure` on cookies (when served over TLS).
    pub secure_cookies: bool,
    /// Largest accepted request body (uploads), in bytes.
    pub max_upload_bytes: usize,
    /// Show the "this is sample data" banner.
    pub demo: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            base_url: "http://127.0.0.1:8080".into(),
            tile_url: "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png".into(),
            tile_attribution_html:
                "<a href=\"https://maps.gsi.go.jp/development/ichiran.html\">地理院タイル</a>"
                    .into(),
            snap_distance_m: ydx_region::DEFAULT_SNAP_DISTANCE_M,
            secure_cookies: false,
            max_upload_bytes: 50 * 1024 * 1024,
            demo: false,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub accounts: Accounts,
    pub region: &'static Region,
    pub blobs: Arc<dyn BlobStore>,
    pub config: WebConfig,
    pub metrics: Metrics,
    pub throttle: auth::LoginThrottle,
    pub engines: Vec<Arc<dyn Engine>>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        db: Db,
        accounts: Accounts,
        region: &'static Region,
        blobs: Arc<dyn BlobStore>,
        config: WebConfig,
        engines: Vec<Arc<dyn Engine>>,
    ) -> AppState {
        AppState(Arc::new(Inner {
            db,
            accounts,
            region,
            blobs,
            config,
            metrics: Metrics::default(),
            throttle: auth::LoginThrottle::default(),
            engines,
        }))
    }

    /// The public navigation: the shell's entries and each engine's.
    pub fn nav(&self) -> Vec<NavEntry> {
        self.engines.iter().flat_map(|e| e.nav()).collect()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ydx API",
        description = "JSON APIs of ydx, the digital public services platform of Yamaguchi Prefecture. \
                       The catalog also speaks CKAN's Action API v3 at /api/3/action/{name}.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(error::ErrorBody))
)]
struct ApiDoc;

/// Builds the whole application. Tests call this and send requests with `oneshot`.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(region_api::router())
        .merge(metrics::router());
    for engine in &state.engines {
        api = api.merge(engine.router());
    }
    let (router, openapi) = api.split_for_parts();
    let openapi = Arc::new(openapi);
    let max_body = state.config.max_upload_bytes;

    router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(pages::router())
        .merge(staff::router())
        .merge(static_files::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::visitor_layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(120),
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("handler panicked");
                error::ApiError::Internal("panic".into()).into_response()
            },
        ))
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            },
        ))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

async fn not_found(visitor: auth::Visitor, uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        error::ApiError::NotFound.into_response()
    } else {
        error::PageError::not_found(visitor.lang).into_response()
    }
}
