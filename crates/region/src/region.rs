//! The region: the municipalities with their boundaries, and point lookup.

use std::sync::{LazyLock, OnceLock};

use geo::{
    BoundingRect, Closest, Distance, Haversine, HaversineClosestPoint, InteriorPoint, Intersects,
    MultiPolygon, Polygon,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::Serialize;

use crate::code::{MunicipalityCode, parse_municipality_code};
use crate::coordinate::Point;
use crate::error::RegionError;
use crate::facts::{District, MunicipalityInfo, MunicipalityKind, PREFECTURE, Prefecture};

/// The simplified N03 boundaries compiled into the binary, so that every
/// deployment, test and sample-data run can locate points without configuration.
const BUNDLED_GEOJSON: &str = include_str!("../data/yamaguchi-municipalities.geojson");

static BUNDLED: LazyLock<Result<Region, RegionError>> =
    LazyLock::new(|| Region::from_n03_geojson(BUNDLED_GEOJSON.as_bytes()));

/// How far outside every boundary a point may lie and still be attributed to the
/// nearest municipality, by default: **300 m**.
///
/// Why snap at all: the bundled coastline is simplified (median vertex spacing
/// ≈ 560 m), so piers, harbours and castles on the shore fall tens of metres
/// "into the sea" (萩城跡 is ≈ 90 m outside 萩市's polygon).
///
/// Why 300 m and no more: across the Kanmon Strait, Kitakyushu lies ≈ 650 m from
/// Shimonoseki at the narrowest (早鞆瀬戸); below half of that, a point on the
/// Kyushu shore is never snapped into Yamaguchi even with some error in both
/// coastlines. Measured great-circle distances to the nearest bundled boundary
/// (asserted in the crate tests): 萩城跡 104 m → snapped to 萩市; 門司港駅
/// 1.9 km, 北九州市役所 4.3 km, 広島市役所 27 km → outside.
///
/// Known limit: along the *land* borders with Shimane and Hiroshima the same
/// margin applies, so a point up to 300 m into a neighbouring prefecture is
/// attributed to the Yamaguchi municipality next to it. That is within the error
/// of the simplified border itself; load full-resolution N03 data
/// ([`Region::from_n03_geojson`]) and lower the distance where it matters.
pub const DEFAULT_SNAP_DISTANCE_M: f64 = 300.0;

/// Options for [`Region::locate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocateOptions {
    /// Points outside every boundary but within this many metres of one are
    /// attributed to the nearest municipality ([`Method::Snapped`]). `0.0`
    /// disables snapping.
    pub snap_distance_m: f64,
}

impl Default for LocateOptions {
    fn default() -> Self {
        Self {
            snap_distance_m: DEFAULT_SNAP_DISTANCE_M,
        }
    }
}

/// How a point was attributed to a municipality; callers show it so that a
/// snapped or outside point can be double-checked by a person.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// The point lies inside (or on) the municipality's boundary.
    Inside,
    /// The point lies outside every boundary, this far from the nearest one.
    Snapped {
        /// Great-circle distance to the nearest boundary, in metres.
        distance_m: f64,
    },
    /// The point is not in Yamaguchi Prefecture (or farther out to sea than the
    /// snap distance).
    Outside,
}

/// The answer of [`Region::locate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location<'a> {
    /// The municipality, unless the method is [`Method::Outside`].
    pub municipality: Option<&'a Municipality>,
    /// How it was found.
    pub method: Method,
}

/// A bounding box in degrees, named by compass direction to avoid the
/// lat/lon-order trap; [`Bbox::to_array`] gives the GeoJSON/MapLibre order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bbox {
    /// Minimum longitude.
    pub west: f64,
    /// Minimum latitude.
    pub south: f64,
    /// Maximum longitude.
    pub east: f64,
    /// Maximum latitude.
    pub north: f64,
}

impl Bbox {
    /// `[west, south, east, north]`, the order of GeoJSON `bbox` and of MapLibre's
    /// `fitBounds`.
    pub fn to_array(&self) -> [f64; 4] {
        [self.west, self.south, self.east, self.north]
    }

    /// Whether the point lies in the box (edges included).
    pub fn contains(&self, point: Point) -> bool {
        (self.south..=self.north).contains(&point.lat)
            && (self.west..=self.east).contains(&point.lon)
    }
}

/// One municipality with its boundary.
#[derive(Debug)]
pub struct Municipality {
    info: &'static MunicipalityInfo,
    code: MunicipalityCode,
    boundary: MultiPolygon<f64>,
    bbox: Bbox,
    representative_point: Point,
    pub(crate) map_feature: OnceLock<String>,
}

impl PartialEq for Municipality {
    /// Two municipalities are the same if their codes are; boundaries may differ
    /// in resolution between a bundled and an imported region.
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Municipality {
    /// The fixed facts (names, kind, district) as one serialisable value.
    pub fn info(&self) -> &'static MunicipalityInfo {
        self.info
    }

    /// Five-digit code, e.g. `35203`.
    pub fn code(&self) -> MunicipalityCode {
        self.code
    }

    /// Six-digit 全国地方公共団体コード, e.g. `"352039"`.
    pub fn lg_code(&self) -> &'static str {
        self.info.lg_code
    }

    /// e.g. `"山口市"`.
    pub fn name_ja(&self) -> &'static str {
        self.info.name_ja
    }

    /// Reading in hiragana, e.g. `"やまぐちし"`.
    pub fn name_kana(&self) -> &'static str {
        self.info.name_kana
    }

    /// e.g. `"Yamaguchi City"`.
    pub fn name_en(&self) -> &'static str {
        self.info.name_en
    }

    /// City or town.
    pub fn kind(&self) -> MunicipalityKind {
        self.info.kind
    }

    /// The district (郡) of a town.
    pub fn district(&self) -> Option<&'static District> {
        self.info.district.as_ref()
    }

    /// The boundary at the resolution it was loaded with, `x` = longitude.
    pub fn boundary(&self) -> &MultiPolygon<f64> {
        &self.boundary
    }

    /// The extent of all its land, islands included, for fitting a map view.
    pub fn bbox(&self) -> Bbox {
        self.bbox
    }

    /// A point guaranteed to be inside the boundary (unlike the centroid, which
    /// for 周防大島町's islands or a crescent-shaped city may lie outside): where
    /// to put a label or a sample record.
    pub fn representative_point(&self) -> Point {
        self.representative_point
    }
}

/// Polygon envelopes in the R-tree carry (municipality index, polygon index).
type IndexEntry = GeomWithData<Rectangle<[f64; 2]>, (usize, usize)>;

/// Yamaguchi Prefecture's municipalities with boundaries and a spatial index.
///
/// Build it once ([`Region::bundled`] or [`Region::from_n03_geojson`]) and share
/// it: it is immutable and `Sync`.
#[derive(Debug)]
pub struct Region {
    municipalities: Vec<Municipality>,
    index: RTree<IndexEntry>,
    pub(crate) map_collection: OnceLock<String>,
}

impl Region {
    /// The region with the boundaries bundled in the binary, parsed on first use
    /// and shared afterwards.
    ///
    /// It returns a `Result` only because this crate never panics: the bundled
    /// file is checked by the tests, so the error does not occur in a released
    /// build. Call it once at start-up and keep the `&'static Region`.
    pub fn bundled() -> Result<&'static Region, RegionError> {
        BUNDLED.as_ref().map_err(Clone::clone)
    }

    pub(crate) fn from_boundaries(
        boundaries: Vec<(&'static MunicipalityInfo, MultiPolygon<f64>)>,
    ) -> Result<Self, RegionError> {
        let mut municipalities = Vec::with_capacity(boundaries.len());
        for (info, boundary) in boundaries {
            let code = parse_municipality_code(info.code)?;
            let inconsistent = |reason: &str| RegionError::InconsistentFeature {
                code: info.code.to_owned(),
                reason: reason.to_owned(),
            };
            let rect = boundary
                .bounding_rect()
                .ok_or_else(|| inconsistent("empty geometry"))?;
            let interior = boundary
                .interior_point()
                .ok_or_else(|| inconsistent("no interior point (degenerate polygons)"))?;
            municipalities.push(Municipality {
                info,
                code,
                bbox: Bbox {
                    west: rect.min().x,
                    south: rect.min().y,
                    east: rect.max().x,
                    north: rect.max().y,
                },
                representative_point: Point::from_geo(interior),
                boundary,
                map_feature: OnceLock::new(),
            });
        }
        municipalities.sort_by_key(|m| m.code);
        let entries = municipalities
            .iter()
            .enumerate()
            .flat_map(|(m, municipality)| {
                municipality
                    .boundary
                    .iter()
                    .enumerate()
                    .filter_map(move |(p, polygon)| {
                        let rect = polygon.bounding_rect()?;
                        Some(GeomWithData::new(
                            Rectangle::from_corners(rect.min().into(), rect.max().into()),
                            (m, p),
                        ))
                    })
            })
            .collect();
        Ok(Self {
            municipalities,
            index: RTree::bulk_load(entries),
            map_collection: OnceLock::new(),
        })
    }

    /// 山口県 itself.
    pub fn prefecture(&self) -> &'static Prefecture {
        &PREFECTURE
    }

    /// All municipalities in code order.
    pub fn municipalities(&self) -> &[Municipality] {
        &self.municipalities
    }

    /// The municipality for a five-digit code (`"35203"`) or a six-digit
    /// local-government code (`"352039"`, check digit verified), as typed by a
    /// person or found in a URL.
    pub fn municipality(&self, code: &str) -> Result<&Municipality, RegionError> {
        let parsed = parse_municipality_code(code)?;
        self.municipality_by_code(parsed)
            .ok_or_else(|| RegionError::UnknownMunicipality {
                code: parsed.as_str().to_owned(),
            })
    }

    /// The municipality for an already parsed code, if it is in this region.
    pub fn municipality_by_code(&self, code: MunicipalityCode) -> Option<&Municipality> {
        self.municipalities
            .binary_search_by_key(&code, |m| m.code)
            .ok()
            .map(|i| &self.municipalities[i])
    }

    /// The municipality a point (degrees) is in.
    ///
    /// Points inside a boundary are exact for the loaded boundaries. Points
    /// outside every boundary but within `options.snap_distance_m` of one are
    /// attributed to the nearest ([`Method::Snapped`]), because the coastline
    /// is simplified; see [`DEFAULT_SNAP_DISTANCE_M`]. Non-finite input is
    /// [`Method::Outside`].
    pub fn locate(&self, lat: f64, lon: f64, options: &LocateOptions) -> Location<'_> {
        let outside = Location {
            municipality: None,
            method: Method::Outside,
        };
        if !lat.is_finite() || !lon.is_finite() {
            return outside;
        }
        let point = geo::Point::new(lon, lat);
        if let Some(m) = self.containing(point) {
            return Location {
                municipality: Some(&self.municipalities[m]),
                method: Method::Inside,
            };
        }
        match self.nearest_within(point, options.snap_distance_m) {
            Some((m, distance_m)) => Location {
                municipality: Some(&self.municipalities[m]),
                method: Method::Snapped { distance_m },
            },
            None => outside,
        }
    }

    /// Index of the municipality containing the point. Neighbouring boundaries
    /// simplified independently can overlap slightly; the lowest code then wins,
    /// so the answer is at least deterministic.
    pub(crate) fn containing(&self, point: geo::Point<f64>) -> Option<usize> {
        self.index
            .locate_all_at_point(&[point.x(), point.y()])
            .map(|entry| entry.data)
            .filter(|&(m, p)| self.polygon(m, p).intersects(&point))
            .map(|(m, _)| m)
            .min()
    }

    fn polygon(&self, m: usize, p: usize) -> &Polygon<f64> {
        &self.municipalities[m].boundary.0[p]
    }

    /// Nearest municipality within `max_m` metres, with the distance.
    fn nearest_within(&self, point: geo::Point<f64>, max_m: f64) -> Option<(usize, f64)> {
        if max_m.is_nan() || max_m <= 0.0 {
            return None;
        }
        // Search box: a degree of latitude is ≥ 110.5 km; a degree of longitude
        // shrinks with cos(lat). Slightly too big a box only costs a test or two.
        let dlat = max_m / 110_000.0;
        let dlon = dlat / point.y().to_radians().cos().abs().max(0.01);
        let envelope = AABB::from_corners(
            [point.x() - dlon, point.y() - dlat],
            [point.x() + dlon, point.y() + dlat],
        );
        self.index
            .locate_in_envelope_intersecting(&envelope)
            .filter_map(|entry| {
                let (m, p) = entry.data;
                let nearest = match self.polygon(m, p).haversine_closest_point(&point) {
                    Closest::Intersection(q) | Closest::SinglePoint(q) => q,
                    Closest::Indeterminate => return None,
                };
                Some((m, Haversine.distance(point, nearest)))
            })
            .filter(|&(_, d)| d <= max_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}
