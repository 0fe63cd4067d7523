//! Yamaguchi Prefecture (山口県) and its 19 municipalities (市町): codes, names in
//! Japanese, kana and English, boundaries, and "which municipality is this point
//! in?".
//!
//! Every other engine leans on this crate to file a record under a municipality,
//! so it is deliberately small, HTTP-free and panic-free. Boundaries come from
//! MLIT 国土数値情報 N03 (see `data/ATTRIBUTION.md`; any map showing them must
//! credit 「出典：国土数値情報（行政区域データ）（国土交通省）」).
//!
//! ```
//! use ydx_region::{LocateOptions, Method, Region};
//!
//! let region = Region::bundled()?;
//! let here = region.locate(34.1859, 131.4706, &LocateOptions::default());
//! assert_eq!(here.municipality.map(|m| m.name_en()), Some("Yamaguchi City"));
//! assert_eq!(here.method, Method::Inside);
//! assert_eq!(region.municipality("352039")?.name_ja(), "山口市");
//! # Ok::<(), ydx_region::RegionError>(())
//! ```

#![warn(missing_docs)]

mod code;
mod coordinate;
mod error;
mod facts;
mod map;
mod n03;
mod region;
mod sample;
mod text;

pub use code::{MunicipalityCode, lg_code_check_digit, parse_lg_code, parse_municipality_code};
pub use coordinate::{Point, parse_coordinate};
pub use error::{CodeErrorReason, CoordinateErrorReason, CoordinatePart, RegionError};
pub use facts::{
    District, MUNICIPALITIES, MunicipalityInfo, MunicipalityKind, PREFECTURE, Prefecture,
};
pub use map::MAP_SIMPLIFY_TOLERANCE_DEG;
pub use region::{
    Bbox, DEFAULT_SNAP_DISTANCE_M, LocateOptions, Location, Method, Municipality, Region,
};
pub use sample::RandomPointsInside;
