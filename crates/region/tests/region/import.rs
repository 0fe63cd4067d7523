use ydx_region::{Region, RegionError};

use crate::region;

const BUNDLED: &str = include_str!("../../data/yamaguchi-municipalities.geojson");

fn features() -> Vec<serde_json::Value> {
    let collection: serde_json::Value = serde_json::from_str(BUNDLED).unwrap();
    collection["features"].as_array().unwrap().clone()
}

fn collection(features: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": features}))
        .unwrap()
}

#[test]
fn the_bundled_file_imports_like_the_bundled_region() {
    let imported = Region::from_n03_geojson(BUNDLED.as_bytes()).unwrap();
    let codes = |r: &Region| {
        r.municipalities()
            .iter()
            .map(|m| m.code())
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(&imported), codes(region()));
    for (a, b) in imported
        .municipalities()
        .iter()
        .zip(region().municipalities())
    {
        assert_eq!(a.boundary(), b.boundary());
    }
}

/// Full N03 data has one feature per island plus 所属未定地 features without a
/// code, and the national file has other prefectures: all must be handled.
#[test]
fn islands_are_merged_and_uncoded_or_foreign_features_skipped() {
    let mut split = Vec::new();
    for feature in features() {
        let geometry = &feature["geometry"];
        if geometry["type"] == "MultiPolygon" {
            for polygon in geometry["coordinates"].as_array().unwrap() {
                let mut part = feature.clone();
                part["geometry"] = serde_json::json!({"type": "Polygon", "coordinates": polygon});
                split.push(part);
            }
        } else {
            split.push(feature);
        }
    }
    let mut undetermined = split[0].clone();
    undetermined["properties"]["N03_004"] = serde_json::Value::Null;
    undetermined["properties"]["N03_007"] = serde_json::Value::Null;
    let mut fukuoka = split[0].clone();
    fukuoka["properties"]["N03_001"] = "福岡県".into();
    fukuoka["properties"]["N03_004"] = "北九州市".into();
    fukuoka["properties"]["N03_007"] = "40100".into();
    split.push(undetermined);
    split.push(fukuoka);

    let imported = Region::from_n03_geojson(&collection(split)).unwrap();
    let oshima = imported.municipality("35305").unwrap();
    assert_eq!(oshima.boundary().0.len(), 11);
    assert_eq!(
        oshima.boundary(),
        region().municipality("35305").unwrap().boundary()
    );
}

#[test]
fn malformed_input_is_rejected_with_a_reason() {
    assert!(matches!(
        Region::from_n03_geojson(b"{\"type\": \"FeatureCollection\", \"features\": ["),
        Err(RegionError::MalformedGeoJson { .. })
    ));
    assert!(matches!(
        Region::from_n03_geojson(b"not json at all"),
        Err(RegionError::MalformedGeoJson { .. })
    ));
    assert_eq!(
        Region::from_n03_geojson(&collection(vec![])).map(|_| ()),
        Err(RegionError::NoYamaguchiMunicipality)
    );
}

#[test]
fn a_missing_municipality_is_named() {
    let without_abu: Vec<_> = features()
        .into_iter()
        .filter(|f| f["properties"]["N03_007"] != "35502")
        .collect();
    let err = Region::from_n03_geojson(&collection(without_abu)).unwrap_err();
    assert_eq!(
        err,
        RegionError::MissingMunicipalities {
            missing: vec![("35502".into(), "阿武町".into())]
        }
    );
    assert!(err.to_string().contains("35502 阿武町"));
}

#[test]
fn inconsistent_features_are_rejected() {
    let mut wrong_name = features();
    wrong_name[0]["properties"]["N03_004"] = "新南陽市".into();
    assert!(matches!(
        Region::from_n03_geojson(&collection(wrong_name)),
        Err(RegionError::InconsistentFeature { code, .. }) if code == "35201"
    ));

    let mut unknown = features();
    unknown[0]["properties"]["N03_007"] = "35299".into();
    assert_eq!(
        Region::from_n03_geojson(&collection(unknown)).map(|_| ()),
        Err(RegionError::UnknownMunicipality {
            code: "35299".into()
        })
    );

    // [lat, lon] instead of [lon, lat]: caught instead of locating nothing.
    let mut swapped = features();
    let swap = |v: &mut serde_json::Value| {
        fn walk(v: &mut serde_json::Value) {
            if let Some(items) = v.as_array_mut() {
                if items.len() == 2 && items.iter().all(serde_json::Value::is_number) {
                    items.swap(0, 1);
                } else {
                    items.iter_mut().for_each(walk);
                }
            }
        }
        walk(&mut v["geometry"]["coordinates"]);
    };
    swapped.iter_mut().for_each(swap);
    assert!(matches!(
        Region::from_n03_geojson(&collection(swapped)),
        Err(RegionError::InconsistentFeature { .. })
    ));

    let mut point = features();
    point[3]["geometry"] = serde_json::json!({"type": "Point", "coordinates": [131.4, 34.4]});
    assert!(matches!(
        Region::from_n03_geojson(&collection(point)),
        Err(RegionError::InconsistentFeature { code, .. }) if code == "35211"
    ));
}
