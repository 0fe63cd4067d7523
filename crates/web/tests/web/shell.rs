use crate::util::*;

#[tokio::test]
async fn healthz_reports_the_database_and_every_response_has_a_request_id() {
    let app = app().await;
    let (status, body, res) = app.get("/healthz").await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["database"], "sqlite");
    assert_eq!(v["database_ok"], true);
    assert!(res.headers().get("x-request-id").is_some());
    let (_, _, res) = app.get("/no/such/page").await;
    assert!(res.headers().get("x-request-id").is_some());
}

#[tokio::test]
async fn errors_are_json_for_apis_and_pages_for_people() {
    let app = app().await;
    let (status, body, res) = app.get("/api/no-such-thing").await;
    assert_eq!(status, 404);
    assert!(
        res.headers()[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("json")
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"],
        "not_found"
    );
    let (status, body, _) = app.get("/no-such-page").await;
    assert_eq!(status, 404);
    assert!(body.contains("<html lang=\"ja\""));
    assert!(body.contains("お探しのページは見つかりませんでした"));
    let (_, body, _) = app
        .get_with("/no-such-page", &[("accept-language", "en")])
        .await;
    assert!(body.contains("was not found"));
}

#[tokio::test]
async fn openapi_document_lists_the_json_apis() {
    let app = app().await;
    let (status, body, _) = app.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/healthz",
        "/api/region/locate",
        "/api/region/municipalities",
        "/api/region/boundaries.geojson",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = app().await;
    app.get("/api/region/municipalities/35203").await;
    let (status, body, _) = app.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(body.contains("ydx_http_requests_total{method=\"GET\",route=\"/api/region/municipalities/{code}\",status=\"200\"} 1"), "{body}");
    assert!(body.contains("ydx_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn robots_allows_the_api() {
    let app = app().await;
    let (_, body, _) = app.get("/robots.txt").await;
    assert!(body.contains("Allow: /api/"));
    assert!(!body.contains("Disallow: /api/"));
}

#[tokio::test]
async fn front_end_packages_are_embedded() {
    let app = app().await;
    let (status, body, _) = app.get("/static/vendor/leaflet/leaflet.js").await;
    assert_eq!(status, 200);
    assert!(body.contains("Leaflet"));
    let (status, _, _) = app.get("/static/vendor/htmx/htmx.min.js").await;
    assert_eq!(status, 200);
    let (status, _, _) = app.get("/static/vendor/../../Cargo.toml").await;
    assert_ne!(status, 200);
}
