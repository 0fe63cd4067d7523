//! Boundaries as GeoJSON for web maps.

use geo::{MapCoords, MultiPolygon, Polygon, Simplify};
use geojson::{Feature, Geometry, GeometryValue, JsonObject};

use crate::error::RegionError;
use crate::region::{Municipality, Region};

/// Douglas–Peucker tolerance for map boundaries, in degrees (≈ 50 m here):
/// invisible at the prefecture and city zoom levels the maps use, and the map
/// never decides which municipality a point is in ([`Region::locate`] uses the
/// unsimplified boundaries).
pub const MAP_SIMPLIFY_TOLERANCE_DEG: f64 = 0.0005;

/// Decimal places kept in map coordinates: 1e-5° ≈ 1 m, far below the
/// simplification error, and it saves a third of the bytes.
const MAP_COORD_SCALE: f64 = 1e5;

impl Region {
    /// All municipality boundaries as one GeoJSON `FeatureCollection`, built on
    /// first call and cached, ready to serve to MapLibre/Leaflet with a long
    /// cache lifetime.
    ///
    /// Each feature has the properties `code`, `lg_code`, `name_ja`, `name_en`,
    /// `name_kana` and a `bbox`. Geometry is simplified with
    /// [`MAP_SIMPLIFY_TOLERANCE_DEG`] and rounded to 5 decimals.
    ///
    /// Measured on the bundled data: the source file is 160,067 bytes and this
    /// output 88,871 bytes (4,021 → 4,004 vertices). The bundled boundaries are
    /// already coarse, so rounding does almost all of the saving (89,227 bytes
    /// without simplifying); the tolerance matters for full-resolution N03
    /// imports, whose vertices are metres apart. Neighbours are simplified
    /// independently, so hairline gaps of up to ≈ 50 m can appear between them
    /// at street zoom.
    pub fn boundaries_geojson(&self) -> &str {
        self.map_collection.get_or_init(|| {
            let features: Vec<&str> = self
                .municipalities()
                .iter()
                .map(Municipality::boundary_geojson)
                .collect();
            format!(
                r#"{{"type":"FeatureCollection","features":[{}]}}"#,
                features.join(",")
            )
        })
    }

    /// One municipality's boundary as a GeoJSON `Feature` (same form as in
    /// [`Region::boundaries_geojson`]), for a municipality's own page.
    pub fn municipality_geojson(&self, code: &str) -> Result<&str, RegionError> {
        Ok(self.municipality(code)?.boundary_geojson())
    }
}

impl Municipality {
    /// This municipality's boundary as a cached GeoJSON `Feature` string.
    pub fn boundary_geojson(&self) -> &str {
        self.map_feature.get_or_init(|| {
            let geometry = simplify_for_map(self.boundary());
            let mut properties = JsonObject::new();
            properties.insert("code".into(), self.code().as_str().into());
            properties.insert("lg_code".into(), self.lg_code().into());
            properties.insert("name_ja".into(), self.name_ja().into());
            properties.insert("name_en".into(), self.name_en().into());
            properties.insert("name_kana".into(), self.name_kana().into());
            let feature = Feature {
                bbox: Some(self.bbox().to_array().to_vec()),
                geometry: Some(Geometry::new(GeometryValue::from(&geometry))),
                id: None,
                properties: Some(properties),
                foreign_members: None,
            };
            // Serialising plain numbers and strings cannot fail; an empty
            // feature is the harmless fallback the type system asks for.
            serde_json::to_string(&feature).unwrap_or_default()
        })
    }
}

/// Simplifies each polygon for display, keeping small islands that the
/// algorithm would collapse (they are few vertices anyway, and a missing island
/// on a town's map is what people would notice).
fn simplify_for_map(boundary: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let round = |c: geo::Coord<f64>| geo::Coord {
        x: (c.x * MAP_COORD_SCALE).round() / MAP_COORD_SCALE,
        y: (c.y * MAP_COORD_SCALE).round() / MAP_COORD_SCALE,
    };
    boundary
        .iter()
        .map(|polygon| {
            let simplified = polygon.simplify(MAP_SIMPLIFY_TOLERANCE_DEG);
            let keep: &Polygon<f64> = if simplified.exterior().0.len() >= 4 {
                &simplified
            } else {
                polygon
            };
            keep.map_coords(round)
        })
        .collect()
}
