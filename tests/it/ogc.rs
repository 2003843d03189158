//! OGC API – Features Part 1 under `/ogc`, one test per requirement of the
//! standard's abstract test suite (Core, GeoJSON, OpenAPI 3.0), and the
//! JSON API's scope: who sees which cases, enterprises and tracks.

use std::collections::{BTreeSet, HashSet};

use gridsafe::service::accounts::{Actor, actor_of};
use gridsafe::service::ogc::{self, ItemsQuery};
use gridsafe::store::case_query;
use serde_json::Value;

use crate::helpers::{NOW, TestApp, TestResponse};

/// The demo town with its people, `cases` cases and (when asked) its patrol logs.
async fn town(cases: usize, patrols: bool) -> TestApp {
    let app = TestApp::demo().await;
    let maps = app.app.maps();
    app.app.store.write(move |c| gridsafe::demo::seed_cases(c, &maps, NOW, cases)).await.unwrap();
    if patrols {
        let maps = app.app.maps();
        app.app.store.write(move |c| gridsafe::demo::seed_patrols(c, &maps, NOW)).await.unwrap();
    }
    app
}

/// The path and query of a link (the links are absolute).
fn path(href: &str) -> String {
    let rest = href.strip_prefix("http://").expect("an absolute http link");
    rest[rest.find('/').expect("a path")..].to_owned()
}

/// The href of the link with this rel.
fn link(body: &Value, rel: &str) -> Option<String> {
    body["links"].as_array()?.iter().find(|l| l["rel"] == rel).map(|l| l["href"].as_str().unwrap().to_owned())
}

#[track_caller]
fn geojson(response: &TestResponse) -> Value {
    assert_eq!(response.status.as_u16(), 200, "body: {}", response.text);
    assert_eq!(response.content_type, "application/geo+json", "{}", response.text);
    response.json()
}

/// GET with a bearer token when one is given.
async fn get(app: &TestApp, token: Option<&str>, uri: &str) -> TestResponse {
    match token {
        Some(t) => app.get_as(t, uri).await,
        None => app.get(uri).await,
    }
}

/// Every page of `uri`, following `next`: the features' ids in order, and the pages' bodies.
async fn all_pages(app: &TestApp, token: Option<&str>, uri: &str) -> (Vec<String>, Vec<Value>) {
    let (mut ids, mut pages) = (Vec::new(), Vec::new());
    let mut next = Some(uri.to_owned());
    while let Some(uri) = next {
        let body = geojson(&get(app, token, &uri).await);
        let features = body["features"].as_array().unwrap();
        assert_eq!(body["numberReturned"], features.len(), "{uri}");
        ids.extend(features.iter().map(|f| f["id"].as_str().map_or_else(|| f["id"].to_string(), str::to_owned)));
        next = link(&body, "next").map(|h| path(&h));
        pages.push(body);
        assert!(pages.len() < 1000, "paging does not end");
    }
    (ids, pages)
}

fn actor(app: &TestApp, username: &str) -> Actor {
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let person = gridsafe::store::people::list(&conn).unwrap().into_iter().find(|p| p.username == username).unwrap();
    actor_of(&conn, person, &gridsafe::domain::time::china_date(NOW), &app.app.maps()).unwrap().unwrap()
}

// Core: /conf/core/root-op, /conf/core/root-success.

#[tokio::test]
async fn the_landing_page_at_ogc_and_ogc_slash_links_self_api_conformance_and_data() {
    let app = TestApp::demo().await;
    for uri in ["/ogc", "/ogc/"] {
        let response = app.get(uri).await;
        let body = response.expect(200);
        assert_eq!(response.content_type, "application/json", "{uri}");
        assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(body["description"].as_str().is_some());
        for rel in ["self", "service-desc", "conformance", "data"] {
            assert!(link(&body, rel).is_some(), "{uri} has no {rel} link: {body}");
        }
        let desc = body["links"].as_array().unwrap().iter().find(|l| l["rel"] == "service-desc").unwrap();
        assert_eq!(desc["type"], "application/vnd.oai.openapi+json;version=3.0");
        assert_eq!(path(desc["href"].as_str().unwrap()), "/ogc/api");
        assert_eq!(path(&link(&body, "data").unwrap()), "/ogc/collections");
        assert_eq!(path(&link(&body, "conformance").unwrap()), "/ogc/conformance");
    }
}

#[tokio::test]
async fn links_start_from_the_host_the_client_used() {
    let app = TestApp::demo().await;
    let request = axum::http::Request::get("/ogc").header("host", "gis.example:8080").body(axum::body::Body::empty());
    let body = app.send(request.unwrap()).await.expect(200);
    assert_eq!(link(&body, "data").unwrap(), "http://gis.example:8080/ogc/collections");
}

// Core: /conf/core/conformance-op, /conf/core/conformance-success.

#[tokio::test]
async fn conformance_declares_core_geojson_and_oas30() {
    let app = TestApp::demo().await;
    let body = app.get("/ogc/conformance").await.expect(200);
    let classes: Vec<&str> = body["conformsTo"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for class in ["core", "geojson", "oas30"] {
        let uri = format!("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{class}");
        assert!(classes.contains(&uri.as_str()), "{class} missing: {classes:?}");
    }
}

/// Every `$ref` in `value` and whether it resolves inside `doc`.
fn check_refs(doc: &Value, value: &Value, count: &mut usize) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("a remote $ref: {r}"));
                assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
                *count += 1;
            }
            map.values().for_each(|v| check_refs(doc, v, count));
        }
        Value::Array(items) => items.iter().for_each(|v| check_refs(doc, v, count)),
        _ => {}
    }
}

// OpenAPI 3.0: /conf/oas30/oas-definition-1, -2, /conf/oas30/completeness, /conf/oas30/exceptions-codes.

#[tokio::test]
async fn the_api_definition_is_a_self_contained_openapi_3_0_document_of_every_ogc_path() {
    let app = TestApp::demo().await;
    let response = app.get("/ogc/api").await;
    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.content_type, "application/vnd.oai.openapi+json;version=3.0");
    let doc = response.json();
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(doc["servers"][0]["url"], "http://localhost/ogc");
    for p in [
        "/",
        "/api",
        "/conformance",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
    ] {
        let op = &doc["paths"][p]["get"];
        assert!(op["responses"]["200"].is_object(), "{p} has no 200");
        assert!(op["responses"]["500"].is_object(), "{p} has no 500");
    }
    let items = &doc["paths"]["/collections/{collectionId}/items"]["get"];
    for code in ["400", "401", "404"] {
        assert!(items["responses"][code].is_object(), "items has no {code}");
    }
    let params: Vec<&str> =
        items["parameters"].as_array().unwrap().iter().map(|p| p["$ref"].as_str().unwrap()).collect();
    for name in ["limit", "bbox", "datetime", "after"] {
        assert!(params.contains(&format!("#/components/parameters/{name}").as_str()), "{name} missing");
    }
    let limit = &doc["components"]["parameters"]["limit"]["schema"];
    assert_eq!((limit["default"].as_u64(), limit["maximum"].as_u64()), (Some(100), Some(10_000)));
    let ids = doc["components"]["parameters"]["collectionId"]["schema"]["enum"].as_array().unwrap().len();
    assert_eq!(ids, 6);
    let mut refs = 0;
    check_refs(&doc, &doc, &mut refs);
    assert!(refs > 20, "{refs}");
}

// Core: /conf/core/fc-md-op, /conf/core/fc-md-success, /conf/core/fc-md-links, /conf/core/fc-md-items.

#[tokio::test]
async fn the_collections_list_the_six_collections_each_with_an_items_link_typed_geojson() {
    let app = town(20, true).await;
    let body = app.get("/ogc/collections").await.expect(200);
    assert!(link(&body, "self").is_some());
    let ids: Vec<&str> = body["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["grids", "rivers", "reaches", "enterprises", "cases", "patrols"]);
    for c in body["collections"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        assert!(c["title"].as_str().is_some_and(|t| !t.is_ascii()), "{id}: a Chinese title");
        let items = c["links"].as_array().unwrap().iter().find(|l| l["rel"] == "items").unwrap();
        assert_eq!(items["type"], "application/geo+json", "{id}");
        assert_eq!(path(items["href"].as_str().unwrap()), format!("/ogc/collections/{id}/items"));
        assert_eq!(c["crs"][0], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
    }
}

// Core: /conf/core/sfc-md-op, /conf/core/sfc-md-success, /conf/core/fc-md-extent.

#[tokio::test]
async fn a_collection_has_its_crs84_extent_and_cases_and_patrols_their_time_span() {
    let app = town(20, true).await;
    let maps = app.app.maps();
    let town = geo::BoundingRect::bounding_rect(&maps.town().unwrap().shape).unwrap();
    for id in ["grids", "rivers", "reaches", "enterprises", "cases", "patrols"] {
        let response = app.get(&format!("/ogc/collections/{id}")).await;
        let body = response.expect(200);
        assert_eq!(response.content_type, "application/json");
        assert_eq!(body["id"], id);
        assert_eq!(body["extent"]["spatial"]["crs"], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
        let bbox: Vec<f64> =
            body["extent"]["spatial"]["bbox"][0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(bbox.len(), 4, "{id}");
        assert!(bbox[0] < bbox[2] && bbox[1] < bbox[3], "{id}: {bbox:?}");
        if id != "rivers" {
            assert_eq!(bbox, [town.min().x, town.min().y, town.max().x, town.max().y], "{id}");
        }
        let interval = &body["extent"]["temporal"]["interval"][0];
        if id == "cases" || id == "patrols" {
            let (first, last) = (interval[0].as_str().unwrap(), interval[1].as_str().unwrap());
            assert!(first <= last && first.ends_with("+08:00"), "{id}: {interval}");
        } else {
            assert!(interval.is_null(), "{id}: {interval}");
        }
    }
}

// Core: /conf/core/http (404 for what does not exist).

#[tokio::test]
async fn an_unknown_collection_or_item_is_a_404() {
    let app = town(5, true).await;
    let admin = app.login("admin").await;
    app.get("/ogc/collections/roads").await.expect_error(404, "not_found");
    app.get("/ogc/collections/roads/items").await.expect_error(404, "not_found");
    app.get("/ogc/collections/roads/items/1").await.expect_error(404, "not_found");
    app.get("/ogc/nothing").await.expect_error(404, "not_found");
    for (id, fid) in [
        ("grids", "NOPE"),
        ("rivers", "nile"),
        ("reaches", "nile-TF0101"),
        ("enterprises", "999999"),
        ("enterprises", "abc"),
        ("cases", "TF-1999-000001"),
        ("patrols", "XH-1999-000001"),
    ] {
        app.get_as(&admin, &format!("/ogc/collections/{id}/items/{fid}")).await.expect_error(404, "not_found");
    }
}

// Core: /conf/core/fc-op, /conf/core/fc-response; GeoJSON: /conf/geojson/content, /conf/geojson/definition.

#[tokio::test]
async fn items_are_a_geojson_feature_collection_with_links_counts_and_a_time_stamp() {
    let app = town(30, false).await;
    for id in ["grids", "rivers", "reaches"] {
        let body = geojson(&app.get(&format!("/ogc/collections/{id}/items")).await);
        assert_eq!(body["type"], "FeatureCollection");
        assert!(body["timeStamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(body["numberReturned"], body["features"].as_array().unwrap().len());
        assert_eq!(body["numberMatched"], body["numberReturned"], "{id} fits one page");
        assert!(link(&body, "self").is_some() && link(&body, "collection").is_some());
        assert!(link(&body, "next").is_none(), "{id}");
        for f in body["features"].as_array().unwrap() {
            assert_eq!(f["type"], "Feature");
            assert!(f["id"].is_string());
            let kind = f["geometry"]["type"].as_str().unwrap();
            assert_eq!(kind, if id == "grids" { "MultiPolygon" } else { "MultiLineString" }, "{id}");
            assert!(f["properties"].as_object().unwrap().values().all(|v| !v.is_object() && !v.is_array()), "flat");
        }
    }
    let grids = geojson(&app.get("/ogc/collections/grids/items").await);
    assert_eq!(grids["numberMatched"], 68);
    let village = grids["features"].as_array().unwrap().iter().find(|f| f["properties"]["level"] == "village").unwrap();
    assert!(village["properties"]["parent_name"].is_string() && village["properties"]["name"].is_string());
    let reach = &geojson(&app.get("/ogc/collections/reaches/items").await)["features"][0]["properties"];
    assert!(reach["river_name"].is_string() && reach["village_name"].is_string() && reach["length_m"].is_number());
}

// Core: /conf/core/fc-limit-default-minimum-maximum, /conf/core/fc-limit-response-1, -2.

#[tokio::test]
async fn limit_defaults_to_100_and_a_larger_limit_is_clamped_to_10000() {
    let app = town(150, false).await;
    let admin = app.login("admin").await;
    let first = geojson(&app.get_as(&admin, "/ogc/collections/cases/items").await);
    assert_eq!(first["numberReturned"], 100);
    assert_eq!(first["numberMatched"], 150);
    assert!(path(&link(&first, "next").unwrap()).contains("limit=100"));
    for limit in ["1000", "10001", "99999999999999999999999"] {
        let body = geojson(&app.get_as(&admin, &format!("/ogc/collections/cases/items?limit={limit}")).await);
        assert_eq!(body["numberReturned"], 150, "limit={limit}");
        assert!(link(&body, "next").is_none());
        let own = path(&link(&body, "self").unwrap());
        assert!(own.contains(if limit == "1000" { "limit=1000" } else { "limit=10000" }), "{own}");
    }
    let one = geojson(&app.get_as(&admin, "/ogc/collections/cases/items?limit=1").await);
    assert_eq!(one["numberReturned"], 1);
    for bad in ["0", "-1", "abc", "1.5", ""] {
        let error =
            app.get_as(&admin, &format!("/ogc/collections/cases/items?limit={bad}")).await.expect_error(400, "invalid");
        assert_eq!(error["details"]["field"], "limit", "limit={bad}");
    }
}

// Core: /conf/core/query-param-unknown, /conf/core/query-param-invalid.

#[tokio::test]
async fn an_unknown_or_bad_parameter_is_a_400_naming_it() {
    let app = town(5, false).await;
    let admin = app.login("admin").await;
    for (query, field) in [
        ("foo=1", "foo"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=119,36,118,37", "bbox"),
        ("bbox=118,37,119,36", "bbox"),
        ("bbox=118,36,inf,37", "bbox"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2026-13-01T00:00:00Z", "datetime"),
        ("datetime=../..", "datetime"),
        ("datetime=2026-11-02T00:00:00Z/2026-11-01T00:00:00Z", "datetime"),
        ("after=nonsense", "after"),
        ("after=", "after"),
        ("limit=5&limit=6", "limit"),
        ("offset=100", "offset"),
        ("f=xml", "f"),
    ] {
        for id in ["grids", "cases"] {
            if id == "grids" && query == "after=nonsense" {
                continue; // a grid cursor is a code: any text is one
            }
            let error =
                app.get_as(&admin, &format!("/ogc/collections/{id}/items?{query}")).await.expect_error(400, "invalid");
            assert_eq!(error["details"]["field"], field, "{id}?{query}");
        }
    }
    app.get("/ogc/collections?foo=1").await.expect_error(400, "invalid");
    app.get("/ogc?foo=1").await.expect_error(400, "invalid");
    geojson(&app.get("/ogc/collections/grids/items?f=json&limit=2").await);
    // A box with heights (six numbers) is a box.
    geojson(&app.get("/ogc/collections/grids/items?bbox=118,36,0,119,37,100").await);
    // Corners past the world's edge are the edge.
    let world = geojson(&app.get("/ogc/collections/grids/items?bbox=-200,-100,200,100").await);
    assert_eq!(world["numberMatched"], 68);
}

/// The case numbers the admin's JSON API lists whose point lies in `bbox` and
/// whose filing instant passes `keep`.
fn cases_where(app: &TestApp, keep: impl Fn(&gridsafe::store::cases::CaseRow) -> bool) -> BTreeSet<String> {
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    gridsafe::store::cases::list(&conn).unwrap().into_iter().filter(|c| keep(c)).map(|c| c.number).collect()
}

// Core: /conf/core/fc-bbox-definition, /conf/core/fc-bbox-response.

#[tokio::test]
async fn bbox_keeps_exactly_the_cases_in_the_box_and_the_grids_that_touch_it() {
    let app = town(200, false).await;
    let admin = app.login("admin").await;
    let maps = app.app.maps();
    let village = maps.villages().nth(10).unwrap();
    let around = geo::BoundingRect::bounding_rect(&village.shape).unwrap();
    let town = geo::BoundingRect::bounding_rect(&maps.town().unwrap().shape).unwrap();
    let half = [town.min().x, town.min().y, f64::midpoint(town.min().x, town.max().x), town.max().y];
    let one = [around.min().x, around.min().y, around.max().x, around.max().y];
    for [w, s, e, n] in [one, half, [0.0, 0.0, 1.0, 1.0]] {
        let uri = format!("/ogc/collections/cases/items?bbox={w},{s},{e},{n}&limit=17");
        let (ids, pages) = all_pages(&app, Some(&admin), &uri).await;
        let expected = cases_where(&app, |c| c.lon >= w && c.lon <= e && c.lat >= s && c.lat <= n);
        assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), expected, "bbox {w},{s},{e},{n}");
        assert_eq!(ids.len(), expected.len(), "none twice");
        assert_eq!(pages[0]["numberMatched"], expected.len());
        for page in &pages[1..] {
            assert!(path(&link(page, "self").unwrap()).contains("bbox="), "the box is kept");
        }
    }
    let [w, s, e, n] = one;
    let grids = geojson(&app.get(&format!("/ogc/collections/grids/items?bbox={w},{s},{e},{n}")).await);
    let codes: Vec<&str> = grids["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(codes.contains(&village.grid.code.as_str()) && codes.contains(&"TF"), "{codes:?}");
    assert!(codes.len() < 20, "only the grids near the village: {codes:?}");
    let far = geojson(&app.get("/ogc/collections/grids/items?bbox=0,0,1,1").await);
    assert_eq!((far["numberReturned"].as_u64(), far["numberMatched"].as_u64()), (Some(0), Some(0)));
}

/// Whether a filing instant (Unix seconds) passes a `datetime`.
type Keep = Box<dyn Fn(i64) -> bool>;

// Core: /conf/core/fc-time-definition, /conf/core/fc-time-response.

#[tokio::test]
async fn datetime_keeps_the_cases_reported_at_an_instant_in_an_interval_or_past_an_open_end() {
    let app = town(200, false).await;
    let admin = app.login("admin").await;
    let all = cases_where(&app, |_| true);
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let rows = gridsafe::store::cases::list(&conn).unwrap();
    let sample = &rows[rows.len() / 2];
    let at = gridsafe::spatial::track_input::parse_rfc3339(&sample.reported_at).unwrap();
    let utc = |s: i64| {
        let t = gridsafe::domain::time::china_timestamp(s - 8 * 3600);
        format!("{}Z", &t[..19])
    };
    let day = &sample.reported_at[..10];
    let (a, b) = (utc(at - 20 * 86_400), utc(at));
    let cases: Vec<(String, Keep)> = vec![
        (utc(at), Box::new(move |t| t == at)),
        (sample.reported_at.replace('+', "%2B"), Box::new(move |t| t == at)),
        (format!("{a}/{b}"), Box::new(move |t| t >= at - 20 * 86_400 && t <= at)),
        (format!("../{b}"), Box::new(move |t| t <= at)),
        (format!("{a}/.."), Box::new(move |t| t >= at - 20 * 86_400)),
        (format!("{a}/"), Box::new(move |t| t >= at - 20 * 86_400)),
        (format!("/{b}"), Box::new(move |t| t <= at)),
    ];
    for (datetime, keep) in cases {
        let uri = format!("/ogc/collections/cases/items?datetime={datetime}&limit=23");
        let (ids, pages) = all_pages(&app, Some(&admin), &uri).await;
        let expected =
            cases_where(&app, |c| keep(gridsafe::spatial::track_input::parse_rfc3339(&c.reported_at).unwrap()));
        assert!(!expected.is_empty() && expected.len() < all.len() || datetime.ends_with("/.."), "{datetime}");
        assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), expected, "datetime={datetime}");
        assert_eq!(ids.len(), expected.len());
        assert_eq!(pages[0]["numberMatched"], expected.len());
    }
    // A date is its whole day in China time.
    let (ids, _) = all_pages(&app, Some(&admin), &format!("/ogc/collections/cases/items?datetime={day}")).await;
    let expected = cases_where(&app, |c| &c.reported_at[..10] == day);
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), expected);
    // Outside the cases' time: nothing; the geography has no time and is not narrowed.
    let none = geojson(
        &app.get_as(&admin, "/ogc/collections/cases/items?datetime=1999-01-01T00:00:00Z/1999-12-31T00:00:00Z").await,
    );
    assert_eq!(none["numberMatched"], 0);
    let grids = geojson(&app.get("/ogc/collections/grids/items?datetime=1999-01-01T00:00:00Z").await);
    assert_eq!(grids["numberMatched"], 68);
}

// Core: /conf/core/fc-links, /conf/core/fc-rel-type; paging by `next` (keyset, not offset).

#[tokio::test]
async fn paging_follows_next_through_every_item_once_and_keeps_the_other_parameters() {
    let app = town(120, true).await;
    let admin = app.login("admin").await;
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let maps = app.app.maps();
    let cases = cases_where(&app, |_| true);
    let patrols: BTreeSet<String> =
        gridsafe::store::patrols::list(&conn, None, None).unwrap().into_iter().map(|p| p.code).collect();
    let enterprises: BTreeSet<String> =
        gridsafe::store::enterprises::list(&conn).unwrap().into_iter().map(|e| e.id.to_string()).collect();
    let grids: BTreeSet<String> = maps.grids().iter().map(|g| g.grid.code.as_str().to_owned()).collect();
    let reaches: BTreeSet<String> = maps.reaches().iter().map(|r| r.code.clone()).collect();
    for (id, expected, limit) in [
        ("cases", &cases, 7),
        ("patrols", &patrols, 50),
        ("enterprises", &enterprises, 9),
        ("grids", &grids, 10),
        ("reaches", &reaches, 6),
    ] {
        let (ids, pages) = all_pages(&app, Some(&admin), &format!("/ogc/collections/{id}/items?limit={limit}")).await;
        assert_eq!(ids.len(), expected.len(), "{id}: none twice, none missing");
        assert_eq!(&ids.iter().cloned().collect::<BTreeSet<_>>(), expected, "{id}");
        assert_eq!(pages[0]["numberMatched"], expected.len(), "{id}");
        assert!(pages.len() > 2, "{id}: {} pages", pages.len());
        for page in &pages[..pages.len() - 1] {
            let next = path(&link(page, "next").unwrap());
            assert!(next.contains(&format!("limit={limit}")) && next.contains("after="), "{id}: {next}");
            assert!(link(page, "collection").is_some() && link(page, "self").is_some());
        }
        assert!(!pages.iter().any(|p| link(p, "next").is_some_and(|n| n.contains("offset"))));
    }
    // bbox and datetime ride along in every next link.
    let town = geo::BoundingRect::bounding_rect(&maps.town().unwrap().shape).unwrap();
    let uri = format!(
        "/ogc/collections/cases/items?limit=5&bbox={},{},{},{}&datetime=2026-01-01T00:00:00Z/..",
        town.min().x,
        town.min().y,
        town.max().x,
        town.max().y
    );
    let (_, pages) = all_pages(&app, Some(&admin), &uri).await;
    assert!(pages.len() > 2);
    for page in &pages[..pages.len() - 1] {
        let next = path(&link(page, "next").unwrap());
        assert!(next.contains("bbox=") && next.contains("datetime=2026-01-01T00%3A00%3A00Z%2F.."), "{next}");
    }
}

// Core: /conf/core/f-op, /conf/core/f-success; GeoJSON: /conf/geojson/content (a single feature).

#[tokio::test]
async fn a_single_feature_is_geojson_with_self_and_collection_links() {
    let app = town(20, true).await;
    let admin = app.login("admin").await;
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let case = gridsafe::store::cases::list(&conn).unwrap().remove(0);
    let patrol = gridsafe::store::patrols::list(&conn, None, None).unwrap().remove(0);
    let enterprise = gridsafe::store::enterprises::list(&conn).unwrap().remove(0);
    let reach = app.app.maps().reaches()[0].code.clone();
    for (id, fid) in [
        ("grids", "TF".to_owned()),
        ("rivers", "mihe".to_owned()),
        ("reaches", reach),
        ("enterprises", enterprise.id.to_string()),
        ("cases", case.number.clone()),
        ("patrols", patrol.code.clone()),
    ] {
        let body = geojson(&app.get_as(&admin, &format!("/ogc/collections/{id}/items/{fid}")).await);
        assert_eq!(body["type"], "Feature");
        assert_eq!(path(&link(&body, "self").unwrap()), format!("/ogc/collections/{id}/items/{fid}"));
        assert_eq!(path(&link(&body, "collection").unwrap()), format!("/ogc/collections/{id}"));
        assert!(body["geometry"]["type"].is_string(), "{id}: {body}");
    }
    let body = geojson(&app.get_as(&admin, &format!("/ogc/collections/cases/items/{}", case.number)).await);
    let p = &body["properties"];
    assert_eq!(body["geometry"]["coordinates"][0], case.lon);
    for key in [
        "number",
        "title",
        "kind",
        "category",
        "category_name",
        "status",
        "grade",
        "overdue",
        "grid_code",
        "village_name",
        "reported_at",
    ] {
        assert!(!p[key].is_null(), "{key}: {p}");
    }
    let body = geojson(&app.get_as(&admin, &format!("/ogc/collections/enterprises/items/{}", enterprise.id)).await);
    assert_eq!(body["id"], enterprise.id);
    for key in ["name", "industry", "above_scale", "grid_code", "village_name"] {
        assert!(!body["properties"][key].is_null(), "{key}");
    }
    assert!(body["properties"].get("contact_phone").is_none(), "no phone numbers");
    let body = geojson(&app.get_as(&admin, &format!("/ogc/collections/patrols/items/{}", patrol.code)).await);
    for key in ["code", "river_name", "chief_level", "started_at", "ended_at", "distance_m", "valid", "review_status"] {
        assert!(!body["properties"][key].is_null(), "{key}");
    }
    assert_eq!(body["geometry"]["type"], "LineString");
}

// Scope, as the JSON API: /api/v1/cases and the OGC cases list the same.

#[tokio::test]
async fn an_inspector_sees_only_the_cases_of_their_grid_and_nothing_else() {
    let app = town(200, false).await;
    let token = app.login("tf0101.safety").await;
    let (ids, _) = all_pages(&app, Some(&token), "/ogc/collections/cases/items?limit=3").await;
    let mut listed = BTreeSet::new();
    let mut next: Option<String> = None;
    loop {
        let uri = match &next {
            Some(n) => format!("/api/v1/cases?limit=50&after={n}"),
            None => "/api/v1/cases?limit=50".to_owned(),
        };
        let body = app.get_as(&token, &uri).await.expect(200);
        listed.extend(body["items"].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap().to_owned()));
        match body["next"].as_str() {
            Some(n) => next = Some(n.to_owned()),
            None => break,
        }
    }
    assert!(!listed.is_empty());
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), listed);
    let all = cases_where(&app, |_| true);
    assert!(listed.len() < all.len());
    let outside = all.iter().find(|n| !listed.contains(*n)).unwrap();
    app.get_as(&token, &format!("/ogc/collections/cases/items/{outside}")).await.expect_error(404, "not_found");
    let (enterprises, _) = all_pages(&app, Some(&token), "/ogc/collections/enterprises/items").await;
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let scope = actor(&app, "tf0101.safety").scope;
    for e in gridsafe::store::enterprises::list(&conn).unwrap() {
        assert_eq!(enterprises.contains(&e.id.to_string()), scope.reads_enterprise(e.id, &e.grid_code), "{}", e.name);
    }
}

#[tokio::test]
async fn enterprises_cases_and_patrols_need_a_session_and_the_geography_does_not() {
    let app = town(5, true).await;
    for id in ["enterprises", "cases", "patrols"] {
        app.get(&format!("/ogc/collections/{id}/items")).await.expect_error(401, "unauthenticated");
        app.get(&format!("/ogc/collections/{id}/items/1")).await.expect_error(401, "unauthenticated");
        app.get_as("not-a-token", &format!("/ogc/collections/{id}/items")).await.expect_error(401, "unauthenticated");
        app.get(&format!("/ogc/collections/{id}")).await.expect(200);
    }
    for id in ["grids", "rivers", "reaches"] {
        geojson(&app.get(&format!("/ogc/collections/{id}/items")).await);
        geojson(&app.get_as("not-a-token", &format!("/ogc/collections/{id}/items")).await);
    }
    app.get("/ogc/collections/grids/items/TF").await.expect(200);
}

// PIPL Art. 28: a track only to the chief, those above on the river, and the office.

#[tokio::test]
async fn tracks_reach_only_those_who_may_read_them() {
    let app = town(0, true).await;
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let maps = app.app.maps();
    let logs = gridsafe::store::patrols::list(&conn, None, None).unwrap();
    let town_log = logs.iter().find(|p| p.level == "town").unwrap();
    // A village chief who walked the river the town chief's log is on.
    let people = gridsafe::store::people::list(&conn).unwrap();
    let login_of = |id: i64| people.iter().find(|p| p.id == id).unwrap().username.clone();
    let village_log = logs.iter().find(|p| p.level == "village" && p.river_code == town_log.river_code).unwrap();
    let (town_chief, village_chief) = (login_of(town_log.chief_id), login_of(village_log.chief_id));
    let mut seen_by = Vec::new();
    for user in ["admin", town_chief.as_str(), village_chief.as_str(), "tf0101.safety", "expert1", "police.mihe"] {
        let token = app.login(user).await;
        let reader = actor(&app, user);
        let (codes, pages) = all_pages(&app, Some(&token), "/ogc/collections/patrols/items?limit=40").await;
        let expected: BTreeSet<String> = logs
            .iter()
            .filter(|p| gridsafe::service::patrols::readable(&maps, &reader, p))
            .map(|p| p.code.clone())
            .collect();
        assert_eq!(codes.iter().cloned().collect::<BTreeSet<_>>(), expected, "{user}");
        for f in pages.iter().flat_map(|p| p["features"].as_array().unwrap()) {
            assert_eq!(f["geometry"]["type"], "LineString", "{user}");
        }
        let town_log_answer = app.get_as(&token, &format!("/ogc/collections/patrols/items/{}", town_log.code)).await;
        if expected.contains(&town_log.code) {
            assert_eq!(town_log_answer.status.as_u16(), 200, "{user}");
        } else {
            town_log_answer.expect_error(404, "not_found");
        }
        if user == village_chief {
            assert!(!expected.contains(&town_log.code), "a village chief does not read the town chief's track");
        }
        seen_by.push((user, expected.len()));
    }
    assert!(seen_by[0].1 == logs.len(), "the office reads every log: {seen_by:?}");
    assert!(seen_by[2].1 > 0 && seen_by[2].1 < seen_by[1].1, "a village chief reads their own: {seen_by:?}");
    assert_eq!(seen_by[3].1, 0, "an inspector reads no track: {seen_by:?}");
}

#[tokio::test]
async fn patrols_are_narrowed_by_when_they_began_and_where_their_track_runs() {
    let app = town(0, true).await;
    let admin = app.login("admin").await;
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let logs = gridsafe::store::patrols::list(&conn, None, None).unwrap();
    let mid = logs[logs.len() / 2].started_s;
    let utc = |s: i64| {
        let t = gridsafe::domain::time::china_timestamp(s - 8 * 3600);
        format!("{}Z", &t[..19])
    };
    let (codes, pages) =
        all_pages(&app, Some(&admin), &format!("/ogc/collections/patrols/items?limit=30&datetime=../{}", utc(mid)))
            .await;
    let expected: BTreeSet<String> = logs.iter().filter(|p| p.started_s <= mid).map(|p| p.code.clone()).collect();
    assert_eq!(codes.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(pages[0]["numberMatched"], expected.len());
    // A small box goes through the track index, the whole town is read in order:
    // both keep exactly the tracks that cross the box, and only readable ones.
    let maps = app.app.maps();
    let walked = logs.iter().find(|p| p.level == "village" && p.valid).unwrap();
    let reach = maps.reach(walked.reaches[0]["code"].as_str().unwrap()).unwrap();
    let near = geo::BoundingRect::bounding_rect(&reach.line).unwrap();
    let town = geo::BoundingRect::bounding_rect(&maps.town().unwrap().shape).unwrap();
    let chief_id = walked.chief_id;
    let people = gridsafe::store::people::list(&conn).unwrap();
    let chief = people.iter().find(|p| p.id == chief_id).unwrap().username.clone();
    let chief_token = app.login(&chief).await;
    let chief_actor = actor(&app, &chief);
    for (rect, limit) in [(near, 7), (town, 60)] {
        let view = geo::Rect::new(rect.min(), rect.max());
        let boxed = format!("bbox={},{},{},{}", rect.min().x, rect.min().y, rect.max().x, rect.max().y);
        let crosses = |p: &gridsafe::store::patrols::PatrolRow| {
            geo::Intersects::intersects(&gridsafe::service::patrols::stored_line(&p.track), &view)
        };
        for (token, reader) in [(&admin, actor(&app, "admin")), (&chief_token, chief_actor.clone())] {
            let uri = format!("/ogc/collections/patrols/items?limit={limit}&{boxed}");
            let (codes, _) = all_pages(&app, Some(token), &uri).await;
            let expected: BTreeSet<String> = logs
                .iter()
                .filter(|p| crosses(p) && gridsafe::service::patrols::readable(&maps, &reader, p))
                .map(|p| p.code.clone())
                .collect();
            assert!(!expected.is_empty(), "{boxed}");
            assert_eq!(codes.len(), expected.len(), "{boxed}: none twice");
            assert_eq!(codes.into_iter().collect::<BTreeSet<_>>(), expected, "{boxed}");
        }
    }
    let nowhere = geojson(&app.get_as(&admin, "/ogc/collections/patrols/items?bbox=0,0,0.01,0.01").await);
    assert_eq!((nowhere["numberReturned"].as_u64(), nowhere["numberMatched"].as_u64()), (Some(0), Some(0)));
}

/// What no statement of an OGC cases page may do (as `scale.rs` checks the lists):
/// read the whole cases table, or sort more than the overdue cases.
fn check_plan(plan: &str, what: &str) {
    assert!(!plan.contains("SCAN cases"), "{what}: a full scan: {plan}");
    if plan.contains("TEMP B-TREE") {
        assert!(plan.contains("INDEX cases_due "), "{what}: sorts more than the overdue cases: {plan}");
    }
    assert!(plan.contains("SEARCH cases"), "{what}: {plan}");
}

#[tokio::test]
async fn the_statements_of_an_ogc_cases_page_search_indexes_and_never_scan_the_cases() {
    let app = town(120, false).await;
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let maps = app.app.maps();
    let today = gridsafe::domain::time::china_date(NOW);
    let village = geo::BoundingRect::bounding_rect(&maps.villages().nth(5).unwrap().shape).unwrap();
    let town = geo::BoundingRect::bounding_rect(&maps.town().unwrap().shape).unwrap();
    let small = format!("{},{},{},{}", village.min().x, village.min().y, village.max().x, village.max().y);
    let whole = format!("{},{},{},{}", town.min().x, town.min().y, town.max().x, town.max().y);
    let queries = [
        String::new(),
        format!("bbox={small}"),
        format!("bbox={whole}"),
        "datetime=2026-11-01T00:00:00Z/2026-11-03T00:00:00Z".to_owned(),
        "datetime=2026-06-01T08:00:00%2B08:00".to_owned(),
        "datetime=../2026-07-01T00:00:00Z".to_owned(),
        "datetime=2026-02-01T00:00:00Z/..".to_owned(),
        format!("bbox={small}&datetime=2026-01-01T00:00:00Z/.."),
        format!("bbox={whole}&datetime=2026-11-01T00:00:00Z/2026-11-02T00:00:00Z"),
    ];
    let people = gridsafe::store::people::list(&conn).unwrap();
    let mut checked = 0;
    let mut terms_seen = HashSet::new();
    for person in people.into_iter().step_by(3) {
        let Some(reader) = actor_of(&conn, person, &today, &maps).unwrap() else { continue };
        for text in &queries {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text).unwrap();
            let q = ItemsQuery::parse(&pairs).unwrap();
            let query = ogc::cases_query(&conn, &maps, &reader, &q, &today).unwrap();
            for term in &query.terms {
                terms_seen.insert(std::mem::discriminant(term));
            }
            let counting = case_query::count_plans(&conn, &query, &today).unwrap();
            for plan in case_query::plans(&conn, &query, &today).unwrap().into_iter().chain(counting) {
                check_plan(&plan, &format!("{} with {text}", reader.person.username));
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
    assert!(terms_seen.len() >= 3, "grid, day and scope terms are all tried: {terms_seen:?}");
    // The admin's box of one village is read grid by grid, a short interval day by day.
    let admin = actor(&app, "admin");
    let parse =
        |text: &str| ItemsQuery::parse(&serde_urlencoded::from_str::<Vec<(String, String)>>(text).unwrap()).unwrap();
    let boxed = ogc::cases_query(&conn, &maps, &admin, &parse(&format!("bbox={small}")), &today).unwrap();
    assert!(boxed.terms.iter().all(|t| matches!(t, case_query::Term::Grid(_))), "{:?}", boxed.terms);
    let days = ogc::cases_query(&conn, &maps, &admin, &parse(queries[3].as_str()), &today).unwrap();
    assert!(
        days.terms.iter().all(|t| matches!(t, case_query::Term::Day(_))) && days.terms.len() <= 3,
        "{:?}",
        days.terms
    );
}

#[tokio::test]
async fn the_number_matched_is_left_out_past_the_counting_bound() {
    let app = town(60, false).await;
    let conn = gridsafe::store::open_migrated(&app.db_path()).unwrap();
    let maps = app.app.maps();
    let today = gridsafe::domain::time::china_date(NOW);
    let query = ogc::cases_query(&conn, &maps, &actor(&app, "admin"), &ItemsQuery::default(), &today).unwrap();
    assert_eq!(case_query::count_up_to(&conn, &query, &today, 1000).unwrap(), Some(60));
    assert_eq!(case_query::count_up_to(&conn, &query, &today, 60).unwrap(), Some(60));
    assert_eq!(case_query::count_up_to(&conn, &query, &today, 59).unwrap(), None);
    // The bound is on the rows read, not on the matches: a box holding a few
    // cases of a term holding more is not counted past the bound either.
    let maps_town = geo::BoundingRect::bounding_rect(&maps.town().unwrap().shape).unwrap();
    let corner = format!(
        "bbox={},{},{},{}",
        maps_town.min().x,
        maps_town.min().y,
        maps_town.min().x + 0.03,
        maps_town.min().y + 0.03
    );
    let q = ItemsQuery::parse(&serde_urlencoded::from_str::<Vec<(String, String)>>(&corner).unwrap()).unwrap();
    let mut boxed = ogc::cases_query(&conn, &maps, &actor(&app, "admin"), &q, &today).unwrap();
    boxed.terms = vec![case_query::Term::All];
    let few = case_query::count_up_to(&conn, &boxed, &today, 1000).unwrap().unwrap();
    assert!(few < 60, "{few}");
    assert_eq!(case_query::count_up_to(&conn, &boxed, &today, 59).unwrap(), None);
    // A later page does not count again.
    let admin = app.login("admin").await;
    let first = geojson(&app.get_as(&admin, "/ogc/collections/cases/items?limit=10").await);
    let second = geojson(&app.get_as(&admin, &path(&link(&first, "next").unwrap())).await);
    assert_eq!(first["numberMatched"], 60);
    assert!(second.get("numberMatched").is_none(), "{second}");
}
