//! `/metrics` in Prometheus text format, `/healthz`, and a no-op endpoint (`/api/ping`) that
//! measures the server's ceiling in benchmarks.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// Per route: counts per histogram bucket, sum of seconds, count.
type Latency = ([u64; BUCKETS.len()], f64, u64);

#[derive(Debug, Default)]
pub struct Metrics {
    /// (method, route, status) → count
    requests: Mutex<HashMap<(String, String, u16), u64>>,
    /// route → (bucket counts, sum, count)
    latency: Mutex<HashMap<String, Latency>>,
    started: std::sync::OnceLock<Instant>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, secs: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            let e = m
                .entry(route.to_string())
                .or_insert(([0; BUCKETS.len()], 0.0, 0));
            for (i, b) in BUCKETS.iter().enumerate() {
                if secs <= *b {
                    e.0[i] += 1;
                }
            }
            e.1 += secs;
            e.2 += 1;
        }
    }

    fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let uptime = self
            .started
            .get_or_init(Instant::now)
            .elapsed()
            .as_secs_f64();
        let _ = writeln!(
            out,
            "# HELP ydx_uptime_seconds Seconds since the server started."
        );
        let _ = writeln!(
            out,
            "# TYPE ydx_uptime_seconds gauge\nydx_uptime_seconds {uptime:.3}"
        );
        let _ = writeln!(
            out,
            "# HELP ydx_http_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(out, "# TYPE ydx_http_requests_total counter");
        if let Ok(m) = self.requests.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for ((method, route, status), n) in rows {
                let _ = writeln!(
                    out,
                    "ydx_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP ydx_http_request_duration_seconds Request latency by route."
        );
        let _ = writeln!(out, "# TYPE ydx_http_request_duration_seconds histogram");
        if let Ok(m) = self.latency.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort_by(|a, b| a.0.cmp(b.0));
            for (route, (buckets, sum, count)) in rows {
                let r = escape(route);
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "ydx_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                        buckets[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "ydx_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {count}"
                );
                let _ = writeln!(
                    out,
                    "ydx_http_request_duration_seconds_sum{{route=\"{r}\"}} {sum}"
                );
                let _ = writeln!(
                    out,
                    "ydx_http_request_duration_seconds_count{{route=\"{r}\"}} {count}"
                );
            }
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Counts every request by its route template (never the raw path, which may hold ids).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    state.metrics.started.get_or_init(Instant::now);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    state.metrics.observe(
        &method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_healthz))
        .routes(routes!(get_ping))
        .route("/metrics", axum::routing::get(get_metrics))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    /// "ok" or "unavailable"
    status: &'static str,
    /// "sqlite" or "postgres"
    database: &'static str,
    database_ok: bool,
    version: &'static str,
}

/// Health of the server and its database.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn get_healthz(State(state): State<AppState>) -> Response {
    let ok = state.db.ping().await.is_ok();
    let body = Health {
        status: if ok { "ok" } else { "unavailable" },
        database: state.db.backend().as_str(),
        database_ok: ok,
        version: env!("CARGO_PKG_VERSION"),
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Does nothing; the ceiling of the server's throughput in benchmarks.
#[utoipa::path(get, path = "/api/ping", tag = "operations", responses((status = 200, body = String)))]
async fn get_ping() -> &'static str {
    "pong"
}

async fn get_metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
