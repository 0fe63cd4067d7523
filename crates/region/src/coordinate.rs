//! Latitude/longitude points and the parser for what people type.

use serde::{Deserialize, Serialize};

use crate::error::{CoordinateErrorReason, CoordinatePart, RegionError};
use crate::text::normalize;

/// A WGS 84 position in degrees.
///
/// Named fields rather than a tuple because GeoJSON writes `[lon, lat]` while
/// people and GPS apps write "lat, lon"; the names keep the two from being mixed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Latitude, −90…90, north positive.
    pub lat: f64,
    /// Longitude, −180…180, east positive.
    pub lon: f64,
}

impl Point {
    /// A point, or an error if a number is NaN/infinite or out of range.
    pub fn new(lat: f64, lon: f64) -> Result<Self, CoordinateErrorReason> {
        if !(-90.0..=90.0).contains(&lat) {
            // NaN fails `contains`, so it lands here too.
            return Err(CoordinateErrorReason::LatitudeOutOfRange(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(CoordinateErrorReason::LongitudeOutOfRange(lon));
        }
        Ok(Self { lat, lon })
    }

    pub(crate) fn from_geo(p: geo::Point<f64>) -> Self {
        Self {
            lat: p.y(),
            lon: p.x(),
        }
    }
}

impl std::fmt::Display for Point {
    /// "lat,lon", which [`parse_coordinate`] reads back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", self.lat, self.lon)
    }
}

impl std::str::FromStr for Point {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_coordinate(s)
    }
}

/// Reads "latitude,longitude" as typed or pasted by a person, e.g.
/// `"34.1859,131.4706"`, `"34.1859, 131.4706"`, `"34.1859 131.4706"` or the
/// full-width `"３４．１８５９，１３１．４７０６"` (normalised with NFKC).
///
/// Only plain decimals are accepted (`1e2`, `inf`, `NaN` are refused) and the
/// values must be in range. When the numbers only make sense the other way round
/// (e.g. `"131.47,34.18"`, the GeoJSON order), the error says so
/// ([`CoordinateErrorReason::LooksSwapped`]) so the form can suggest a fix.
pub fn parse_coordinate(input: &str) -> Result<Point, RegionError> {
    let err = |reason| RegionError::InvalidCoordinate {
        input: input.to_owned(),
        reason,
    };
    let normalized = normalize(input);
    if normalized.is_empty() {
        return Err(err(CoordinateErrorReason::Empty));
    }
    let parts: Vec<&str> = if normalized.contains(',') {
        normalized.split(',').map(str::trim).collect()
    } else {
        normalized.split_whitespace().collect()
    };
    let [lat_text, lon_text] = parts.as_slice() else {
        return Err(err(CoordinateErrorReason::NotTwoNumbers));
    };
    let lat = parse_decimal(lat_text).ok_or(err(CoordinateErrorReason::NotANumber {
        part: CoordinatePart::Latitude,
    }))?;
    let lon = parse_decimal(lon_text).ok_or(err(CoordinateErrorReason::NotANumber {
        part: CoordinatePart::Longitude,
    }))?;
    match Point::new(lat, lon) {
        Ok(point) => Ok(point),
        Err(_) if Point::new(lon, lat).is_ok() => Err(err(CoordinateErrorReason::LooksSwapped)),
        Err(reason) => Err(err(reason)),
    }
}

/// `[+-]digits[.digits]`, nothing else; `f64::from_str` alone would also take
/// `inf`, `NaN` and exponents.
fn parse_decimal(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    text.parse().ok().filter(|v: &f64| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(input: &str) -> CoordinateErrorReason {
        match parse_coordinate(input) {
            Err(RegionError::InvalidCoordinate { reason, .. }) => reason,
            other => panic!("{input:?}: {other:?}"),
        }
    }

    #[test]
    fn accepts_what_people_type() {
        let expected = Point {
            lat: 34.1859,
            lon: 131.4706,
        };
        for input in [
            "34.1859,131.4706",
            " 34.1859 , 131.4706 ",
            "34.1859 131.4706",
            "３４．１８５９，１３１．４７０６",
            "34.1859、131.4706",
            "+34.1859,+131.4706",
        ] {
            assert_eq!(parse_coordinate(input).unwrap(), expected, "{input:?}");
        }
        assert_eq!(
            parse_coordinate("−33.5,−70.6").unwrap(),
            Point {
                lat: -33.5,
                lon: -70.6
            }
        );
    }

    #[test]
    fn rejects_with_a_reason() {
        assert_eq!(reason(""), CoordinateErrorReason::Empty);
        assert_eq!(reason("34.1"), CoordinateErrorReason::NotTwoNumbers);
        assert_eq!(reason("1,2,3"), CoordinateErrorReason::NotTwoNumbers);
        assert_eq!(
            reason("NaN,131"),
            CoordinateErrorReason::NotANumber {
                part: CoordinatePart::Latitude
            }
        );
        assert_eq!(
            reason("34,inf"),
            CoordinateErrorReason::NotANumber {
                part: CoordinatePart::Longitude
            }
        );
        assert_eq!(
            reason("3e1,131"),
            CoordinateErrorReason::NotANumber {
                part: CoordinatePart::Latitude
            }
        );
        assert_eq!(
            reason(".,131"),
            CoordinateErrorReason::NotANumber {
                part: CoordinatePart::Latitude
            }
        );
        assert_eq!(
            reason("91,200"),
            CoordinateErrorReason::LatitudeOutOfRange(91.0)
        );
        assert_eq!(
            reason("34,181"),
            CoordinateErrorReason::LongitudeOutOfRange(181.0)
        );
        assert_eq!(
            reason("131.4706,34.1859"),
            CoordinateErrorReason::LooksSwapped
        );
    }
}
