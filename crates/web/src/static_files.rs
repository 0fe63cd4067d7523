//! Static files embedded in the binary: the project's own CSS and scripts (`static/`) and the
//! front-end packages fetched from npm at build time (`$OUT_DIR/vendor`, see build.rs).

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::AppState;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Own;

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/vendor/"]
struct Vendor;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/vendor/{*path}", axum::routing::get(vendor))
        .route("/static/{*path}", axum::routing::get(own))
}

async fn own(Path(path): Path<String>) -> Response {
    serve(Own::get(&path), &path)
}

async fn vendor(Path(path): Path<String>) -> Response {
    serve(Vendor::get(&path), &path)
}

fn serve(file: Option<rust_embed::EmbeddedFile>, path: &str) -> Response {
    match file {
        Some(f) => {
            let mime = mime_guess::from_path(path).first_or_octet_stream();
            (
                [
                    (header::CONTENT_TYPE, mime.as_ref().to_string()),
                    (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
                ],
                f.data,
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
