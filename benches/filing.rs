//! Case filing over HTTP against the raw SQLite insert rate of the same rows, in one run.
//!
//! `cargo bench --bench filing` (env: `GRIDSAFE_BENCH_CLIENTS`, default 64;
//! `GRIDSAFE_BENCH_FILINGS`, default 6400 per round; `GRIDSAFE_BENCH_ROUNDS`,
//! default 5 rounds of HTTP then raw, so drift on a shared machine hits both;
//! `GRIDSAFE_BENCH_DB=PATH` files into an existing database, e.g. one made by
//! `gridsafe generate`, both ways, and takes the filings out again at the end;
//! without it each run files into a new demo town).
//!
//! 1. HTTP: the real server on a loopback socket (`synchronous=FULL`, group
//!    commit); each client keeps one connection and files cases one after the
//!    other with a unique `Idempotency-Key`. Latency is per request.
//! 2. Raw: the same rows (case, audit entry, idempotency record) inserted with
//!    the store's own SQL, 100 filings per transaction, `synchronous=FULL`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridsafe::app::{App, UiSettings};
use gridsafe::demo;
use gridsafe::service::geography;
use gridsafe::store::{Store, StoreOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod raw;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Sends one request on a keep-alive connection and reads the whole response.
/// Kept lean (no allocation per response beyond the buffer), like a load tool would be,
/// so the client takes as little of the shared CPU as it can.
async fn roundtrip(stream: &mut TcpStream, request: &[u8], buffer: &mut Vec<u8>) -> (u16, String) {
    stream.write_all(request).await.expect("request written");
    buffer.clear();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut head_end = None;
    let mut length = 0usize;
    loop {
        let n = stream.read(&mut chunk).await.expect("response read");
        assert!(n > 0, "server closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
        if head_end.is_none()
            && let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n")
        {
            head_end = Some(end);
            length = content_length(&buffer[..end]);
        }
        if let Some(end) = head_end
            && buffer.len() >= end + 4 + length
        {
            let status = std::str::from_utf8(&buffer[9..12]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
            // A filing's 201 body is not needed; anything else is kept for the message.
            let body = if status == 201 {
                String::new()
            } else {
                String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).into_owned()
            };
            return (status, body);
        }
    }
}

/// The Content-Length of a response head (0 if absent).
fn content_length(head: &[u8]) -> usize {
    head.split(|&b| b == b'\n')
        .find_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let (name, value) = line.split_at(line.iter().position(|&b| b == b':')?);
            name.eq_ignore_ascii_case(b"content-length")
                .then(|| std::str::from_utf8(&value[1..]).ok()?.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0)
}

fn post(path: &str, token: Option<&str>, key: Option<&str>, body: &str) -> Vec<u8> {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = token {
        let _ = write!(head, "Authorization: Bearer {token}\r\n");
    }
    if let Some(key) = key {
        let _ = write!(head, "Idempotency-Key: {key}\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A database with the demo town, its people and one photo; returns the photo id.
async fn prepared(path: &std::path::Path) -> (Store, String) {
    let store = Store::open(path, &StoreOptions::default()).expect("store opens");
    let hash = gridsafe::service::accounts::hash_password(demo::DEMO_PASSWORD).expect("hash");
    let photo = raw::photo();
    let id = photo.id.clone();
    store
        .write(move |c| {
            geography::load_demo(c)?;
            let maps = geography::load_maps(c)?;
            demo::seed(c, &maps, &hash, gridsafe::domain::time::now_s())?;
            gridsafe::store::media::insert(c, &photo, 1, "bench")?;
            Ok(())
        })
        .await
        .expect("seeded");
    (store, id)
}

/// A point inside village TF0101 of the demo town.
fn point() -> (f64, f64) {
    use geo::InteriorPoint;
    let (grids, _) = geography::check_grids(geography::DEMO_GRIDS).expect("demo grids");
    let village = grids.iter().find(|g| g.grid.code.as_str() == "TF0101").expect("TF0101");
    let p = village.shape.interior_point().expect("a point");
    (p.x(), p.y())
}

fn filing_body(photo: &str) -> String {
    filing_body_at(photo, point())
}

fn filing_body_at(photo: &str, (lon, lat): (f64, f64)) -> String {
    // The admin files, so the scope never refuses.
    serde_json::json!({"kind": "safety", "category": "S-F10", "grade": "general", "title": "配电箱无防护罩",
        "description": "车间东侧配电箱门缺失，带电部位外露", "lon": lon, "lat": lat, "photos": [photo]})
    .to_string()
}

/// The database named by `GRIDSAFE_BENCH_DB`, if any.
fn given_db() -> Option<std::path::PathBuf> {
    std::env::var_os("GRIDSAFE_BENCH_DB").map(Into::into)
}

/// What filing into a given database needs: the admin's id, a stored photo,
/// and a point inside a village (where a safety case was filed before).
fn given_setup(path: &std::path::Path) -> (i64, String, (f64, f64, String)) {
    let conn = gridsafe::store::open_migrated(path).expect("the database opens");
    let admin: i64 = conn.query_row("SELECT id FROM people WHERE username = 'admin'", [], |r| r.get(0)).expect("admin");
    let photo = raw::photo();
    gridsafe::store::media::insert(&conn, &photo, admin, "bench").expect("photo stored");
    (admin, photo.id, raw::spot(&conn))
}

async fn http_run(clients: usize, total: usize, run: u128) -> (f64, Vec<Duration>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, photo, given) = if let Some(path) = given_db() {
        let (admin, photo, (lon, lat, _)) = given_setup(&path);
        let store = Store::open(&path, &StoreOptions::default()).expect("store opens");
        let now = gridsafe::domain::time::now_s();
        let token =
            store.write(move |c| gridsafe::service::accounts::open_session(c, admin, now)).await.expect("session");
        (store, photo, Some((token, lon, lat)))
    } else {
        let (store, photo) = prepared(&dir.path().join("http.db")).await;
        (store, photo, None)
    };
    let maps = store.read(geography::load_maps).await.expect("maps");
    let body = match &given {
        Some((_, lon, lat)) => filing_body_at(&photo, (*lon, *lat)),
        None => filing_body(&photo),
    };
    let app = App::new(store, maps, UiSettings::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gridsafe::http::serve(listener, app, async {
        let _ = stopped.await;
    }));
    let token: Arc<str> = if let Some((token, _, _)) = given {
        token.into()
    } else {
        let mut login = TcpStream::connect(address).await.expect("connect");
        let credentials = format!("{{\"username\":\"admin\",\"password\":\"{}\"}}", demo::DEMO_PASSWORD);
        let (status, answer) =
            roundtrip(&mut login, &post("/api/v1/login", None, None, &credentials), &mut Vec::new()).await;
        assert_eq!(status, 200, "{answer}");
        serde_json::from_str::<serde_json::Value>(&answer).expect("json")["token"].as_str().expect("token").into()
    };
    let per_client = total / clients;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let (token, body) = (token.clone(), body.clone());
        tasks.spawn(async move {
            let mut stream = TcpStream::connect(address).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let mut buffer = Vec::new();
            let mut latencies = Vec::with_capacity(per_client);
            for n in 0..per_client {
                let key = format!("bench-{run}-{c}-{n}");
                let request = post("/api/v1/cases", Some(&token), Some(&key), &body);
                let t = Instant::now();
                let (status, answer) = roundtrip(&mut stream, &request, &mut buffer).await;
                latencies.push(t.elapsed());
                assert_eq!(status, 201, "{answer}");
            }
            latencies
        });
    }
    let mut latencies: Vec<Duration> = tasks.join_all().await.into_iter().flatten().collect();
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    server.await.expect("server task").expect("server");
    latencies.sort();
    (latencies.len() as f64 / seconds, latencies)
}

async fn raw_run(total: usize) -> f64 {
    if let Some(path) = given_db() {
        let (admin, photo, (lon, lat, grid)) = given_setup(&path);
        let mut conn = gridsafe::store::open_migrated(&path).expect("open");
        return raw::file(&mut conn, total, &raw::Spot { lon, lat, grid, reporter: admin, photo });
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, photo) = prepared(&dir.path().join("raw.db")).await;
    drop(store);
    let mut conn = gridsafe::store::open_migrated(&dir.path().join("raw.db")).expect("open");
    let (lon, lat) = point();
    raw::file(&mut conn, total, &raw::Spot { lon, lat, grid: "TF0101".into(), reporter: 1, photo })
}

fn main() {
    let clients = env("GRIDSAFE_BENCH_CLIENTS", 64);
    let total = env("GRIDSAFE_BENCH_FILINGS", 6400) / clients * clients;
    let rounds = env("GRIDSAFE_BENCH_ROUNDS", 5).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    println!(
        "filing benchmark: {total} cases per round, {clients} concurrent HTTP clients on loopback, synchronous=FULL"
    );
    println!("  raw: the same rows (case + photo link + audit entry + idempotency row), 100 per transaction");
    println!("  round   HTTP cases/s   raw rows/s   HTTP/raw   p50 ms   p99 ms");
    // HTTP and raw alternate, so both see the same machine: the ratio of a
    // round is the figure, and the median over rounds the summary.
    let mut ratios = Vec::with_capacity(rounds);
    let mut all = Vec::new();
    let heads = given_db().map(|path| raw::heads(&gridsafe::store::open_migrated(&path).expect("open")));
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    for round in 1..=rounds {
        let (http_rate, latencies) = runtime.block_on(http_run(clients, total, run + round as u128));
        let raw_rate = runtime.block_on(raw_run(total));
        let ratio = http_rate / raw_rate * 100.0;
        println!(
            "  {round:>5}   {http_rate:>12.0}   {raw_rate:>10.0}   {ratio:>7.0}%   {:>6.1}   {:>6.1}",
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99)
        );
        ratios.push(ratio);
        all.extend(latencies);
    }
    if let (Some(path), Some(heads)) = (given_db(), heads) {
        raw::restore(&gridsafe::store::open_migrated(&path).expect("open"), heads);
        println!("  (the cases filed into {} were taken out again)", path.display());
    }
    ratios.sort_by(f64::total_cmp);
    all.sort();
    println!(
        "  median HTTP/raw {:.0}% (range {:.0}–{:.0}%); all requests: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
        percentile(&all, 0.50),
        percentile(&all, 0.90),
        percentile(&all, 0.99),
        percentile(&all, 1.0)
    );
}
