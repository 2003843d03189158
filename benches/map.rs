//! The map's case layer with 50,000 open cases in the town.
//!
//! `cargo bench --bench map` (env `GRIDSAFE_BENCH_CASES`, default 50,000, and
//! `GRIDSAFE_BENCH_REQUESTS`, default 40 per view; `GRIDSAFE_BENCH_KEEP=PATH` keeps
//! a copy of the database for the browser measurement).
//!
//! The demo town and people, then open cases at pseudo-random points all over
//! the town, inserted through the store in one transaction (the demo's own
//! seed plays whole histories with PDFs and would take far longer), in every
//! open state, a fifth of the dispatched ones overdue, one in fifteen major.
//! `GET /api/v1/map/cases` goes through the router in-process (no socket), as
//! the town office and as one village's inspector, at town zoom (the whole
//! town in a 1280×800 window, zoom 12: clusters) and at street zoom (about
//! 1.2 × 0.8 km, zoom 17: single cases). The size is the JSON as sent before
//! compression, and as the server gzips it for a browser.

mod support;

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use geo::{BoundingRect, Centroid};
use gridsafe::domain::geo_point::Lonlat;
use gridsafe::service::geography;
use gridsafe::store::cases::CaseRow;
use http_body_util::BodyExt;
use serde_json::Value;
use support::{Bench, get, percentile};
use tower::ServiceExt;

/// The size of the answer as the server's own compression sends it to a browser.
async fn gzipped(router: &axum::Router, token: &str, uri: &str) -> usize {
    let request = Request::get(uri)
        .header("cookie", format!("gridsafe_session={token}"))
        .header("accept-encoding", "gzip")
        .body(Body::empty());
    let response = router.clone().oneshot(request.expect("request")).await.expect("answer");
    assert_eq!(response.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    response.into_body().collect().await.expect("body").to_bytes().len()
}

/// A small deterministic generator (no `rand`: the figures must repeat).
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Inserts `count` open cases at random points inside the town; returns how many.
fn seed_open_cases(
    conn: &rusqlite::Connection,
    maps: &gridsafe::spatial::Maps,
    count: usize,
) -> gridsafe::error::Result<usize> {
    let town = maps.town().expect("a town");
    let rect = town.shape.bounding_rect().expect("a town with an area");
    let admin = gridsafe::store::people::list(conn)?.into_iter().find(|p| p.username == "admin").expect("admin").id;
    let mut rng = Lcg(14);
    let open = ["reported", "registered", "dispatched", "submitted"];
    let mut filed = 0;
    while filed < count {
        let lon = rect.min().x + rng.unit() * rect.width();
        let lat = rect.min().y + rng.unit() * rect.height();
        let Ok(point) = Lonlat::parse(lon, lat) else { continue };
        let Ok(located) = maps.locate(point) else { continue };
        let status = open[filed % open.len()];
        let major = filed % 15 == 0;
        let mut row = CaseRow {
            number: format!("BENCH-2026-{filed:06}"),
            kind: if filed % 3 == 0 { "environment" } else { "safety" }.into(),
            category: if filed % 3 == 0 { "E-A01" } else { "S-F01" }.into(),
            grade: if major { "major" } else { "general" }.into(),
            criterion: major.then(|| "《工贸企业重大事故隐患判定标准》第四条".to_owned()),
            title: format!("{}隐患", located.village.name),
            description: "基准测试用的未结隐患".into(),
            lon,
            lat,
            grid_code: located.village.code.to_string(),
            reporter_id: admin,
            status: status.into(),
            reported_at: "2026-10-01 09:00:00".into(),
            version: 1,
            ..CaseRow::default()
        };
        row.id = gridsafe::store::cases::insert(conn, &row)?;
        if matches!(status, "dispatched" | "submitted") {
            row.deadline = Some(if filed % 5 == 2 { "2026-10-15" } else { "2099-12-31" }.into());
            gridsafe::store::cases::update(conn, &row, 1)?;
        }
        filed += 1;
    }
    Ok(filed)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let cases: usize = std::env::var("GRIDSAFE_BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let requests: usize = std::env::var("GRIDSAFE_BENCH_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let started = Instant::now();
    let bench = Bench::demo(move |c, maps, _| seed_open_cases(c, maps, cases).map(drop)).await;
    let filed: i64 =
        bench.store.read(|c| Ok(c.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?)).await.expect("count");
    println!("seeded {filed} open cases in one transaction in {:.1} s", started.elapsed().as_secs_f64());
    let maps = bench.store.read(geography::load_maps).await.expect("maps");
    let router = &bench.router;
    let admin = bench.session("admin").await;
    let inspector = bench.session("tf0101.safety").await;
    let town = maps.town().expect("a town");
    let rect = town.shape.bounding_rect().expect("an area");
    let centre = town.shape.centroid().expect("a centre");
    // Street zoom 17 at this latitude: about 0.97 m a pixel, so 1280×800 px is about 1.24 × 0.77 km.
    let (dx, dy) = (1240.0 / (111_320.0 * centre.y().to_radians().cos()) / 2.0, 770.0 / 111_320.0 / 2.0);
    let whole = [rect.min().x, rect.min().y, rect.max().x, rect.max().y];
    let street = [centre.x() - dx, centre.y() - dy, centre.x() + dx, centre.y() + dy];
    let views = [
        ("town zoom 12, office", &admin, whole, 12),
        ("town zoom 12, inspector", &inspector, whole, 12),
        ("street zoom 17, office", &admin, street, 17),
    ];
    println!("GET /api/v1/map/cases over {filed} open cases, {requests} requests each, one at a time");
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9}",
        "view", "mode", "in view", "features", "p50 ms", "p95 ms", "JSON KB", "gzip KB"
    );
    for (name, token, [w, s, e, n], zoom) in views {
        let uri = format!("/api/v1/map/cases?bbox={w:.5},{s:.5},{e:.5},{n:.5}&zoom={zoom}");
        let (status, body) = get(router, token, &uri).await;
        assert_eq!(status, 200, "{uri}: {}", String::from_utf8_lossy(&body));
        let answer: Value = serde_json::from_slice(&body).expect("JSON");
        let features =
            answer["clusters"].as_array().map_or(0, Vec::len) + answer["cases"].as_array().map_or(0, Vec::len);
        let mut times = Vec::with_capacity(requests);
        for _ in 0..requests {
            let started = Instant::now();
            let (status, _) = get(router, token, &uri).await;
            times.push(started.elapsed());
            assert_eq!(status, 200);
        }
        times.sort();
        println!(
            "{:<24} {:>9} {:>9} {:>9} {:>9.1} {:>9.1} {:>10.1} {:>9.1}",
            name,
            answer["mode"].as_str().unwrap_or("?"),
            answer["total"],
            features,
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            body.len() as f64 / 1024.0,
            gzipped(router, token, &uri).await as f64 / 1024.0
        );
    }
}
