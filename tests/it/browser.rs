//! Browser tests: Debian's Chromium driven through chromedriver (WebDriver,
//! `fantoccini`) against a real server on a socket, at phone and desktop size,
//! with a faked GPS position. Every page visited is checked for console
//! errors, horizontal overflow, and (on a case page) offered actions that the
//! API would refuse.
//!
//! Where `chromium` or `chromedriver` is missing the tests say so loudly and
//! pass; with `GRIDSAFE_BROWSER_TESTS=required` (as `.ci/run` sets) they fail.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::Method;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Phone size (CSS pixels), the size most people use the pages at.
const PHONE: Size = Size { width: 390, height: 844, mobile: true };
/// Desktop size.
const DESKTOP: Size = Size { width: 1280, height: 800, mobile: false };
/// How long any awaited state may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);
/// Chromium asking Google for a network position: not our page's error.
const IGNORED_CONSOLE: &[&str] = &["Network location provider"];

#[derive(Debug, Clone, Copy)]
struct Size {
    width: u32,
    height: u32,
    mobile: bool,
}

// --- the tools -----------------------------------------------------------------

/// The browser and its driver, found on PATH or in /usr/bin.
struct Tools {
    chromedriver: PathBuf,
    chromium: PathBuf,
}

fn find_tool(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]).collect();
    names.iter().flat_map(|name| dirs.iter().map(move |dir| dir.join(name))).find(|p| p.is_file())
}

/// The tools, or `None` after saying loudly why the test is skipped (a panic
/// when `GRIDSAFE_BROWSER_TESTS=required`).
fn tools(test: &str) -> Option<Tools> {
    let chromedriver = find_tool(&["chromedriver"]);
    let chromium = find_tool(&["chromium", "chromium-browser"]);
    if let (Some(chromedriver), Some(chromium)) = (&chromedriver, &chromium) {
        return Some(Tools { chromedriver: chromedriver.clone(), chromium: chromium.clone() });
    }
    let missing: Vec<&str> = [("chromedriver", chromedriver.is_none()), ("chromium", chromium.is_none())]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
    let why = format!(
        "{} not found on PATH or in /usr/bin (Debian: apt-get install chromium chromium-driver)",
        missing.join(" and ")
    );
    assert!(
        std::env::var("GRIDSAFE_BROWSER_TESTS").as_deref() != Ok("required"),
        "browser test `{test}` cannot run: {why}; GRIDSAFE_BROWSER_TESTS=required makes that a failure"
    );
    // Straight to stderr, past the test harness's capture of `eprintln!`, so
    // that a passing run still shows it.
    let banner = format!("\n********\n* browser test `{test}` SKIPPED: {why}\n********\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), banner.as_bytes());
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// chromedriver as a child process in its own process group; the group
/// (with any browser it started) is killed on drop.
struct Driver {
    child: Child,
    url: String,
    chromium: PathBuf,
}

impl Driver {
    async fn start(tools: &Tools) -> Self {
        use std::os::unix::process::CommandExt;

        // A free port can be taken by another test's server before
        // chromedriver binds it: then that server answers. Only a port where
        // chromedriver itself says it is ready will do.
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(&tools.chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("chromedriver starts");
            let mut driver = Self { child, url: format!("http://127.0.0.1:{port}"), chromium: tools.chromium.clone() };
            let started = Instant::now();
            while started.elapsed() < PATIENCE {
                if driver.child.try_wait().ok().flatten().is_some() {
                    break; // the port was taken: it gave up
                }
                if chromedriver_ready(port).await {
                    return driver;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            drop(driver);
        }
        panic!("chromedriver did not start on any of five ports");
    }
}

/// Whether the WebDriver at `port` is chromedriver and ready (its `/status`).
async fn chromedriver_ready(port: u16) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else { return false };
    if stream.write_all(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    text.contains("\"ready\":true") || text.contains("\"ready\": true")
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the browsers it launched.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real gridsafe server on a socket, over the test's application.
struct Server {
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<gridsafe::error::Result<()>>>,
}

impl Server {
    async fn start(test: &TestApp, port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("the port is free");
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(gridsafe::http::serve(listener, test.app.clone(), async {
            let _ = stopped.await;
        }));
        Self { port, stop: Some(stop), task: Some(task) }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops listening and closes its connections: the server is unreachable.
    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err()
        {
            task.abort();
        }
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_err(),
            "the stopped server still accepts connections"
        );
    }
}

// --- a browser session -----------------------------------------------------------

/// A chromedriver extension endpoint (`goog/cdp/execute`, `se/log`), POSTed.
#[derive(Debug)]
struct Extension {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for Extension {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/{}", session.unwrap_or_default(), self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(self.body.to_string()))
    }
}

/// One person's browser: its own profile, cookies and IndexedDB.
struct Browser {
    client: Client,
    origin: String,
    size: Size,
    who: &'static str,
}

impl Browser {
    /// A fresh browser at `size`, with the GPS faked at `(lon, lat)`, signed in as `who`.
    async fn open(driver: &Driver, origin: &str, size: Size, who: &'static str, gps: (f64, f64)) -> Self {
        let browser = Self::start(driver, origin, size, who, gps).await;
        browser.login(false).await;
        browser
    }

    /// A fresh browser, not signed in yet.
    async fn start(driver: &Driver, origin: &str, size: Size, who: &'static str, gps: (f64, f64)) -> Self {
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": driver.chromium, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--lang=zh-CN",
                format!("--window-size={},{}", size.width, size.height),
            ]}),
        );
        caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a browser session starts");
        let browser = Self { client, origin: origin.to_owned(), size, who };
        browser
            .cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": size.width, "height": size.height, "deviceScaleFactor": 1, "mobile": size.mobile}),
            )
            .await;
        browser.cdp("Browser.grantPermissions", json!({"permissions": ["geolocation"], "origin": origin})).await;
        browser
            .cdp("Emulation.setGeolocationOverride", json!({"longitude": gps.0, "latitude": gps.1, "accuracy": 10}))
            .await;
        browser
    }

    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let body = json!({"cmd": cmd, "params": params});
        self.client
            .issue_cmd(Extension { path: "goog/cdp/execute", body })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// The console messages since the last call.
    async fn console(&self) -> Vec<Value> {
        let logs = self.client.issue_cmd(Extension { path: "se/log", body: json!({"type": "browser"}) }).await;
        logs.expect("browser log reads").as_array().cloned().unwrap_or_default()
    }

    async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("{} script failed: {e}\n{script}", self.who))
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Goes to a path on the server and checks the page.
    async fn go(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.origin)).await.unwrap_or_else(|e| panic!("{path}: {e}"));
        self.check(path).await;
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("{}: no `{css}` on {}: {e}", self.who, self.path().await),
        }
    }

    /// Clicks as a person would: scrolled to the middle of the screen first,
    /// clear of the sticky header and the bottom navigation.
    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        let arg = serde_json::to_value(&element).unwrap();
        self.js("arguments[0].scrollIntoView({ block: 'center' })", vec![arg]).await;
        element.click().await.unwrap_or_else(|e| panic!("{}: clicking `{css}`: {e}", self.who));
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap_or_else(|e| panic!("{}: typing into `{css}`: {e}", self.who));
    }

    /// Waits until `script` returns something truthy; returns it.
    async fn until(&self, what: &str, script: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self.client.execute(script, vec![]).await.unwrap_or(Value::Null);
            if !matches!(&value, Value::Null | Value::Bool(false)) {
                return value;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{}: waited {PATIENCE:?} for {what} on {}",
                self.who,
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs in through the login form (with a screenshot of it filled in).
    async fn login(&self, shot: bool) {
        self.go("/login").await;
        self.type_into("#username", self.who).await;
        self.type_into("#password", gridsafe::demo::DEMO_PASSWORD).await;
        if shot {
            self.screenshot("login").await;
        }
        self.click("form[action='/login'] button[type=submit]").await;
        self.until(
            "the login to finish",
            "return location.pathname !== '/login' && document.readyState === 'complete'",
        )
        .await;
        assert_eq!(self.path().await, "/", "{} lands on the home page", self.who);
        self.check("/").await;
    }

    /// The checks after every page load: no console error, no horizontal
    /// overflow, and on a case page exactly the actions the API allows.
    async fn check(&self, what: &str) {
        self.until("the page to load", "return document.readyState === 'complete'").await;
        let errors: Vec<String> = self
            .console()
            .await
            .into_iter()
            .filter(|m| m["level"] == "SEVERE")
            .map(|m| m["message"].as_str().unwrap_or_default().to_owned())
            .filter(|m| !IGNORED_CONSOLE.iter().any(|i| m.contains(i)))
            .collect();
        assert!(errors.is_empty(), "{} on {what}: console errors {errors:#?}", self.who);
        let widths = self.js("return [document.documentElement.scrollWidth, window.innerWidth]", vec![]).await;
        let (scroll, inner) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
        assert!(
            scroll <= inner && scroll <= u64::from(self.size.width),
            "{} on {what} at {}px: horizontal overflow (scrollWidth {scroll}, innerWidth {inner})",
            self.who,
            self.size.width
        );
        let path = self.path().await;
        if let Some(number) = path.strip_prefix("/cases/").filter(|n| !n.is_empty() && !n.contains('/')) {
            self.offered_actions_are_allowed(number.split('?').next().unwrap_or(number)).await;
        }
    }

    async fn offered_actions_are_allowed(&self, number: &str) {
        let offered = self
            .js("return [...document.querySelectorAll('details.action')].map((d) => d.dataset.action)", vec![])
            .await;
        let api = self
            .js(
                "return fetch('/api/v1/cases/' + encodeURIComponent(arguments[0])).then(async (r) => [r.status, await r.json()])",
                vec![json!(number)],
            )
            .await;
        assert_eq!(api[0], 200, "{}: GET /api/v1/cases/{number}: {}", self.who, api[1]);
        let mut offered: Vec<String> = serde_json::from_value(offered).unwrap();
        let mut allowed: Vec<String> = serde_json::from_value(api[1]["allowed_actions"].clone()).unwrap();
        offered.sort();
        allowed.sort();
        assert_eq!(offered, allowed, "{} on {number}: the page offers what the API allows", self.who);
    }

    /// Saves a screenshot of the viewport into target/screens/.
    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screens");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Opens an action on the case page, lets `fill` fill it, and submits it.
    async fn act<F, Fut>(&self, action: &str, fill: F)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ()>,
    {
        let number = self.path().await;
        let version = self.js("return document.querySelector('input[name=version]').value", vec![]).await;
        self.click(&format!("details[data-action='{action}'] > summary")).await;
        fill().await;
        self.click(&format!("details[data-action='{action}'] button[type=submit]")).await;
        let changed = format!(
            "const v = document.querySelector('input[name=version]'); \
             return document.readyState === 'complete' && !document.querySelector('.form-error, .field-error') \
             && (!v || v.value !== {version})"
        );
        let errors = "return [...document.querySelectorAll('.form-error, .field-error')].map((e) => e.textContent)";
        let started = Instant::now();
        while self.client.execute(&changed, vec![]).await.unwrap_or(Value::Null) != Value::Bool(true) {
            let shown = self.client.execute(errors, vec![]).await.unwrap_or(Value::Null);
            assert!(shown.as_array().is_none_or(Vec::is_empty), "{} {action} on {number}: {shown}", self.who);
            assert!(started.elapsed() < PATIENCE, "{} {action} on {number}: the case did not change", self.who);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.check(&format!("{number} after {action}")).await;
    }

    /// The case's status as shown.
    async fn status(&self) -> String {
        self.js("return document.querySelector('.case-head .badge').dataset.status", vec![])
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Every document link on the page, fetched in the page: (href, first bytes).
    async fn documents(&self) -> Vec<(String, String)> {
        let found = self
            .js(
                "return (async () => { const out = [];
                   for (const a of document.querySelectorAll('a[href^=\"/api/v1/documents/\"]')) {
                     const r = await fetch(a.href);
                     const bytes = new Uint8Array(await r.arrayBuffer());
                     out.push([a.getAttribute('href'), r.status + ' ' + String.fromCharCode(...bytes.slice(0, 5))]);
                   }
                   return out; })()",
                vec![],
            )
            .await;
        serde_json::from_value(found).unwrap()
    }

    /// What the outbox in IndexedDB holds: (key, title) pairs.
    async fn outbox(&self) -> Vec<Value> {
        let items = self
            .js(
                "return new Promise((resolve, reject) => {
                   const r = indexedDB.open('gridsafe', 1);
                   r.onupgradeneeded = () => r.result.createObjectStore('outbox', { keyPath: 'key' });
                   r.onerror = () => reject(String(r.error));
                   r.onsuccess = () => {
                     const db = r.result;
                     const all = db.transaction('outbox').objectStore('outbox').getAll();
                     all.onsuccess = () => { db.close(); resolve(all.result.map((i) => ({
                       key: i.key, title: i.json.title, photos: (i.photos || []).length, error: i.error }))); };
                   };
                 })",
                vec![],
            )
            .await;
        items.as_array().cloned().unwrap_or_default()
    }

    async fn close(self) {
        self.client.close().await.expect("the browser closes");
    }
}

// --- fixtures ------------------------------------------------------------------

/// A point inside a village grid (as `cases::inside` computes it).
fn inside(test: &TestApp, grid: &str) -> (f64, f64) {
    let p = geo::InteriorPoint::interior_point(&test.app.maps().grid(grid).unwrap().shape).unwrap();
    (p.x(), p.y())
}

/// A JPEG "photo" on disk, different for each seed.
fn photo(dir: &Path, seed: u8) -> PathBuf {
    let path = dir.join(format!("photo-{seed}.jpg"));
    let image = image::RgbImage::from_fn(800, 600, |x, y| {
        let block = (x / 100 + y / 100) % 2 == 0;
        let r = (x * 255 / 800) as u8 ^ seed.wrapping_mul(37);
        let g = if block { 180 } else { (y * 255 / 600) as u8 };
        image::Rgb([r, g, seed.wrapping_mul(91)])
    });
    image.save_with_format(&path, image::ImageFormat::Jpeg).unwrap();
    path
}

/// Files a case through the report form (GPS, kind, category, grade, photo,
/// enterprise, text) up to pressing 上报, leaving the form filled.
async fn fill_report(inspector: &Browser, photo: &Path, title: &str, shots: bool) {
    inspector.go("/report").await;
    let status = inspector
        .until(
            "a good GPS fix with the position filled",
            "const s = document.getElementById('gps-status');
             return s.dataset.quality === 'good' && document.getElementById('lon').value !== ''
               && document.getElementById('lat').value !== '' && s.textContent",
        )
        .await;
    assert!(status.as_str().unwrap().contains("10"), "the accuracy is shown: {status}");
    inspector.click("label.choice:has(input[name=kind][value=safety])").await;
    let category =
        inspector.js("return document.querySelector('#category optgroup:not([hidden]) option').value", vec![]).await;
    inspector.find("#category").await.select_by_value(category.as_str().unwrap()).await.unwrap();
    inspector.click("label.choice:has(input[name=grade][value=general])").await;
    let input = inspector.find("#photos").await;
    input.send_keys(photo.to_str().unwrap()).await.expect("the photo is attached");
    inspector.until("the photo preview", "return document.querySelectorAll('#photo-previews img').length === 1").await;
    inspector.find("#enterprise_id").await.select_by_value("6").await.unwrap();
    inspector.type_into("#title", title).await;
    inspector.type_into("#description", "车间东侧配电箱门缺失，带电部位外露").await;
    inspector.until("the village line", "return document.getElementById('village-line').textContent").await;
    if shots {
        inspector.js("window.scrollTo(0, 0)", vec![]).await;
        inspector.screenshot("report").await;
    }
}

async fn submit_report(inspector: &Browser) {
    inspector.click("#report-form button[type=submit]").await;
}

/// A submission on a case page as the enterprise contact: photo and words.
async fn submit_fix(contact: &Browser, photo: &Path, words: &str) {
    contact
        .act("submit", || async {
            contact.find("#submit-photos").await.send_keys(photo.to_str().unwrap()).await.unwrap();
            contact.type_into("#submit-description", words).await;
        })
        .await;
}

// --- the tests -------------------------------------------------------------------

/// The screens the town office visits after dispatching, checked for overflow (and shot on a phone).
const OFFICE_SCREENS: [(&str, &str); 9] = [
    ("/cases", "cases"),
    ("/me", "me"),
    ("/map", "map"),
    ("/enterprises", "enterprises"),
    ("/enterprises/6", "enterprise"),
    ("/people", "people"),
    ("/coverage", "coverage"),
    ("/categories", "categories"),
    ("/assignments/new?role=inspector&scope=TF0101&duty=safety", "assignment"),
];

/// The whole loop of one case, through the pages, at one size.
async fn whole_loop(size: Size, label: &str) {
    let Some(tools) = tools(label) else { return };
    let started = Instant::now();
    let test = TestApp::demo().await;
    let server = Server::start(&test, 0).await;
    let driver = Driver::start(&tools).await;
    let origin = server.origin();
    let gps = inside(&test, "TF0101");
    let files = tempfile::tempdir().unwrap();
    let shots = size.mobile;

    // The inspector files a hazard with a photo at the faked position.
    let inspector = Browser::start(&driver, &origin, size, "tf0101.safety", gps).await;
    inspector.login(shots).await;
    fill_report(&inspector, &photo(files.path(), 1), "配电箱无防护罩", shots).await;
    submit_report(&inspector).await;
    let number = inspector
        .until(
            "the new case's page",
            "return /^\\/cases\\/TF-2026-\\d{6}$/.test(location.pathname) && location.pathname",
        )
        .await
        .as_str()
        .unwrap()
        .trim_start_matches("/cases/")
        .to_owned();
    inspector.check(&number).await;
    assert_eq!(inspector.status().await, "reported");
    inspector.close().await;
    let case = format!("/cases/{number}");

    // The town office registers and dispatches it; the notice is a PDF.
    let admin = Browser::open(&driver, &origin, size, "admin", gps).await;
    admin.go(&case).await;
    admin.act("register", || async {}).await;
    assert_eq!(admin.status().await, "registered");
    admin
        .act("dispatch", || async {
            admin.type_into("#dispatch-responsible", "世邦机械 王经理").await;
            admin.type_into("#dispatch-measures", "加装配电箱防护门并上锁").await;
            admin.js("document.getElementById('dispatch-deadline').value = '2026-11-23'", vec![]).await;
        })
        .await;
    assert_eq!(admin.status().await, "dispatched");
    let notices = admin.documents().await;
    assert_eq!(notices.len(), 1, "one notice after dispatch: {notices:?}");
    assert_eq!(notices[0].1, "200 %PDF-", "{notices:?}");
    // The other screens, checked the same way; the notice's public QR page.
    for (path, name) in OFFICE_SCREENS {
        admin.go(path).await;
        if shots {
            admin.screenshot(name).await;
        }
    }
    let code = notices[0].0.trim_start_matches("/api/v1/documents/");
    admin.go(&format!("/verify/{code}")).await;
    let verified = admin.js("return document.querySelector('main').textContent", vec![]).await;
    assert!(verified.as_str().unwrap().contains(&number), "the verification page names the case: {verified}");
    admin.close().await;

    // The enterprise contact submits the fix; the expert the enterprise hired
    // (eexpert06: a general hazard at an enterprise is verified by its own
    // expert, not a town expert) returns it once.
    let contact = Browser::open(&driver, &origin, size, "contact01", gps).await;
    if shots {
        contact.screenshot("home").await; // the case waits on the contact's 待办
    }
    contact.go(&case).await;
    submit_fix(&contact, &photo(files.path(), 2), "已加装防护门").await;
    assert_eq!(contact.status().await, "submitted");
    let expert = Browser::open(&driver, &origin, size, "eexpert06", gps).await;
    expert.go(&case).await;
    if shots {
        expert.js("document.querySelector('.side-by-side').scrollIntoView()", vec![]).await;
        expert.screenshot("case-before-after").await;
        expert.js("document.querySelector('section.actions').scrollIntoView()", vec![]).await;
        expert.screenshot("case-expert").await;
    }
    expert.act("return", || async { expert.type_into("#return-reason", "防护门未上锁").await }).await;
    assert_eq!(expert.status().await, "dispatched", "returned for rework");

    // Submitted again, then signed off: closed, with the opinion as a PDF.
    contact.go(&case).await;
    submit_fix(&contact, &photo(files.path(), 3), "防护门已上锁").await;
    contact.close().await;
    expert.go(&case).await;
    expert.act("approve", || async { expert.type_into("#approve-comment", "整改到位，同意销号").await }).await;
    assert_eq!(expert.status().await, "closed");
    let badge = expert.js("return document.querySelector('.case-head .badge').textContent", vec![]).await;
    assert_eq!(badge, "已销号");
    let documents = expert.documents().await;
    assert!(documents.len() >= 2, "notice and opinion: {documents:?}");
    for (href, start) in &documents {
        assert_eq!(start, "200 %PDF-", "{href}");
    }
    if shots {
        expert.screenshot("case-closed").await;
    }
    expert.close().await;
    eprintln!("browser: {label} loop {number} in {:.1} s", started.elapsed().as_secs_f64());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_goes_round_the_whole_loop_in_a_phone_browser() {
    whole_loop(PHONE, "phone 390x844").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_goes_round_the_whole_loop_in_a_desktop_browser() {
    whole_loop(DESKTOP, "desktop 1280x800").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_filed_while_the_server_is_down_is_filed_once_when_it_is_back() {
    let Some(tools) = tools("offline outbox") else { return };
    let started = Instant::now();
    let test = TestApp::demo().await;
    let mut server = Server::start(&test, 0).await;
    let port = server.port;
    let driver = Driver::start(&tools).await;
    let files = tempfile::tempdir().unwrap();
    let title = "离线上报：仓库消防通道堵塞";

    let inspector = Browser::open(&driver, &server.origin(), PHONE, "tf0101.safety", inside(&test, "TF0101")).await;
    fill_report(&inspector, &photo(files.path(), 7), title, false).await;
    // The service worker keeps the home page for when there is no signal.
    inspector
        .until(
            "the service worker with the app shell",
            "return navigator.serviceWorker.controller !== null && caches.match('/').then((r) => !!r)",
        )
        .await;

    server.stop().await;
    submit_report(&inspector).await;
    let line = inspector
        .until(
            "the outbox line",
            "const line = document.getElementById('outbox-status');
             return location.search === '?queued=1' && line && !line.hidden && line.textContent",
        )
        .await;
    assert!(line.as_str().unwrap().contains("1 条待上传"), "{line}");
    let queued = inspector.outbox().await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["title"], title);
    assert_eq!(queued[0]["photos"], 1);
    // While the server was down, refused connections are the only errors.
    let unexpected: Vec<Value> = inspector
        .console()
        .await
        .into_iter()
        .filter(|m| {
            m["level"] == "SEVERE" && !m["message"].as_str().is_some_and(|t| t.contains("ERR_CONNECTION_REFUSED"))
        })
        .collect();
    assert!(unexpected.is_empty(), "console errors while offline: {unexpected:#?}");

    // Back on the same port: 立即上传 twice and the `online` event once.
    let _server = Server::start(&test, port).await;
    inspector.click("#outbox-flush").await;
    inspector.click("#outbox-flush").await;
    inspector.js("window.dispatchEvent(new Event('online'))", vec![]).await;
    inspector.until("the outbox to empty", "return document.getElementById('outbox-status').hidden").await;
    assert!(inspector.outbox().await.is_empty());
    inspector.go("/").await;
    tokio::time::sleep(Duration::from_millis(500)).await; // a flush on load would file it again
    inspector.close().await;

    let admin = test.login("admin").await;
    let mut matching = Vec::new();
    let mut after = String::new();
    loop {
        let page = test.get_as(&admin, &format!("/api/v1/cases?limit=100{after}")).await.expect(200);
        for case in page["items"].as_array().unwrap() {
            if case["title"] == title {
                matching.push(case.clone());
            }
        }
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    assert_eq!(matching.len(), 1, "filed exactly once: {matching:#?}");
    let number = matching[0]["number"].as_str().unwrap();
    let case = test.get_as(&admin, &format!("/api/v1/cases/{number}")).await.expect(200);
    assert_eq!(case["photos"].as_array().map(Vec::len), Some(1), "{case}");
    eprintln!("browser: offline outbox in {:.1} s", started.elapsed().as_secs_f64());
}

// --- river chiefs ----------------------------------------------------------------

/// `n` points spread evenly along the first line of a reach.
fn along_reach(reach: &gridsafe::spatial::reach::Reach, n: usize) -> Vec<(f64, f64)> {
    use geo::{Euclidean, InterpolateLine};
    let line = &reach.line.0[0];
    (0..n)
        .map(|i| {
            let p = Euclidean.point_at_ratio_from_start(line, i as f64 / (n - 1) as f64).unwrap();
            (p.x(), p.y())
        })
        .collect()
}

impl Browser {
    /// Moves the faked GPS and waits for the recorder to count `fixes`.
    async fn walk_to(&self, (lon, lat): (f64, f64), accuracy: f64, fixes: Option<usize>) {
        self.cdp("Emulation.setGeolocationOverride", json!({"longitude": lon, "latitude": lat, "accuracy": accuracy}))
            .await;
        if let Some(n) = fixes {
            self.until(
                &format!("fix {n} recorded"),
                &format!("return document.getElementById('stat-fixes').textContent === '{n}'"),
            )
            .await;
        }
    }

    /// Submits a form on a patrol log page and waits for the page it leads to.
    async fn review_log(&self, code: &str, decision: &str, comment: &str) {
        self.go(&format!("/patrols/{code}")).await;
        self.click(&format!("#review label.choice:has(input[value={decision}])")).await;
        self.type_into("#review-comment", comment).await;
        self.click("#review button[type=submit]").await;
        self.until(
            "the review to be stored",
            "return !document.getElementById('review') && document.readyState === 'complete'",
        )
        .await;
        self.check(&format!("{code} after {decision}")).await;
    }
}

/// Records a patrol along `points` in the recorder (a reload halfway, a fix
/// too poor to keep, a finding with a photo) and files it; returns its code.
async fn record_patrol(
    chief: &Browser,
    reach: &gridsafe::spatial::reach::Reach,
    points: &[(f64, f64)],
    files: &Path,
    shots: bool,
) -> String {
    chief.go("/patrol").await;
    chief.find("#patrol-river").await.select_by_value(reach.river.as_str()).await.unwrap();
    chief.find("#patrol-reach").await.select_by_value(&reach.code).await.unwrap();
    if shots {
        chief.screenshot("patrol-start").await;
    }
    chief.click("#patrol-start").await;
    chief.until("the first fix", "return document.getElementById('stat-fixes').textContent === '1'").await;
    for (i, &p) in points.iter().enumerate().take(6).skip(1) {
        chief.walk_to(p, 10.0, Some(i + 1)).await;
    }
    // A fix worse than 50 m is dropped, and the person is told.
    chief.walk_to(points[6], 80.0, None).await;
    chief
        .until(
            "the poor fix to be refused",
            "return document.getElementById('patrol-state').dataset.quality === 'poor'",
        )
        .await;
    assert_eq!(chief.js("return document.getElementById('stat-fixes').textContent", vec![]).await, "6");

    // A reload (or a crash) loses nothing: the page offers to continue.
    chief.go("/patrol").await;
    let offer = chief
        .until(
            "the offer to continue",
            "const s = document.getElementById('patrol-resume'); return !s.hidden && s.textContent",
        )
        .await;
    assert!(offer.as_str().unwrap().contains("6 个定位点"), "{offer}");
    chief.click("#patrol-continue").await;
    for (i, &p) in points.iter().enumerate().skip(6) {
        chief.walk_to(p, 10.0, Some(i + 1)).await;
    }
    let km = chief.js("return document.getElementById('stat-distance').textContent", vec![]).await;
    assert!(km.as_str().unwrap().ends_with(" km") && km != "0.00 km", "live distance: {km}");

    // 问题上报 at the current point, with a photo.
    chief.click("#patrol-finding-open").await;
    chief.find("#finding-type").await.select_by_value("河岸").await.unwrap();
    chief.type_into("#finding-title", "河岸堆放建筑垃圾").await;
    chief.type_into("#finding-description", "东岸约 20 米建筑垃圾，占压河道").await;
    chief.find("#finding-photos").await.send_keys(photo(files, 21).to_str().unwrap()).await.unwrap();
    chief.click("#finding-save").await;
    chief.until("the finding listed", "return document.querySelectorAll('#patrol-findings li').length === 1").await;
    if shots {
        chief.js("window.scrollTo(0, 0)", vec![]).await;
        chief.screenshot("patrol-recording").await;
    }

    // 结束巡河: the checklist (the finding's type already marked), notes, file.
    chief.click("#patrol-end").await;
    let marked = chief
        .js("return document.querySelector('fieldset[data-type=河岸] input[value=finding]').checked", vec![])
        .await;
    assert_eq!(marked, true, "the finding's record type is marked");
    chief.type_into("#patrol-notes", "沿河巡查一遍").await;
    if shots {
        chief.screenshot("patrol-checklist").await;
    }
    chief.click("#patrol-file").await;
    let done = chief
        .until("the log filed", "const s = document.getElementById('patrol-done'); return !s.hidden && s.textContent.includes('XH-') && s.textContent")
        .await;
    done.as_str().unwrap().split_whitespace().find(|w| w.starts_with("XH-")).unwrap().to_owned()
}

/// A village chief records a patrol (a reload halfway, a fix too poor to
/// keep, a finding with a photo), files it; the community chief above returns
/// it, the chief completes it, and the community chief approves it.
async fn patrol_round(size: Size, label: &str) {
    let Some(tools) = tools(label) else { return };
    let started = Instant::now();
    let test = TestApp::demo().await;
    // The recorder stamps fixes with the browser's real time; the server must agree on "now".
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    test.app.clock.set(now);
    let maps = test.app.maps();
    let unchaired = maps.reaches_of("zhulonghe").next().map(|r| r.code.clone());
    let reach = maps.reaches().iter().find(|r| Some(&r.code) != unchaired.as_ref()).unwrap().clone();
    let village = reach.grid.to_string().to_ascii_lowercase();
    let (chief_name, reviewer_name): (&'static str, &'static str) = (
        Box::leak(format!("{village}.chief").into_boxed_str()),
        Box::leak(format!("{}.chief", &village[..4]).into_boxed_str()),
    );
    let points = along_reach(&reach, 12);
    let server = Server::start(&test, 0).await;
    let driver = Driver::start(&tools).await;
    let origin = server.origin();
    let files = tempfile::tempdir().unwrap();
    let shots = size.mobile;

    let chief = Browser::open(&driver, &origin, size, chief_name, points[0]).await;
    let code = record_patrol(&chief, &reach, &points, files.path(), shots).await;
    chief.check("after filing").await;
    let log =
        chief.js("return fetch('/api/v1/patrols/' + arguments[0]).then((r) => r.json())", vec![json!(code)]).await;
    assert_eq!(log["points"], 12, "every kept fix and none of the dropped: {log}");
    assert_eq!(log["cases"].as_array().map(Vec::len), Some(1), "the finding became a case: {log}");
    assert_eq!(log["checklist"][3]["status"], "finding", "{}", log["checklist"]);
    chief.go(&format!("/patrols/{code}")).await;
    if shots {
        chief.screenshot("patrol-log").await;
    }

    // The community chief returns it; the chief completes it; then it is approved.
    let reviewer = Browser::open(&driver, &origin, size, reviewer_name, points[0]).await;
    reviewer.go("/patrols/review").await;
    reviewer.click(&format!("a[href='/patrols/{code}']")).await;
    reviewer.until("the log page", &format!("return location.pathname === '/patrols/{code}'")).await;
    if shots {
        reviewer.screenshot("patrol-review").await;
    }
    reviewer.review_log(&code, "return", "请补充垃圾清理情况").await;
    chief.go(&format!("/patrols/{code}")).await;
    chief.type_into("#resubmit fieldset[data-type=河岸] input[type=text]", "已通知村里三日内清理").await;
    chief.click("#resubmit button[type=submit]").await;
    chief
        .until(
            "the log resubmitted",
            "return !document.getElementById('resubmit') && document.readyState === 'complete'",
        )
        .await;
    chief.check("after resubmitting").await;
    chief.close().await;
    reviewer.review_log(&code, "approve", "同意").await;
    let review = reviewer.js("return document.querySelector('[data-review]').dataset.review", vec![]).await;
    assert_eq!(review, "approved");
    reviewer.go(&format!("/rivers/{}", reach.river)).await;
    reviewer.close().await;
    eprintln!("browser: {label} patrol {code} in {:.1} s", started.elapsed().as_secs_f64());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_village_chief_records_a_patrol_and_the_community_chief_reviews_it_in_a_phone_browser() {
    patrol_round(PHONE, "patrol phone 390x844").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_village_chief_records_a_patrol_and_the_community_chief_reviews_it_in_a_desktop_browser() {
    patrol_round(DESKTOP, "patrol desktop 1280x800").await;
}

// --- the town office -------------------------------------------------------------

impl Browser {
    /// Opens `details#{id}` on the page, lets `fill` fill its form, submits it
    /// and waits for the page that answers (no error shown).
    async fn submit_details<F, Fut>(&self, id: &str, fill: F)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ()>,
    {
        self.click(&format!("details#{id} > summary")).await;
        fill().await;
        self.js("window.gsBefore = performance.timeOrigin", vec![]).await;
        self.click(&format!("details#{id} button[type=submit]")).await;
        self.until(
            &format!("the answer to {id}"),
            "return document.readyState === 'complete' && window.gsBefore === undefined",
        )
        .await;
        let errors = self
            .js("return [...document.querySelectorAll('.form-error, .field-error')].map((e) => e.textContent)", vec![])
            .await;
        assert!(errors.as_array().is_none_or(Vec::is_empty), "{} {id}: {errors}", self.who);
        self.check(&format!("after {id}")).await;
    }

    /// GETs an API path in the page (the session cookie) and returns its JSON.
    async fn api(&self, path: &str) -> Value {
        self.js("return fetch(arguments[0]).then((r) => r.json())", vec![json!(path)]).await
    }
}

/// The town office ends an assignment with a reason and closes premises with
/// the 两断三清 photos, through the administration pages.
async fn office_administers(admin: &Browser, files: &Path) {
    let people = admin.api("/api/v1/people?q=tf0101.env").await;
    let person = people["people"].as_array().unwrap()[0]["id"].clone();
    admin.go(&format!("/people/{person}")).await;
    let end = admin.js("return document.querySelector('details[id^=end-]').id", vec![]).await;
    let end = end.as_str().unwrap().to_owned();
    admin
        .submit_details(&end, || async {
            admin.js(&format!("document.getElementById('{end}-to').value = '2026-11-18'"), vec![]).await;
            admin.type_into(&format!("#{end}-reason"), "调任其他村").await;
        })
        .await;
    let assignments = admin.api(&format!("/api/v1/assignments?person={person}")).await;
    let ended = assignments.to_string();
    assert!(ended.contains("调任其他村") && ended.contains("2026-11-18"), "{ended}");

    let found = admin.api(&format!("/api/v1/enterprises?q={}", "小作坊1号")).await;
    let list = found["enterprises"].as_array().unwrap();
    let id = list[0]["id"].clone();
    admin.go(&format!("/enterprises/{id}")).await;
    admin
        .submit_details("governance-listed", || async {
            admin.type_into("#listednote", "列入小散乱污整治").await;
        })
        .await;
    admin
        .submit_details("governance-closed", || async {
            for (n, (item, _)) in gridsafe::domain::enterprise::CLOSURE_ITEMS.iter().enumerate() {
                let file = photo(files, 40 + n as u8);
                admin.find(&format!("#photo-{item}")).await.send_keys(file.to_str().unwrap()).await.unwrap();
            }
            admin.type_into("#closednote", "两断三清完成，关停取缔").await;
        })
        .await;
    let closed = admin.api(&format!("/api/v1/enterprises/{id}")).await;
    assert_eq!(closed["governance"], "closed", "{closed}");
    assert!(closed.to_string().matches("\"water_cut\"").count() >= 1, "the checklist's photos: {closed}");
    // 回头看: the closure still holds, recorded today (the form's own default day).
    admin
        .submit_details("reinspection", || async {
            admin.type_into("#reinspect-note", "仍处于关停状态，未见复产").await;
            admin.screenshot(&format!("reinspection-{}", admin.size.width)).await;
        })
        .await;
    let checked = admin.api(&format!("/api/v1/enterprises/{id}")).await;
    assert!(checked["last_reinspected_on"].is_string(), "{checked}");
}

/// Two registered findings at one enterprise go out under one joint notice
/// from the queue: each with its own measures and deadline.
async fn joint_notice(admin: &Browser, numbers: &[String], shots: bool) {
    admin.go("/queue").await;
    admin.click("a[href='/notices/new?enterprise=6']").await;
    admin
        .until(
            "the joint notice form",
            "return location.pathname === '/notices/new' && document.readyState === 'complete'",
        )
        .await;
    admin.check("the joint notice form").await;
    for (n, number) in numbers.iter().enumerate() {
        admin.type_into(&format!("[id='measures.{number}']"), &format!("第{}项：立即整改", n + 1)).await;
        admin.js(&format!("document.getElementById('deadline.{number}').value = '2026-12-2{n}'"), vec![]).await;
    }
    if shots {
        admin.screenshot("joint-notice").await;
    }
    admin.screenshot(&format!("joint-notice-{}", admin.size.width)).await;
    admin.click("form[action='/notices'] button[type=submit]").await;
    admin
        .until("back on the queue", "return location.pathname === '/queue' && document.readyState === 'complete'")
        .await;
    admin.check("the queue with the notice issued").await;
    admin.screenshot(&format!("notice-issued-{}", admin.size.width)).await;
    let banner = admin.js("const p = document.querySelector('p.notice'); return p ? p.textContent : ''", vec![]).await;
    assert!(banner.as_str().unwrap().contains(&format!("涉及 {} 个案件", numbers.len())), "{banner}");
    for (n, number) in numbers.iter().enumerate() {
        let case = admin.api(&format!("/api/v1/cases/{number}")).await;
        assert_eq!(case["status"], "dispatched", "{case}");
        assert_eq!(case["deadline"], format!("2026-12-2{n}"), "{case}");
    }
}

/// The town office's day: a case registered from the queue, dispatched,
/// extended, supervised and transferred from the case page; the dashboard's
/// figures are the stats API's for the same period; an assignment ended and
/// premises closed with the 两断三清 photos.
async fn office_round(size: Size, label: &str) {
    let Some(tools) = tools(label) else { return };
    let started = Instant::now();
    let test = TestApp::demo().await;
    let inspector = test.login("tf0101.safety").await;
    let body = crate::cases::hazard(&test, &[crate::cases::photo(&test, &inspector, 31).await]);
    let number = crate::cases::file(&test, &inspector, &body).await;
    let server = Server::start(&test, 0).await;
    let driver = Driver::start(&tools).await;
    let origin = server.origin();
    let shots = size.mobile;
    let files = tempfile::tempdir().unwrap();
    let admin = Browser::open(&driver, &origin, size, "admin", inside(&test, "TF0101")).await;

    // 受理: registered with one tap in the queue, then dispatched from the case page.
    admin.go("/queue").await;
    if shots {
        admin.screenshot("office-queue").await;
    }
    admin.click(&format!("form[action='/cases/{number}/act'] button[type=submit]")).await;
    admin
        .until("back on the queue", "return location.pathname === '/queue' && document.readyState === 'complete'")
        .await;
    admin.check("the queue after registering").await;
    admin.click(&format!("a[href='/cases/{number}#dispatch']")).await;
    admin.until("the dispatch form open", "const d = document.getElementById('dispatch'); return d && d.open").await;
    admin.check(&format!("/cases/{number}")).await;
    admin.go(&format!("/cases/{number}")).await; // the form opened by the link, closed again
    assert_eq!(admin.status().await, "registered");
    admin
        .act("dispatch", || async {
            admin.type_into("#dispatch-responsible", "世邦机械 王经理").await;
            admin.type_into("#dispatch-measures", "加装配电箱防护门并上锁").await;
            admin.js("document.getElementById('dispatch-deadline').value = '2026-11-25'", vec![]).await;
        })
        .await;
    assert_eq!(admin.status().await, "dispatched");
    admin
        .act("extend", || async {
            admin.js("document.getElementById('extend-deadline').value = '2026-12-05'", vec![]).await;
            admin.type_into("#extend-reason", "防护门定制需十天").await;
        })
        .await;
    admin.act("supervise", || async { admin.type_into("#supervise-comment", "镇安监办挂牌督办").await }).await;
    admin.act("transfer", || async { admin.type_into("#transfer-department", "青州市应急管理局").await }).await;
    let case =
        admin.js("return fetch('/api/v1/cases/' + arguments[0]).then((r) => r.json())", vec![json!(number)]).await;
    let acted = (case["deadline"].as_str(), &case["supervised"], case["transferred_to"].as_str());
    assert_eq!(acted, (Some("2026-12-05"), &json!(true), Some("青州市应急管理局")), "{case}");

    // The dashboard says what the stats API says for the same period.
    let (from, to) = ("2026-08-01", "2026-11-18");
    admin.go(&format!("/dashboard?from={from}&to={to}")).await;
    if shots {
        admin.screenshot("office-dashboard").await;
    }
    let shown =
        admin.js("return [...document.querySelectorAll('dl.kpis dd')].map((d) => d.textContent.trim())", vec![]).await;
    let stats = admin
        .js(
            "return fetch(`/api/v1/stats?from=${arguments[0]}&to=${arguments[1]}&by=grid&level=community`).then((r) => r.json())",
            vec![json!(from), json!(to)],
        )
        .await;
    let pct = |v: &Value| v.as_f64().map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0));
    let shown: Vec<String> = serde_json::from_value(shown).unwrap();
    for figure in [
        stats["total"]["filed"].to_string(),
        pct(&stats["total"]["closure_rate"]),
        pct(&stats["total"]["on_time_rate"]),
    ] {
        assert!(shown.contains(&figure), "{figure} on the dashboard: {shown:?}");
    }
    let bars = admin.js("return document.querySelectorAll('svg.chart rect').length", vec![]).await;
    assert!(bars.as_u64().unwrap() >= 2 * stats["groups"].as_array().unwrap().len() as u64, "a bar pair per community");
    office_administers(&admin, files.path()).await;
    let mut joint = Vec::new();
    for seed in [32, 33] {
        let body = crate::cases::hazard(&test, &[crate::cases::photo(&test, &inspector, seed).await]);
        let number = crate::cases::file(&test, &inspector, &body).await;
        let admin_token = test.login("admin").await;
        crate::cases::act(&test, &admin_token, &number, None, json!({"action": "register"})).await.expect(200);
        joint.push(number);
    }
    joint_notice(&admin, &joint, shots).await;
    admin.close().await;
    eprintln!("browser: {label} office round {number} in {:.1} s", started.elapsed().as_secs_f64());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_town_office_runs_a_case_ends_an_assignment_and_closes_premises_in_a_phone_browser() {
    office_round(PHONE, "office phone 390x844").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_town_office_runs_a_case_ends_an_assignment_and_closes_premises_in_a_desktop_browser() {
    office_round(DESKTOP, "office desktop 1280x800").await;
}

// --- the map of everything -----------------------------------------------------------

/// Waits until map.js has drawn the case layer for a request after `after`;
/// returns what it wrote on `#map`.
async fn drawn(browser: &Browser, after: u64) -> Value {
    let script = format!(
        "const d = document.getElementById('map').dataset; return Number(d.casesSeq || 0) > {after} ? Object.assign({{}}, d) : null"
    );
    browser.until("the case layer drawn", &script).await
}

fn seq(state: &Value) -> u64 {
    state["casesSeq"].as_str().and_then(|s| s.parse().ok()).unwrap()
}

/// The map's case layer answers for the request the page made, as the API answers it.
async fn same_as_api(browser: &Browser, state: &Value, what: &str) -> Value {
    let query = state["casesQuery"].as_str().unwrap();
    let api = browser.api(&format!("/api/v1/map/cases?{query}")).await;
    assert_eq!(state["casesTotal"].as_str().unwrap(), api["total"].to_string(), "{what}: {state} / {api}");
    assert_eq!(state["casesMode"].as_str().unwrap(), api["mode"].as_str().unwrap(), "{what}");
    api
}

async fn map_round(size: Size, label: &str) {
    let Some(tools) = tools(label) else { return };
    let started = Instant::now();
    let test = TestApp::demo().await;
    let maps = test.app.maps();
    test.app.store.write(move |c| gridsafe::demo::seed_cases(c, &maps, crate::helpers::NOW, 300)).await.unwrap();
    let open: i64 = rusqlite::Connection::open(test.db_path())
        .unwrap()
        .query_row("SELECT count(*) FROM cases WHERE status NOT IN ('closed', 'cancelled')", [], |r| r.get(0))
        .unwrap();
    let server = Server::start(&test, 0).await;
    let driver = Driver::start(&tools).await;
    let admin = Browser::open(&driver, &server.origin(), size, "admin", inside(&test, "TF0101")).await;
    admin.go("/map").await;
    // The whole town: every open case is in view, clustered by the server.
    let town = drawn(&admin, 0).await;
    same_as_api(&admin, &town, "town view").await;
    assert_eq!(town["casesTotal"], open.to_string(), "every open case in the town's view: {town}");
    assert_eq!(town["casesMode"], "clusters", "{town}");
    assert!(town["casesFeatures"].as_str().unwrap().parse::<u64>().unwrap() > 0, "{town}");
    let enterprises =
        admin.until("the enterprises drawn", "return document.getElementById('map').dataset.enterprises").await;
    let listed = admin.api("/api/v1/map/enterprises").await;
    assert_eq!(enterprises, listed.as_array().unwrap().len().to_string(), "every enterprise in scope on the map");
    admin.until("the tracks loaded", "return document.getElementById('map').dataset.tracks").await;
    if size.mobile {
        admin.screenshot("map-town").await;
    }
    // A filter narrows the layer to what the API answers for it.
    admin
        .js(
            "const s = document.querySelector('#gs-filters [name=status]'); s.value = 'dispatched';
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await;
    let dispatched = drawn(&admin, seq(&town)).await;
    assert!(dispatched["casesQuery"].as_str().unwrap().contains("status=dispatched"), "{dispatched}");
    same_as_api(&admin, &dispatched, "dispatched only").await;
    let total: u64 = dispatched["casesTotal"].as_str().unwrap().parse().unwrap();
    assert!(total > 0 && total < open as u64, "{dispatched}");
    // A cluster's click zooms in on it.
    admin.click(".gs-cluster").await;
    let closer = drawn(&admin, seq(&dispatched)).await;
    let zoom = |s: &Value| s["casesZoom"].as_str().unwrap().parse::<f64>().unwrap();
    assert!(zoom(&closer) > zoom(&dispatched), "{dispatched} → {closer}");
    same_as_api(&admin, &closer, "after the cluster's click").await;
    // Close up a case is a dot of its own, and its click opens the case.
    let api = admin.api("/api/v1/cases?status=dispatched&limit=1").await;
    let case = &api["items"][0];
    let (number, lon, lat) = (case["number"].as_str().unwrap().to_owned(), case["lon"].clone(), case["lat"].clone());
    admin
        .js(
            "document.getElementById('map').gsMap.setView([arguments[1], arguments[0]], 19)",
            vec![lon.clone(), lat.clone()],
        )
        .await;
    let street = drawn(&admin, seq(&closer)).await;
    assert_eq!(street["casesMode"], "points", "{street}");
    same_as_api(&admin, &street, "street view").await;
    if size.mobile {
        admin.screenshot("map-street").await;
    }
    admin
        .js(
            "const map = document.getElementById('map').gsMap;
             const p = map.latLngToContainerPoint([arguments[1], arguments[0]]);
             const box = map.getContainer().getBoundingClientRect();
             const [x, y] = [box.left + p.x, box.top + p.y];
             const target = document.elementFromPoint(x, y);
             for (const type of ['mousedown', 'mouseup', 'click']) {
               target.dispatchEvent(new MouseEvent(type, { bubbles: true, clientX: x, clientY: y, button: 0 }));
             }",
            vec![lon, lat],
        )
        .await;
    admin
        .until("the case page", "return location.pathname.startsWith('/cases/') && document.readyState === 'complete'")
        .await;
    // The case under the pointer (two cases filed at one spot share a dot).
    let opened = admin.path().await;
    let shown = admin.api(&format!("/api/v1{opened}")).await;
    let near = |a: &Value, b: &Value| (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-6;
    assert!(
        near(&shown["lon"], &case["lon"]) && near(&shown["lat"], &case["lat"]),
        "{opened} is not at {number}'s place"
    );
    assert_eq!(shown["status"], "dispatched", "{opened}");
    admin.check("the case opened from the map").await;
    admin.close().await;
    eprintln!("browser: {label} map round in {:.1} s", started.elapsed().as_secs_f64());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_map_shows_the_open_cases_the_api_lists_filters_them_and_opens_one_in_a_phone_browser() {
    map_round(PHONE, "map phone 390x844").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_map_shows_the_open_cases_the_api_lists_filters_them_and_opens_one_in_a_desktop_browser() {
    map_round(DESKTOP, "map desktop 1280x800").await;
}
