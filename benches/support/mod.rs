//! What the page and map benchmarks share: the demo town behind the router,
//! demo sessions, requests in-process, percentiles.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use gridsafe::app::{App, UiSettings};
use gridsafe::demo;
use gridsafe::service::{accounts, geography};
use gridsafe::spatial::Maps;
use gridsafe::store::{Store, StoreOptions};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The `p` quantile of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A GET as a signed-in browser sends it; the status and the body as sent.
pub async fn get(router: &axum::Router, token: &str, uri: &str) -> (u16, Vec<u8>) {
    let request = Request::get(uri).header("cookie", format!("gridsafe_session={token}")).body(Body::empty());
    let response = router.clone().oneshot(request.expect("request")).await.expect("answer");
    let status = response.status().as_u16();
    (status, response.into_body().collect().await.expect("body").to_bytes().to_vec())
}

/// The demo town over a fresh database.
pub struct Bench {
    /// The store.
    pub store: Store,
    /// The whole application's router.
    pub router: axum::Router,
    /// The moment the seeds and sessions start from.
    pub now: i64,
    /// Holds the database while the benchmark runs.
    dir: tempfile::TempDir,
}

impl Bench {
    /// The demo geography and people, then what `more` seeds, in one transaction;
    /// with `GRIDSAFE_BENCH_KEEP=PATH`, a copy of the database is left at PATH.
    pub async fn demo(
        more: impl Fn(&rusqlite::Connection, &Maps, i64) -> gridsafe::error::Result<()> + Send + 'static,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("bench.db"), &StoreOptions::default()).expect("store");
        store.write(|c| geography::load_demo(c).map(drop)).await.expect("geography");
        let maps = Arc::new(store.read(geography::load_maps).await.expect("maps"));
        let now = gridsafe::domain::time::now_s();
        let hash = accounts::hash_password(demo::DEMO_PASSWORD).expect("hash");
        let seeded = maps.clone();
        store
            .write(move |c| {
                demo::seed(c, &seeded, &hash, now)?;
                more(c, &seeded, now)
            })
            .await
            .expect("demo seeds");
        let router = gridsafe::http::router(App::new(store.clone(), maps.clone(), UiSettings::default()));
        let bench = Self { store, router, now, dir };
        if let Ok(path) = std::env::var("GRIDSAFE_BENCH_KEEP") {
            bench.keep(&path);
            println!("kept the database as {path} (serve it: gridsafe serve --db {path})");
        }
        bench
    }

    /// A consistent copy of the database at `path` (`VACUUM INTO`), to serve it afterwards.
    fn keep(&self, path: &str) {
        let conn = rusqlite::Connection::open(self.dir.path().join("bench.db")).expect("open");
        conn.execute("VACUUM INTO ?1", [path]).expect("vacuum into");
    }

    /// A session of a demo login.
    pub async fn session(&self, user: &'static str) -> String {
        let now = self.now;
        self.store
            .write(move |c| {
                let person = accounts::check_login(c, user, demo::DEMO_PASSWORD)?;
                accounts::open_session(c, person.id, now)
            })
            .await
            .expect("session")
    }
}
