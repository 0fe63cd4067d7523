use ydx_region::{LocateOptions, Method};

use crate::region;

#[test]
fn random_points_are_inside_and_deterministic() {
    for m in region().municipalities() {
        let code = m.code().to_string();
        let points: Vec<_> = region()
            .random_points_inside(&code, 42)
            .unwrap()
            .take(20)
            .collect();
        let again: Vec<_> = region()
            .random_points_inside(&code, 42)
            .unwrap()
            .take(20)
            .collect();
        assert_eq!(points, again);
        assert_eq!(region().random_point_inside(&code, 42).unwrap(), points[0]);
        for p in &points {
            let location = region().locate(p.lat, p.lon, &LocateOptions::default());
            assert_eq!(location.municipality, Some(m), "{} {p:?}", m.name_ja());
            assert_eq!(location.method, Method::Inside);
        }
        let other_seed = region().random_point_inside(&code, 43).unwrap();
        assert_ne!(other_seed, points[0]);
    }
}

#[test]
fn random_points_cover_the_islands() {
    // 周防大島町 is islands only; points must spread beyond the largest one.
    let oshima = region().municipality("35305").unwrap();
    let largest = oshima
        .boundary()
        .iter()
        .max_by_key(|p| p.exterior().0.len())
        .unwrap();
    use geo::Contains;
    let off_main_island = region()
        .random_points_inside("35305", 7)
        .unwrap()
        .take(400)
        .filter(|p| !largest.contains(&geo::Point::new(p.lon, p.lat)))
        .count();
    assert!(off_main_island > 0);
    assert!(region().random_point_inside("99999", 1).is_err());
}
