//! Import of MLIT 国土数値情報 N03 (administrative areas) GeoJSON.

use std::collections::BTreeMap;

use geo::{BoundingRect, MultiPolygon, Polygon};
use geojson::{FeatureCollection, GeometryValue, JsonValue};

use crate::error::RegionError;
use crate::facts::{MUNICIPALITIES, MunicipalityInfo, PREFECTURE, info_for};
use crate::region::Region;

/// Generous envelope of Yamaguchi Prefecture in degrees (lon, lat). Boundaries
/// outside it mean swapped axes or a projected CRS, which would otherwise make
/// every lookup silently "Outside".
const PLAUSIBLE_WEST: f64 = 129.5;
const PLAUSIBLE_EAST: f64 = 133.0;
const PLAUSIBLE_SOUTH: f64 = 33.0;
const PLAUSIBLE_NORTH: f64 = 35.5;

impl Region {
    /// Builds the region from an N03 GeoJSON file, so that a deployment can use
    /// full-resolution boundaries instead of the bundled simplified ones.
    ///
    /// Full N03 data has one feature per island; features are merged into one
    /// multipolygon per code (`N03_007`). Features without a code (所属未定地,
    /// areas whose municipality is undetermined) and features of other
    /// prefectures are skipped, so the national file works too. The import fails,
    /// naming the problem, when no Yamaguchi municipality is present, when any of
    /// the 19 is missing, when a 35xxx code is not one of the 19 (data from
    /// another year), when `N03_004` names a different municipality, or when the
    /// coordinates are not `[longitude, latitude]` degrees in Yamaguchi.
    pub fn from_n03_geojson(bytes: &[u8]) -> Result<Region, RegionError> {
        let collection: FeatureCollection =
            serde_json::from_slice(bytes).map_err(|e| RegionError::MalformedGeoJson {
                reason: e.to_string(),
            })?;
        let mut merged: BTreeMap<&'static str, (&'static MunicipalityInfo, MultiPolygon<f64>)> =
            BTreeMap::new();
        let mut saw_yamaguchi = false;
        for (n, feature) in collection.features.iter().enumerate() {
            let code = match feature.property("N03_007") {
                None | Some(JsonValue::Null) => continue,
                Some(JsonValue::String(code)) => code.as_str(),
                Some(other) => {
                    return Err(RegionError::MalformedGeoJson {
                        reason: format!("feature {n}: N03_007 is not a string: {other}"),
                    });
                }
            };
            if !code.starts_with(PREFECTURE.code) {
                continue;
            }
            saw_yamaguchi = true;
            let inconsistent = |reason: String| RegionError::InconsistentFeature {
                code: code.to_owned(),
                reason,
            };
            let info = info_for(code).ok_or_else(|| RegionError::UnknownMunicipality {
                code: code.to_owned(),
            })?;
            if let Some(JsonValue::String(name)) = feature.property("N03_004")
                && name != info.name_ja
            {
                return Err(inconsistent(format!(
                    "N03_004 is {name:?}, expected {:?}",
                    info.name_ja
                )));
            }
            let geometry = feature
                .geometry
                .as_ref()
                .ok_or_else(|| inconsistent("feature has no geometry".to_owned()))?;
            let polygons = to_polygons(&geometry.value).map_err(inconsistent)?;
            merged
                .entry(info.code)
                .or_insert_with(|| (info, MultiPolygon::new(Vec::new())))
                .1
                .0
                .extend(polygons);
        }
        if !saw_yamaguchi {
            return Err(RegionError::NoYamaguchiMunicipality);
        }
        let missing: Vec<(String, String)> = MUNICIPALITIES
            .iter()
            .filter(|m| !merged.contains_key(m.code))
            .map(|m| (m.code.to_owned(), m.name_ja.to_owned()))
            .collect();
        if !missing.is_empty() {
            return Err(RegionError::MissingMunicipalities { missing });
        }
        for (code, (_, boundary)) in &merged {
            check_plausible(code, boundary)?;
        }
        Region::from_boundaries(merged.into_values().collect())
    }
}

fn to_polygons(value: &GeometryValue) -> Result<Vec<Polygon<f64>>, String> {
    let polygons = match value {
        GeometryValue::Polygon { .. } => vec![Polygon::try_from(value).map_err(|e| e.to_string())?],
        GeometryValue::MultiPolygon { .. } => {
            MultiPolygon::try_from(value).map_err(|e| e.to_string())?.0
        }
        other => {
            return Err(format!(
                "geometry is a {}, expected a polygon",
                other.type_name()
            ));
        }
    };
    if polygons.iter().any(|p| p.exterior().0.len() < 4) {
        return Err("a polygon ring has fewer than 4 positions".to_owned());
    }
    Ok(polygons)
}

fn check_plausible(code: &str, boundary: &MultiPolygon<f64>) -> Result<(), RegionError> {
    let plausible = boundary.bounding_rect().is_some_and(|r| {
        r.min().x >= PLAUSIBLE_WEST
            && r.max().x <= PLAUSIBLE_EAST
            && r.min().y >= PLAUSIBLE_SOUTH
            && r.max().y <= PLAUSIBLE_NORTH
    });
    if plausible {
        Ok(())
    } else {
        Err(RegionError::InconsistentFeature {
            code: code.to_owned(),
            reason: "coordinates lie outside Yamaguchi Prefecture; expected \
                     [longitude, latitude] in degrees"
                .to_owned(),
        })
    }
}
