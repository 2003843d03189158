//! A fresh application per test, requests through the router in-process, and
//! assertions that print the status and body when they fail.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use gridsafe::app::{App, UiSettings};
use gridsafe::domain::time::Clock;
use gridsafe::http;
use gridsafe::service::geography;
use gridsafe::store::{Store, StoreOptions};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The moment every test app stands at: 2026-11-18 19:06:40 China time. The
/// demo is seeded relative to it and the app's clock stays there (unless a
/// test moves it), so every test runs the same on any day.
pub const NOW: i64 = 1_795_000_000;

/// The demo password's hash, computed once per test binary (argon2 is slow by design).
fn demo_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| gridsafe::service::accounts::hash_password(gridsafe::demo::DEMO_PASSWORD).expect("hashes"))
        .clone()
}

/// A fixture file's path.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A fixture file's text.
pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture exists")
}

/// An application over its own temporary database.
pub struct TestApp {
    pub app: App,
    pub router: Router,
    pub dir: tempfile::TempDir,
}

/// A response, already read.
pub struct TestResponse {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl TestResponse {
    /// The body as JSON (panics with the body when it is not JSON).
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Asserts the status, printing the body on failure; returns the JSON body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        if self.content_type.starts_with("application/json") { self.json() } else { Value::Null }
    }

    /// Asserts a JSON error of the given status and code; returns its `error` object.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        let body = self.expect(status);
        assert_eq!(body["error"]["code"], code, "body: {}", self.text);
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "no message: {}", self.text);
        body["error"].clone()
    }
}

impl TestApp {
    /// The demo town (谭坊镇) with its demo people, enterprises and assignments.
    pub async fn demo() -> Self {
        let test = Self::build(|c| geography::load_demo(c).map(drop)).await;
        let maps = test.app.maps();
        let hash = demo_hash();
        test.app.store.write(move |c| gridsafe::demo::seed(c, &maps, &hash, NOW)).await.expect("demo seeds");
        test
    }

    /// A fresh database loaded with fixture files.
    pub async fn with_fixtures(grids: &str, rivers: &str) -> Self {
        let (grids, rivers) = (fixture_text(grids), fixture_text(rivers));
        Self::build(move |c| {
            geography::import_grids(c, &grids, "fixture")?;
            geography::import_rivers(c, &rivers, "fixture")?;
            Ok(())
        })
        .await
    }

    async fn build(load: impl FnMut(&rusqlite::Connection) -> gridsafe::error::Result<()> + Send + 'static) -> Self {
        Self::build_in(tempfile::tempdir().expect("temp dir"), load).await
    }

    /// A town made by `gridsafe generate` (its history ends at [`NOW`]).
    pub async fn generated(spec: gridsafe::generate::Spec) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut conn = gridsafe::store::open_migrated(&dir.path().join("test.db")).expect("database");
        gridsafe::generate::generate(&mut conn, &spec, NOW, &mut |_| {}).expect("generated");
        drop(conn);
        Self::build_in(dir, |_| Ok(())).await
    }

    async fn build_in(
        dir: tempfile::TempDir,
        load: impl FnMut(&rusqlite::Connection) -> gridsafe::error::Result<()> + Send + 'static,
    ) -> Self {
        let store = Store::open(&dir.path().join("test.db"), &StoreOptions::default()).expect("store opens");
        store.write(load).await.expect("geography loads");
        let maps = store.read(geography::load_maps).await.expect("maps load");
        let app = App::new(store, maps, UiSettings::default()).with_clock(Clock::fixed(NOW));
        Self { router: http::router(app.clone()), app, dir }
    }

    /// The same application with other web settings (a public URL, tiles).
    pub fn with_ui(mut self, ui: UiSettings) -> Self {
        self.app.ui = std::sync::Arc::new(ui);
        self.router = http::router(self.app.clone());
        self
    }

    /// Sends a GET as a browser would: the session in its cookie.
    pub async fn page(&self, token: &str, uri: &str) -> TestResponse {
        let request = Request::get(uri).header("cookie", format!("gridsafe_session={token}")).body(Body::empty());
        self.send(request.expect("valid request")).await
    }

    /// Posts a URL-encoded form as a browser would, with the session cookie.
    pub async fn post_form(&self, token: Option<&str>, uri: &str, fields: &[(&str, &str)]) -> TestResponse {
        let body = serde_urlencoded::to_string(fields).expect("form encodes");
        let mut request = Request::post(uri).header("content-type", "application/x-www-form-urlencoded");
        if let Some(token) = token {
            request = request.header("cookie", format!("gridsafe_session={token}"));
        }
        self.send(request.body(Body::from(body)).expect("valid request")).await
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("test.db")
    }

    /// Sends a GET through the router.
    pub async fn get(&self, uri: &str) -> TestResponse {
        self.send(Request::get(uri).body(Body::empty()).expect("valid request")).await
    }

    /// Sends a GET with a bearer token.
    pub async fn get_as(&self, token: &str, uri: &str) -> TestResponse {
        let request = Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty());
        self.send(request.expect("valid request")).await
    }

    /// Sends a GET with a bearer token and returns the raw body of a 200 (binary documents).
    pub async fn get_bytes_as(&self, token: &str, uri: &str) -> Vec<u8> {
        let request = Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty());
        let response = self.router.clone().oneshot(request.expect("valid request")).await.expect("router answers");
        assert_eq!(response.status(), 200, "{uri}");
        response.into_body().collect().await.expect("body reads").to_bytes().to_vec()
    }

    /// Sends a JSON body with a method and an optional bearer token.
    pub async fn json_as(&self, method: &str, token: Option<&str>, uri: &str, body: &Value) -> TestResponse {
        self.raw_as(method, token, uri, body.to_string()).await
    }

    /// Sends a raw body (to test malformed JSON) with JSON content type.
    pub async fn raw_as(&self, method: &str, token: Option<&str>, uri: &str, body: String) -> TestResponse {
        let mut request = Request::builder().method(method).uri(uri).header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body)).expect("valid request")).await
    }

    /// Logs in with the demo password and returns the token.
    pub async fn login(&self, username: &str) -> String {
        self.login_with(username, gridsafe::demo::DEMO_PASSWORD).await
    }

    /// Logs in with a password and returns the token.
    pub async fn login_with(&self, username: &str, password: &str) -> String {
        let body = serde_json::json!({"username": username, "password": password});
        let response = self.json_as("POST", None, "/api/v1/login", &body).await;
        response.expect(200)["token"].as_str().expect("a token").to_owned()
    }

    /// Sends any request through the router.
    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.expect("router answers");
        let status = response.status();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body reads").to_bytes();
        TestResponse { status, content_type, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }
}
