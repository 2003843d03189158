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

        let port = free_port();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let driver = Self { child, url: format!("http://127.0.0.1:{port}"), chromium: tools.chromium.clone() };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < PATIENCE, "chromedriver does not listen on {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        driver
    }
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
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err() {
                task.abort();
            }
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
