use ydx_region::MAP_SIMPLIFY_TOLERANCE_DEG;

use crate::region;

#[test]
fn map_geojson_has_every_municipality_with_its_names() {
    let json: serde_json::Value = serde_json::from_str(region().boundaries_geojson()).unwrap();
    assert_eq!(json["type"], "FeatureCollection");
    let features = json["features"].as_array().unwrap();
    assert_eq!(features.len(), 19);
    for (feature, m) in features.iter().zip(region().municipalities()) {
        let p = &feature["properties"];
        assert_eq!(p["code"], m.code().as_str());
        assert_eq!(p["lg_code"], m.lg_code());
        assert_eq!(p["name_ja"], m.name_ja());
        assert_eq!(p["name_en"], m.name_en());
        assert_eq!(p["name_kana"], m.name_kana());
        assert_eq!(feature["geometry"]["type"], "MultiPolygon");
        // Every island survives simplification.
        let polygons = feature["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(polygons.len(), m.boundary().0.len(), "{}", m.name_ja());
    }
}

#[test]
fn map_geojson_is_smaller_and_cached() {
    let bundled = include_str!("../../data/yamaguchi-municipalities.geojson").len();
    let map = region().boundaries_geojson().len();
    assert!(map < bundled * 2 / 3, "bundled {bundled} B, map {map} B");
    assert!(std::ptr::eq(
        region().boundaries_geojson(),
        region().boundaries_geojson()
    ));
    const { assert!(MAP_SIMPLIFY_TOLERANCE_DEG > 0.0) }
}

#[test]
fn single_municipality_geojson() {
    let text = region().municipality_geojson("352047").unwrap();
    let feature: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(feature["type"], "Feature");
    assert_eq!(feature["properties"]["name_en"], "Hagi City");
    let bbox = region().municipality("35204").unwrap().bbox();
    assert_eq!(feature["bbox"], serde_json::json!(bbox.to_array()));
    assert!(region().municipality_geojson("35299").is_err());
}
