//! Ten years of a county on one node (SPEC §10): the read side at the size of
//! a generated database, measured over HTTP against the real server binary.
//!
//! `cargo bench --bench scale` generates a town first (env
//! `GRIDSAFE_SCALE_VILLAGES`, default 1,000; `GRIDSAFE_SCALE_CASES`, default
//! 300,000; `GRIDSAFE_SCALE_PATROLS`, default 30,000), or measures an existing
//! one: `GRIDSAFE_SCALE_DB=/path/town.db` (made with `gridsafe generate`; the
//! figures in the README are at 10,000 villages, 10,000,000 cases and
//! 1,000,000 patrols). `GRIDSAFE_SCALE_SECONDS` (default 60) is how long the
//! write-and-read part files at full speed. `GRIDSAFE_SCALE_PARTS` (default
//! `lists,stats,ogc,ledger,filing`; `ogc` is OGC API pages of 1,000 cases) picks the parts to run.
//!
//! Measured, in this order, against `gridsafe serve` on a loopback socket:
//! 1. every list's first and next page (p50/p99 of 200 requests each), for
//!    the town office and for one village inspector; case detail; stats for
//!    the last whole year by grid;
//! 2. the ledger CSV of the last whole year, three times (rows/s) with the server's peak RSS
//!    (`VmHWM` of its `/proc/PID/status`) before and after;
//! 3. filing over HTTP (64 clients) for the set seconds while one client reads
//!    case details, sampling the WAL's size every 100 ms; then the raw insert
//!    rate of the same rows on the same database, for the ratio.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

mod raw;

type Http = Client<HttpConnector, Full<Bytes>>;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Whether the part is to run (`GRIDSAFE_SCALE_PARTS`).
fn part(name: &str) -> bool {
    std::env::var("GRIDSAFE_SCALE_PARTS").map_or(true, |parts| parts.split(',').any(|p| p.trim() == name))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The database to measure: `GRIDSAFE_SCALE_DB`, or a town generated now.
fn database(dir: &Path) -> PathBuf {
    if let Ok(path) = std::env::var("GRIDSAFE_SCALE_DB") {
        return PathBuf::from(path);
    }
    let path = dir.join("town.db");
    let (villages, cases, patrols) = (
        env("GRIDSAFE_SCALE_VILLAGES", 1000),
        env("GRIDSAFE_SCALE_CASES", 300_000),
        env("GRIDSAFE_SCALE_PATROLS", 30_000),
    );
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_gridsafe"))
        .args(["generate", "--db"])
        .arg(&path)
        .args(["--villages", &villages.to_string(), "--cases", &cases.to_string()])
        .args(["--patrols", &patrols.to_string(), "--seed", "15"])
        .status()
        .expect("gridsafe generate runs");
    assert!(status.success(), "generate failed");
    println!(
        "generated {villages} villages, {cases} cases, {patrols} patrols in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    path
}

/// What the measurements need from the database, written straight into it.
struct Setup {
    /// A session of the admin.
    admin: String,
    /// A session of a village inspector.
    inspector: String,
    /// The admin's person id.
    admin_id: i64,
    /// A stored photo, for filings.
    photo: String,
}

/// Opens the sessions and stores a photo.
fn setup(path: &Path) -> Setup {
    let conn = gridsafe::store::open_migrated(path).expect("database opens");
    let now = gridsafe::domain::time::now_s();
    let admin: i64 = conn.query_row("SELECT id FROM people WHERE username = 'admin'", [], |r| r.get(0)).expect("admin");
    let inspector: i64 = conn
        .query_row(
            "SELECT a.person_id FROM assignments a JOIN assignment_scopes s ON s.assignment_id = a.id
             JOIN grids g ON s.kind = 'grid' AND g.code = s.code
             WHERE a.role = 'inspector' AND a.valid_to IS NULL AND g.level = 'village' ORDER BY a.id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("a village inspector");
    let open = |id| gridsafe::service::accounts::open_session(&conn, id, now).expect("session");
    let photo = raw::photo();
    gridsafe::store::media::insert(&conn, &photo, admin, "bench").expect("photo stored");
    Setup { admin: open(admin), inspector: open(inspector), admin_id: admin, photo: photo.id }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let child = Command::new(env!("CARGO_BIN_EXE_gridsafe"))
            .args(["serve", "--db"])
            .arg(db)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gridsafe serve starts");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(300), "the server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, base }
    }

    /// The server's (current, peak) resident memory in MB.
    fn rss_mb(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kb = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn get(http: &Http, base: &str, token: &str, path: &str) -> (u16, Bytes) {
    let request = Request::builder()
        .method(Method::GET)
        .uri(format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))
        .expect("request");
    let response = http.request(request).await.expect("answered");
    let status = response.status().as_u16();
    (status, response.into_body().collect().await.expect("body").to_bytes())
}

/// p50 and p99 of the first page and of the page after it, 200 times each.
async fn list(http: &Http, base: &str, token: &str, path: &str) -> (f64, f64, f64, f64, usize) {
    let (mut first, mut next) = (Vec::new(), Vec::new());
    let mut listed = 0;
    for _ in 0..200 {
        let t = Instant::now();
        let (status, body) = get(http, base, token, path).await;
        first.push(t.elapsed());
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        let page: serde_json::Value = serde_json::from_slice(&body).expect("json");
        let items = page.get("items").or_else(|| page.get("patrols")).and_then(|v| v.as_array()).map_or(0, Vec::len);
        listed = items;
        if let Some(after) = page["next"].as_str() {
            let sep = if path.contains('?') { '&' } else { '?' };
            let t = Instant::now();
            let (status, _) = get(http, base, token, &format!("{path}{sep}after={after}")).await;
            next.push(t.elapsed());
            assert_eq!(status, 200);
        }
    }
    first.sort();
    next.sort();
    let (n50, n99) = if next.is_empty() { (0.0, 0.0) } else { (percentile(&next, 0.5), percentile(&next, 0.99)) };
    (percentile(&first, 0.5), percentile(&first, 0.99), n50, n99, listed)
}

fn wal_bytes(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = database(dir.path());
    let setup = setup(&db);
    let (admin, inspector) = (setup.admin.clone(), setup.inspector.clone());
    let conn = rusqlite::Connection::open(&db).expect("open");
    let (cases, last): (i64, String) = conn
        .query_row("SELECT count(*), max(reported_at) FROM cases", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("cases");
    let community: String = conn
        .query_row("SELECT code FROM grids WHERE level = 'community' ORDER BY code LIMIT 1", [], |r| r.get(0))
        .expect("grid");
    let numbers: Vec<String> = {
        let mut stmt = conn.prepare("SELECT number FROM cases WHERE id % 9973 = 1").expect("numbers");
        stmt.query_map([], |r| r.get(0)).expect("numbers").map(Result::unwrap).collect()
    };
    drop(conn);
    let year: i64 = last[..4].parse().expect("year");
    println!(
        "database: {} ({cases} cases, {:.1} GB)",
        db.display(),
        std::fs::metadata(&db).map_or(0, |m| m.len()) as f64 / 1e9
    );

    let server = Server::start(&db);
    let http: Http = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(128).build_http();
    let base = server.base.clone();
    println!("server up; RSS {:.0} MB", server.rss_mb().0);

    if part("lists") {
        lists(&http, &base, (&admin, &inspector), (&community, year, &last), &numbers).await;
    }
    // Stats and the ledger of the last whole year.
    if part("stats") {
        stats(&http, &base, (&admin, &inspector), year - 1).await;
    }
    if part("ogc") {
        ogc(&http, &base, (&admin, &inspector)).await;
    }
    if part("ledger") {
        ledger(&http, &server, &admin, year - 1).await;
    }
    if part("filing") {
        filing(&http, server, &setup, &db, &numbers).await;
    }
}

/// The ledger CSV of a year: rows/s and the server's peak RSS.
async fn ledger(http: &Http, server: &Server, admin: &str, year: i64) {
    let base = &server.base;
    // Three downloads: the first reads the year from disk as much as from
    // the OS cache (a 20 GB file does not stay cached), the others warm.
    for run in ["first", "again", "again"] {
        let (_, before) = server.rss_mb();
        let t = Instant::now();
        let (status, body) =
            get(http, base, admin, &format!("/api/v1/ledger.csv?from={year}-01-01&to={year}-12-31")).await;
        let seconds = t.elapsed().as_secs_f64();
        assert_eq!(status, 200);
        let rows = csv::Reader::from_reader(&body[3..]).records().count();
        let (_, after) = server.rss_mb();
        println!(
            "ledger CSV of {year} ({run}): {rows} rows, {:.0} MB in {seconds:.1} s = {:.0} rows/s; server peak RSS {before:.0} MB before, {after:.0} MB after",
            body.len() as f64 / 1e6,
            rows as f64 / seconds
        );
    }
}

/// Filing while reading, then the raw insert rate on the same database;
/// then the database as it was (see [`restore`]).
async fn filing(http: &Http, server: Server, setup: &Setup, db: &Path, numbers: &[String]) {
    let before = raw::heads(&gridsafe::store::open_migrated(db).expect("open"));
    let http_rate = filing_while_reading(http, &server.base, setup, db, numbers).await;
    drop(server);
    let mut conn = gridsafe::store::open_migrated(db).expect("open");
    let spot = raw::spot(&conn);
    let at = raw::Spot { lon: spot.0, lat: spot.1, grid: spot.2, reporter: setup.admin_id, photo: setup.photo.clone() };
    let raw_rate = raw::file(&mut conn, 20_000, &at);
    println!(
        "raw inserts of the same rows on the same database: {raw_rate:.0} filings/s; HTTP keeps {:.0} % of it",
        http_rate / raw_rate * 100.0
    );
    raw::restore(&conn, before);
    println!("(the cases filed by this run were taken out again)");
}

/// Lists and case detail, for the office and an inspector.
async fn lists(
    http: &Http,
    base: &str,
    (admin, inspector): (&str, &str),
    (community, year, last): (&str, i64, &str),
    numbers: &[String],
) {
    println!("\n| list | who | first p50 | first p99 | next p50 | next p99 | rows |\n|---|---|---|---|---|---|---|");
    let month = format!("{year}-{}", &last[5..7]);
    let lists = [
        "/api/v1/cases".to_owned(),
        "/api/v1/cases?status=dispatched".to_owned(),
        "/api/v1/cases?status=reported".to_owned(),
        "/api/v1/cases?kind=river".to_owned(),
        "/api/v1/cases?grade=major".to_owned(),
        "/api/v1/cases?overdue=true".to_owned(),
        "/api/v1/cases?supervised=true".to_owned(),
        format!("/api/v1/cases?grid={community}"),
        format!("/api/v1/cases?from={year}-01-01&to={year}-01-31"),
        "/api/v1/patrols".to_owned(),
        format!("/api/v1/patrols?month={month}"),
    ];
    for path in &lists {
        for (who, token) in [("office", admin), ("inspector", inspector)] {
            let (f50, f99, n50, n99, rows) = list(http, base, token, path).await;
            println!("| `{path}` | {who} | {f50:.2} ms | {f99:.2} ms | {n50:.2} ms | {n99:.2} ms | {rows} |");
        }
    }
    let mut detail = Vec::new();
    for _ in 0..3 {
        for n in numbers {
            let t = Instant::now();
            let (status, _) = get(http, base, admin, &format!("/api/v1/cases/{n}")).await;
            detail.push(t.elapsed());
            assert_eq!(status, 200);
        }
    }
    detail.sort();
    println!(
        "\ncase detail: p50 {:.2} ms, p99 {:.2} ms ({} reads)",
        percentile(&detail, 0.5),
        percentile(&detail, 0.99),
        detail.len()
    );
}

/// OGC API – Features: pages of 1,000 cases as a GIS client reads them
/// (`limit=1000`, then each `next` link), for the office and an inspector.
async fn ogc(http: &Http, base: &str, (admin, inspector): (&str, &str)) {
    for (who, token) in [("office", admin), ("inspector", inspector)] {
        let (mut first, mut next) = (Vec::new(), Vec::new());
        for _ in 0..10 {
            let mut path = "/ogc/collections/cases/items?limit=1000".to_owned();
            for page in 0..10 {
                let t = Instant::now();
                let (status, body) = get(http, base, token, &path).await;
                let took = t.elapsed();
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                let page_json: serde_json::Value = serde_json::from_slice(&body).expect("geojson");
                if page == 0 {
                    first.push(took);
                } else {
                    next.push(took);
                }
                let link = page_json["links"].as_array().into_iter().flatten().find(|l| l["rel"] == "next");
                let Some(href) = link.and_then(|l| l["href"].as_str()) else { break };
                path = href.split_once("/ogc/").map_or(href.to_owned(), |(_, rest)| format!("/ogc/{rest}"));
            }
        }
        first.sort();
        next.sort();
        println!(
            "OGC cases items, limit 1000 ({who}): first page p50 {:.1} ms, p99 {:.1} ms ({} pages); next pages p50 {:.1} ms, p99 {:.1} ms ({} pages)",
            percentile(&first, 0.5),
            percentile(&first, 0.99),
            first.len(),
            if next.is_empty() { 0.0 } else { percentile(&next, 0.5) },
            if next.is_empty() { 0.0 } else { percentile(&next, 0.99) },
            next.len()
        );
    }
}

/// Stats for a year by grid, for the office and an inspector.
async fn stats(http: &Http, base: &str, (admin, inspector): (&str, &str), year: i64) {
    for (level, who, token) in
        [("village", "office", admin), ("community", "office", admin), ("village", "inspector", inspector)]
    {
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let (status, _) = get(
                http,
                base,
                token,
                &format!("/api/v1/stats?from={year}-01-01&to={year}-12-31&by=grid&level={level}"),
            )
            .await;
            times.push(t.elapsed());
            assert_eq!(status, 200);
        }
        times.sort();
        println!(
            "stats for {year} by {level} ({who}): median {:.0} ms, worst {:.0} ms",
            percentile(&times, 0.5),
            percentile(&times, 1.0)
        );
    }
}

/// Files at full speed for the set seconds while one client reads case
/// details; samples the WAL every 100 ms.
/// Returns the filing rate.
async fn filing_while_reading(http: &Http, base: &str, setup: &Setup, db: &Path, numbers: &[String]) -> f64 {
    let seconds = env("GRIDSAFE_SCALE_SECONDS", 60) as u64;
    let token = setup.admin.as_str();
    let (lon, lat, _) = raw::spot(&rusqlite::Connection::open(db).expect("open"));
    let body: Bytes =
        serde_json::json!({"kind": "safety", "category": "S-F10", "grade": "general", "title": "配电箱无防护罩",
        "description": "车间东侧配电箱门缺失，带电部位外露", "lon": lon, "lat": lat, "photos": [setup.photo]})
        .to_string()
        .into();
    // Keys unique to this run: a second run on the same file must file, not replay.
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis();
    let stop = Arc::new(AtomicBool::new(false));
    let filed = Arc::new(AtomicU64::new(0));
    let mut writers = tokio::task::JoinSet::new();
    for c in 0..64 {
        let (http, base, token, body, stop, filed) =
            (http.clone(), base.to_owned(), token.to_owned(), body.clone(), stop.clone(), filed.clone());
        writers.spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let request = Request::builder()
                    .method(Method::POST)
                    .uri(format!("{base}/api/v1/cases"))
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .header("idempotency-key", format!("scale-{run}-{c}-{n}"))
                    .body(Full::new(body.clone()))
                    .expect("request");
                let response = http.request(request).await.expect("answered");
                let status = response.status().as_u16();
                let answer = response.into_body().collect().await.expect("body").to_bytes();
                assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
                filed.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        });
    }
    let reader = {
        let (http, base, token, stop) = (http.clone(), base.to_owned(), token.to_owned(), stop.clone());
        let numbers = numbers.to_vec();
        tokio::spawn(async move {
            let mut times = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let (status, _) =
                    get(&http, &base, &token, &format!("/api/v1/cases/{}", numbers[i % numbers.len()])).await;
                times.push(t.elapsed());
                assert_eq!(status, 200);
                i += 1;
            }
            times
        })
    };
    let started = Instant::now();
    let mut wal_max = 0;
    while started.elapsed() < Duration::from_secs(seconds) {
        wal_max = wal_max.max(wal_bytes(db));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    writers.join_all().await;
    let mut reads = reader.await.expect("reader");
    let elapsed = started.elapsed().as_secs_f64();
    reads.sort();
    let rate = filed.load(Ordering::Relaxed) as f64 / elapsed;
    println!(
        "\nfiling for {seconds} s over HTTP (64 clients): {rate:.0} cases/s; WAL at most {:.1} MB; \
         case detail meanwhile p50 {:.2} ms, p99 {:.2} ms ({} reads)",
        wal_max as f64 / 1e6,
        percentile(&reads, 0.5),
        percentile(&reads, 0.99),
        reads.len()
    );
    rate
}
