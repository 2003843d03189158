//! The geography API through the router, as a client sees it.

use geo::InteriorPoint;

use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_reports_the_loaded_geography() {
    let app = TestApp::demo().await;
    let body = app.get("/healthz").await.expect(200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["grids"], 68);
}

#[tokio::test]
async fn grids_are_listed_by_level_as_geojson() {
    let app = TestApp::demo().await;
    let all = app.get("/api/v1/grids").await.expect(200);
    assert_eq!(all["type"], "FeatureCollection");
    assert_eq!(all["features"].as_array().unwrap().len(), 1 + 9 + 58);
    for (level, count) in [("town", 1), ("community", 9), ("village", 58)] {
        let body = app.get(&format!("/api/v1/grids?level={level}")).await.expect(200);
        let features = body["features"].as_array().unwrap();
        assert_eq!(features.len(), count, "{level}");
        assert!(features.iter().all(|f| f["properties"]["level"] == level));
    }
}

#[tokio::test]
async fn one_grid_is_a_feature_with_its_parent_chain() {
    let app = TestApp::demo().await;
    let village = app.get("/api/v1/grids?level=village").await.expect(200)["features"][0].clone();
    let code = village["properties"]["code"].as_str().unwrap().to_owned();
    let body = app.get(&format!("/api/v1/grids/{code}")).await.expect(200);
    assert_eq!(body["type"], "Feature");
    assert_eq!(body["geometry"]["type"], "Polygon");
    let chain = body["properties"]["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 3);
    assert_eq!(chain[0]["name"], "谭坊镇");
    assert_eq!(chain[1]["code"], body["properties"]["parent"]);
    assert_eq!(chain[2]["code"], code.as_str());
    assert!(body["properties"]["area_km2"].as_f64().unwrap() > 0.5);
    let town = app.get("/api/v1/grids/TF").await.expect(200);
    let area = town["properties"]["area_km2"].as_f64().unwrap();
    assert!((area - 159.9).abs() < 3.0, "town area {area} km²");
    assert_eq!(town["properties"]["children"].as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn bad_grid_queries_get_json_errors() {
    let app = TestApp::demo().await;
    let error = app.get("/api/v1/grids?level=county").await.expect_error(400, "invalid");
    assert_eq!(error["details"]["field"], "level");
    app.get("/api/v1/grids?colour=red").await.expect_error(400, "invalid");
    let error = app.get("/api/v1/grids/NOPE").await.expect_error(404, "not_found");
    assert!(error["message"].as_str().unwrap().contains("NOPE"));
    app.get("/api/v1/nothing-here").await.expect_error(404, "not_found");
}

#[tokio::test]
async fn locate_resolves_a_village_interior_point() {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    let village = maps.villages().nth(17).unwrap();
    let p = village.shape.interior_point().unwrap();
    let body = app.get(&format!("/api/v1/locate?lon={}&lat={}", p.x(), p.y())).await.expect(200);
    assert_eq!(body["village"]["code"], village.grid.code.as_str());
    assert_eq!(body["village"]["name"], village.grid.name.as_str());
    assert_eq!(body["community"]["code"], village.grid.parent.as_ref().unwrap().as_str());
    assert_eq!(body["town"]["name"], "谭坊镇");
}

#[tokio::test]
async fn bad_locate_queries_name_the_field() {
    let app = TestApp::demo().await;
    for (query, field) in [
        ("lon=abc&lat=36.7", "lon"),
        ("lon=118.6&lat=", "lat"),
        ("lon=118.6&lat=95", "lat"),
        ("lon=-181&lat=36.7", "lon"),
        ("lon=NaN&lat=36.7", "lon"),
        ("lon=118.6", "lat"),
        ("lat=36.7", "lon"),
        ("lon=100&lat=30", "point"),
    ] {
        let error = app.get(&format!("/api/v1/locate?{query}")).await.expect_error(400, "invalid");
        assert_eq!(error["details"]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn rivers_list_and_detail_with_reaches() {
    let app = TestApp::demo().await;
    let body = app.get("/api/v1/rivers").await.expect(200);
    let mut names: Vec<&str> =
        body["features"].as_array().unwrap().iter().map(|f| f["properties"]["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["尧河", "弥河", "洗耳河", "猪龙河"]);
    for feature in body["features"].as_array().unwrap() {
        let code = feature["properties"]["code"].as_str().unwrap();
        let river = app.get(&format!("/api/v1/rivers/{code}")).await.expect(200);
        let reaches = river["reaches"]["features"].as_array().unwrap();
        assert!(reaches.len() >= 2, "{code} has {} reaches", reaches.len());
        assert_eq!(reaches.len() as u64, river["reach_count"].as_u64().unwrap());
        let sum: f64 = reaches.iter().map(|r| r["properties"]["length_m"].as_f64().unwrap()).sum();
        let in_town = river["length_m"].as_f64().unwrap();
        assert!((sum - in_town).abs() < 1.0 + reaches.len() as f64 * 0.05, "{code}: {sum} vs {in_town}");
        assert!(!reaches.is_empty(), "{code}");
        assert!(reaches.iter().all(|r| r["properties"]["grid_name"].is_string()));
    }
    app.get("/api/v1/rivers/nope").await.expect_error(404, "not_found");
}

#[tokio::test]
async fn the_map_page_and_its_vendored_assets_are_served() {
    let app = TestApp::demo().await;
    let page = app.get("/map").await;
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    let script = page
        .text
        .split("src=\"")
        .map(|s| &s[..s.find('"').unwrap_or(0)])
        .find(|s| s.starts_with("/assets/leaflet/leaflet."));
    let script = script.expect("the page loads Leaflet");
    assert!(
        script.starts_with("/assets/leaflet/leaflet.") && script.rsplit_once('.').is_some_and(|(_, ext)| ext == "js"),
        "{script}"
    );
    let hashed = app.get(script).await;
    assert_eq!(hashed.status, 200);
    assert_eq!(hashed.headers["cache-control"], "public, max-age=31536000, immutable");
    for asset in
        ["leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/LICENSE", "map.js", "map.css", "app.js", "app.css"]
    {
        let response = app.get(&format!("/static/{asset}")).await;
        assert_eq!(response.status, 200, "{asset}");
        assert!(!response.text.is_empty());
    }
    app.get("/static/leaflet/../../secret").await.expect_error(404, "not_found");
}

#[tokio::test]
async fn a_broken_database_gives_an_opaque_500() {
    let app = TestApp::demo().await;
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF; DROP TABLE reaches; DROP TABLE grids;").unwrap();
    let error = app.get("/healthz").await.expect_error(500, "internal");
    let text = error.to_string();
    assert!(!text.contains("grids") && !text.contains("SQL"), "internal detail leaked: {text}");
}

#[tokio::test]
async fn a_fixture_river_is_served_as_three_reaches_in_village_order() {
    let app = TestApp::with_fixtures("grids_valid.geojson", "rivers_three_squares.geojson").await;
    let river = app.get("/api/v1/rivers/r1").await.expect(200);
    let villages: Vec<&str> = river["reaches"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["properties"]["grid_name"].as_str().unwrap())
        .collect();
    assert_eq!(villages, ["西村", "中村", "东村"]);
    let located = app.get("/api/v1/locate?lon=118.61&lat=36.705").await.expect(200);
    assert_eq!(located["village"]["code"], "T0101", "a border point resolves to the lowest code");
}

/// The southernmost latitude of a GeoJSON line geometry.
fn min_lat(geometry: &serde_json::Value) -> f64 {
    let coords = geometry["coordinates"].as_array().unwrap();
    let points: Vec<&serde_json::Value> = if geometry["type"] == "LineString" {
        coords.iter().collect()
    } else {
        coords.iter().flat_map(|part| part.as_array().unwrap()).collect()
    };
    points.iter().map(|p| p[1].as_f64().unwrap()).fold(f64::MAX, f64::min)
}

#[tokio::test]
async fn reaches_are_listed_from_source_to_mouth() {
    let app = TestApp::demo().await;
    // The 弥河 flows south to north along the town's western edge.
    let river = app.get("/api/v1/rivers/mihe").await.expect(200);
    let lats: Vec<f64> =
        river["reaches"]["features"].as_array().unwrap().iter().map(|r| min_lat(&r["geometry"])).collect();
    assert!(lats.len() >= 5, "{lats:?}");
    assert!(lats.windows(2).all(|w| w[0] < w[1]), "not south to north: {lats:?}");
}
