//! Server time and weight of the web pages at the demo's size.
//!
//! `cargo bench --bench pages` (env `GRIDSAFE_BENCH_REQUESTS`, default 400 per page).
//!
//! The demo town with its 300 cases and 390 patrols, as `serve --demo` seeds
//! it; requests go through the router in-process (no socket), so the figure is
//! the server's own time: session lookup (cached, as in steady use), the
//! service's reads and the rendering. Pages: the home (待办) of the town office
//! (the longest list) and of an inspector, a case page with photos and
//! timeline, the case list, and the report form. The weight is the HTML plus
//! the CSS and JavaScript the page links (Leaflet and photos aside), as sent
//! uncompressed.

mod support;

use std::time::Instant;

use gridsafe::demo;
use support::{Bench, get, percentile};

/// The assets a page links (scripts and stylesheets), Leaflet aside.
fn linked(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for piece in html.split(attr).skip(1) {
            let url = &piece[..piece.find('"').unwrap_or(0)];
            let code = url.rsplit_once('.').is_some_and(|(_, ext)| ext == "js" || ext == "css");
            if url.starts_with("/assets/") && code && !url.contains("leaflet") {
                out.push(url.to_owned());
            }
        }
    }
    out
}

/// Modules import others (`app.js` imports `outbox.js`): follow `from './x.js'`.
fn imports(js: &str) -> Vec<String> {
    js.split("from './").skip(1).map(|s| s[..s.find('\'').unwrap_or(0)].to_owned()).collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let requests: usize = std::env::var("GRIDSAFE_BENCH_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    let bench = Bench::demo(|c, maps, now| {
        demo::seed_cases(c, maps, now, demo::DEMO_CASES)?;
        demo::seed_patrols(c, maps, now)?;
        Ok(())
    })
    .await;
    let (store, router) = (&bench.store, &bench.router);
    let admin = bench.session("admin").await;
    let inspector = bench.session("tf0101.safety").await;
    let case = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT c.number FROM cases c WHERE (SELECT count(*) FROM audit_log a WHERE a.case_id = c.id) > 3
                 ORDER BY (SELECT count(*) FROM audit_log a WHERE a.case_id = c.id) DESC LIMIT 1",
                [],
                |r| r.get::<_, String>(0),
            )?)
        })
        .await
        .expect("a case with a long timeline");
    let pages = [
        ("home (town office)", admin.clone(), "/".to_owned()),
        ("home (inspector)", inspector.clone(), "/".to_owned()),
        ("case page", admin.clone(), format!("/cases/{case}")),
        ("case list", admin.clone(), "/cases".to_owned()),
        ("report form", inspector.clone(), "/report".to_owned()),
    ];
    println!("pages at the demo's size (300 cases), {requests} requests each, one at a time");
    println!("{:<20} {:>9} {:>9} {:>9} {:>12}", "page", "p50 ms", "p95 ms", "max ms", "weight KB");
    for (name, token, uri) in &pages {
        let (status, html) = get(router, token, uri).await;
        assert_eq!(status, 200, "{uri}: {}", String::from_utf8_lossy(&html));
        let text = String::from_utf8_lossy(&html).into_owned();
        let mut weight = html.len();
        let mut queue = linked(&text);
        let mut seen = Vec::new();
        while let Some(url) = queue.pop() {
            if seen.contains(&url) {
                continue;
            }
            let (status, bytes) = get(router, token, &url).await;
            assert_eq!(status, 200, "{url}");
            weight += bytes.len();
            let folder = &url[..url.rfind('/').unwrap_or(0)];
            for module in imports(&String::from_utf8_lossy(&bytes)) {
                // A module imports the plain name, served under /assets/.
                queue.push(format!("{folder}/{module}"));
            }
            seen.push(url);
        }
        let mut times = Vec::with_capacity(requests);
        for _ in 0..requests {
            let started = Instant::now();
            let (status, _) = get(router, token, uri).await;
            times.push(started.elapsed());
            assert_eq!(status, 200);
        }
        times.sort();
        println!(
            "{:<20} {:>9.2} {:>9.2} {:>9.2} {:>12.1}",
            name,
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 1.0),
            weight as f64 / 1024.0
        );
    }
}
