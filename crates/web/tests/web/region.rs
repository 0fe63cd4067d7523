use crate::util::*;

async fn locate(app: &TestApp, lat: &str, lon: &str) -> (u16, serde_json::Value) {
    let (status, body, _) = app
        .get(&format!("/api/region/locate?lat={lat}&lon={lon}"))
        .await;
    (status, serde_json::from_str(&body).unwrap())
}

#[tokio::test]
async fn locate_says_how_the_answer_was_reached() {
    let app = app().await;
    let (s, v) = locate(&app, "34.1859", "131.4706").await;
    assert_eq!(s, 200);
    assert_eq!(v["method"], "inside");
    assert_eq!(v["municipality"]["code"], "35203");
    assert_eq!(v["municipality"]["lg_code"], "352039");
    // 萩城跡: just outside the simplified coastline.
    let (_, v) = locate(&app, "34.4178", "131.3881").await;
    assert_eq!(v["method"], "snapped");
    assert_eq!(v["municipality"]["code"], "35204");
    assert!(v["distance_m"].as_f64().unwrap() > 50.0);
    // Kitakyushu, across the strait, and Hiroshima.
    for (lat, lon) in [
        ("33.8834", "130.8752"),
        ("33.9450", "130.9618"),
        ("34.3853", "132.4553"),
    ] {
        let (_, v) = locate(&app, lat, lon).await;
        assert_eq!(v["method"], "outside", "{lat},{lon}");
        assert!(v["municipality"].is_null());
    }
}

#[tokio::test]
async fn locate_refuses_bad_coordinates_with_a_json_error() {
    let app = app().await;
    for (lat, lon) in [("abc", "131"), ("95", "131"), ("34.1", "")] {
        let (s, v) = locate(&app, lat, lon).await;
        assert_eq!(s, 400, "{lat},{lon}");
        assert_eq!(v["error"], "bad_request");
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn municipalities_and_boundaries() {
    let app = app().await;
    let (_, body, _) = app.get("/api/region/municipalities").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["municipalities"].as_array().unwrap().len(), 19);
    assert!(v["attribution"].as_str().unwrap().contains("国土数値情報"));
    let (s, body, res) = app.get("/api/region/boundaries.geojson").await;
    assert_eq!(s, 200);
    assert_eq!(res.headers()["content-type"], "application/geo+json");
    let fc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 19);
    let (s, _, _) = app.get("/api/region/municipalities/352039").await;
    assert_eq!(s, 200);
    let (s, _, _) = app.get("/api/region/municipalities/352038").await;
    assert_eq!(s, 400, "wrong check digit");
    let (s, _, _) = app.get("/api/region/municipalities/35999").await;
    assert_eq!(s, 404);
}
