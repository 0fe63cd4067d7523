use ydx_region::{DEFAULT_SNAP_DISTANCE_M, LocateOptions, Method};

use crate::region;

/// Where the test places are and what a resident would expect.
struct Place {
    name: &'static str,
    lat: f64,
    lon: f64,
    expected: Option<&'static str>,
}

const PLACES: &[Place] = &[
    Place {
        name: "山口県庁",
        lat: 34.1859,
        lon: 131.4706,
        expected: Some("35203"),
    },
    Place {
        name: "下関市役所",
        lat: 33.9578,
        lon: 130.9414,
        expected: Some("35201"),
    },
    Place {
        name: "萩城跡",
        lat: 34.4178,
        lon: 131.3881,
        expected: Some("35204"),
    },
    Place {
        name: "北九州市役所",
        lat: 33.8834,
        lon: 130.8752,
        expected: None,
    },
    Place {
        name: "門司港駅",
        lat: 33.9450,
        lon: 130.9618,
        expected: None,
    },
    Place {
        name: "広島市役所",
        lat: 34.3853,
        lon: 132.4553,
        expected: None,
    },
    Place {
        name: "日本海",
        lat: 34.8,
        lon: 130.5,
        expected: None,
    },
];

#[test]
fn places_resolve_as_a_resident_expects() {
    let options = LocateOptions::default();
    for place in PLACES {
        let location = region().locate(place.lat, place.lon, &options);
        let code = location.municipality.map(|m| m.code().to_string());
        assert_eq!(
            code.as_deref(),
            place.expected,
            "{}: {:?}",
            place.name,
            location.method
        );
        assert_eq!(
            location.method == Method::Outside,
            place.expected.is_none(),
            "{}",
            place.name
        );
    }
}

#[test]
fn inland_points_are_inside_and_the_castle_is_snapped() {
    let options = LocateOptions::default();
    assert_eq!(
        region().locate(34.1859, 131.4706, &options).method,
        Method::Inside
    );
    assert_eq!(
        region().locate(33.9578, 130.9414, &options).method,
        Method::Inside
    );
    match region().locate(34.4178, 131.3881, &options).method {
        Method::Snapped { distance_m } => {
            assert!((50.0..150.0).contains(&distance_m), "{distance_m}")
        }
        other => panic!("萩城跡 should be snapped, got {other:?}"),
    }
}

/// Guards the choice of [`DEFAULT_SNAP_DISTANCE_M`]: the outside places must be
/// well beyond it, not just barely, or a slightly different boundary file would
/// flip them.
#[test]
fn outside_places_are_far_beyond_the_snap_distance() {
    let unlimited = LocateOptions {
        snap_distance_m: 100_000.0,
    };
    for place in PLACES.iter().filter(|p| p.expected.is_none()) {
        let distance = match region().locate(place.lat, place.lon, &unlimited).method {
            Method::Snapped { distance_m } => distance_m,
            Method::Outside => f64::INFINITY,
            Method::Inside => panic!("{} is inside", place.name),
        };
        assert!(
            distance > 3.0 * DEFAULT_SNAP_DISTANCE_M,
            "{}: {distance} m",
            place.name
        );
    }
}

#[test]
fn snapping_can_be_disabled_and_bad_input_is_outside() {
    let none = LocateOptions {
        snap_distance_m: 0.0,
    };
    assert_eq!(
        region().locate(34.4178, 131.3881, &none).method,
        Method::Outside
    );
    let default = LocateOptions::default();
    assert_eq!(
        region().locate(f64::NAN, 131.0, &default).method,
        Method::Outside
    );
    assert_eq!(
        region().locate(34.0, f64::INFINITY, &default).method,
        Method::Outside
    );
    assert_eq!(
        region().locate(95.0, 400.0, &default).method,
        Method::Outside
    );
}

#[test]
fn every_representative_point_locates_to_its_own_municipality() {
    for m in region().municipalities() {
        let p = m.representative_point();
        let location = region().locate(p.lat, p.lon, &LocateOptions::default());
        assert_eq!(location.municipality, Some(m), "{}", m.name_ja());
        assert_eq!(location.method, Method::Inside);
        assert!(m.bbox().contains(p));
    }
}
