//! The region's JSON APIs: municipalities, their boundaries, and which municipality a point
//! is in.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use ydx_region::{LocateOptions, Method, Municipality};

use crate::AppState;
use crate::error::ApiError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_municipalities))
        .routes(routes!(show_municipality))
        .routes(routes!(get_boundaries))
        .routes(routes!(get_municipality_boundary))
        .routes(routes!(locate_point))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalityOut {
    /// Five-digit municipality code.
    code: String,
    /// 全国地方公共団体コード: six digits with the check digit.
    lg_code: String,
    name_ja: String,
    name_kana: String,
    name_en: String,
    /// "city" or "town".
    kind: String,
    /// [west, south, east, north] in degrees.
    bbox: [f64; 4],
}

impl From<&Municipality> for MunicipalityOut {
    fn from(m: &Municipality) -> Self {
        MunicipalityOut {
            code: m.code().to_string(),
            lg_code: m.lg_code().to_string(),
            name_ja: m.name_ja().to_string(),
            name_kana: m.name_kana().to_string(),
            name_en: m.name_en().to_string(),
            kind: m.kind().name_en().to_lowercase(),
            bbox: m.bbox().to_array(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct MunicipalityList {
    prefecture_code: &'static str,
    prefecture_name_ja: &'static str,
    attribution: &'static str,
    municipalities: Vec<MunicipalityOut>,
}

pub const ATTRIBUTION: &str = "出典：国土数値情報（行政区域データ）（国土交通省）";

/// The prefecture's 19 municipalities.
#[utoipa::path(get, path = "/api/region/municipalities", tag = "region",
    responses((status = 200, body = MunicipalityList)))]
async fn list_municipalities(State(state): State<AppState>) -> Json<MunicipalityList> {
    let p = state.region.prefecture();
    Json(MunicipalityList {
        prefecture_code: p.code,
        prefecture_name_ja: p.name_ja,
        attribution: ATTRIBUTION,
        municipalities: state
            .region
            .municipalities()
            .iter()
            .map(Into::into)
            .collect(),
    })
}

/// One municipality, by its 5-digit code or 6-digit 全国地方公共団体コード.
#[utoipa::path(get, path = "/api/region/municipalities/{code}", tag = "region",
    params(("code" = String, Path, description = "35203 or 352039")),
    responses((status = 200, body = MunicipalityOut), (status = 400, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
async fn show_municipality(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<MunicipalityOut>, ApiError> {
    municipality(&state, &code).map(|m| Json(m.into()))
}

fn municipality<'a>(state: &'a AppState, code: &str) -> Result<&'a Municipality, ApiError> {
    use ydx_region::RegionError;
    state.region.municipality(code).map_err(|e| match e {
        RegionError::UnknownMunicipality { .. } => ApiError::NotFound,
        e => ApiError::BadRequest(e.to_string()),
    })
}

fn geojson(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

/// Boundaries of all municipalities, simplified for maps (GeoJSON FeatureCollection).
#[utoipa::path(get, path = "/api/region/boundaries.geojson", tag = "region",
    responses((status = 200, content_type = "application/geo+json", body = Object)))]
async fn get_boundaries(State(state): State<AppState>) -> Response {
    geojson(state.region.boundaries_geojson().to_string())
}

/// The boundary of one municipality, simplified for maps.
#[utoipa::path(get, path = "/api/region/municipalities/{code}/boundary.geojson", tag = "region",
    params(("code" = String, Path, description = "35203 or 352039")),
    responses((status = 200, content_type = "application/geo+json", body = Object),
              (status = 404, body = crate::error::ErrorBody)))]
async fn get_municipality_boundary(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let m = municipality(&state, &code)?;
    Ok(geojson(m.boundary_geojson().to_string()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LocateQuery {
    /// Latitude in degrees (WGS 84).
    lat: String,
    /// Longitude in degrees (WGS 84).
    lon: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocateOut {
    /// "inside", "snapped" or "outside".
    method: &'static str,
    /// Metres to the nearest boundary, for a snapped point.
    distance_m: Option<f64>,
    /// The snapping distance in force.
    snap_distance_m: f64,
    municipality: Option<MunicipalityOut>,
}

/// Which municipality a point is in: exactly for points inside a boundary; a point just
/// outside a (simplified) coastline is snapped to the nearest municipality within the
/// configured distance.
#[utoipa::path(get, path = "/api/region/locate", tag = "region", params(LocateQuery),
    responses((status = 200, body = LocateOut), (status = 400, body = crate::error::ErrorBody)))]
async fn locate_point(
    State(state): State<AppState>,
    Query(q): Query<LocateQuery>,
) -> Result<Json<LocateOut>, ApiError> {
    let point = ydx_region::parse_coordinate(&format!("{},{}", q.lat.trim(), q.lon.trim()))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(Json(locate(&state, point.lat, point.lon)))
}

pub fn locate(state: &AppState, lat: f64, lon: f64) -> LocateOut {
    let options = LocateOptions {
        snap_distance_m: state.config.snap_distance_m,
    };
    let loc = state.region.locate(lat, lon, &options);
    let (method, distance_m) = match loc.method {
        Method::Inside => ("inside", None),
        Method::Snapped { distance_m } => ("snapped", Some((distance_m * 10.0).round() / 10.0)),
        Method::Outside => ("outside", None),
    };
    LocateOut {
        method,
        distance_m,
        snap_distance_m: options.snap_distance_m,
        municipality: loc.municipality.map(Into::into),
    }
}

impl LocateOut {
    pub fn method(&self) -> &'static str {
        self.method
    }
    pub fn distance_m(&self) -> Option<f64> {
        self.distance_m
    }
    pub fn municipality_code(&self) -> Option<&str> {
        self.municipality.as_ref().map(|m| m.code.as_str())
    }
}
