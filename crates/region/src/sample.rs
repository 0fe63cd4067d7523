//! Deterministic points inside a municipality, for sample data and demos.

use geo::Contains;

use crate::coordinate::Point;
use crate::error::RegionError;
use crate::region::{Municipality, Region};

/// Tries per point before giving up on rejection sampling. The worst
/// municipality (周防大島町, islands in a wide box) accepts roughly one draw in
/// four, so this is never reached in practice; it only bounds the loop.
const MAX_TRIES_PER_POINT: usize = 10_000;

impl Region {
    /// A point inside the municipality, the same for the same `seed`.
    ///
    /// Sample-data generators call this to place rows; determinism keeps
    /// generated fixtures and screenshots stable between runs. See
    /// [`Region::random_points_inside`] for many points.
    pub fn random_point_inside(&self, code: &str, seed: u64) -> Result<Point, RegionError> {
        Ok(self
            .random_points_inside(code, seed)?
            .next()
            .unwrap_or_else(|| {
                // The iterator is infinite; this arm only satisfies the type.
                self.municipality(code)
                    .map(Municipality::representative_point)
                    .unwrap_or(Point { lat: 0.0, lon: 0.0 })
            }))
    }

    /// An endless, deterministic sequence of points inside the municipality,
    /// spread roughly uniformly over its land (islands included).
    ///
    /// Each point is one that [`Region::locate`] attributes to this municipality
    /// as [`Method::Inside`](crate::Method::Inside), so sample rows are never
    /// counted in a neighbour where simplified boundaries overlap.
    pub fn random_points_inside(
        &self,
        code: &str,
        seed: u64,
    ) -> Result<RandomPointsInside<'_>, RegionError> {
        let municipality = self.municipality(code)?;
        let index = self
            .municipalities()
            .iter()
            .position(|m| m.code() == municipality.code())
            .unwrap_or_default();
        Ok(RandomPointsInside {
            region: self,
            index,
            state: seed,
        })
    }
}

/// Iterator returned by [`Region::random_points_inside`].
#[derive(Debug, Clone)]
pub struct RandomPointsInside<'a> {
    region: &'a Region,
    index: usize,
    state: u64,
}

impl RandomPointsInside<'_> {
    /// SplitMix64: tiny, fast, good enough for placing points, and keeps `rand`
    /// out of the dependency tree.
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_unit(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Iterator for RandomPointsInside<'_> {
    type Item = Point;

    fn next(&mut self) -> Option<Point> {
        let municipality = &self.region.municipalities()[self.index];
        let bbox = municipality.bbox();
        for _ in 0..MAX_TRIES_PER_POINT {
            let lon = bbox.west + self.next_unit() * (bbox.east - bbox.west);
            let lat = bbox.south + self.next_unit() * (bbox.north - bbox.south);
            let point = geo::Point::new(lon, lat);
            if municipality.boundary().contains(&point)
                && self.region.containing(point) == Some(self.index)
            {
                return Some(Point { lat, lon });
            }
        }
        Some(municipality.representative_point())
    }
}
