//! The running application's state: the store, the geography in memory, the
//! clock and the in-memory guards. What serves it is `http`.

use std::sync::{Arc, RwLock};

use crate::domain::time::Clock;
use crate::spatial::Maps;
use crate::store::Store;

/// Settings the web pages need.
#[derive(Debug, Clone, Default)]
pub struct UiSettings {
    /// Optional XYZ tile URL template for the map background.
    pub tile_url: Option<String>,
    /// The address people reach the server at (`--public-url`), if set.
    pub public_url: Option<String>,
}

/// The limits every request meets (`serve --request-timeout`, `--max-in-flight`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a request may take to be answered (its head: a streamed
    /// export goes on after).
    pub request_timeout: std::time::Duration,
    /// How many requests are served at once; more are answered 503 at once.
    pub max_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { request_timeout: std::time::Duration::from_secs(60), max_in_flight: 512 }
    }
}

/// Everything a request handler may use. Cheap to clone.
#[derive(Clone)]
pub struct App {
    /// The database.
    pub store: Store,
    maps: Arc<RwLock<Arc<Maps>>>,
    /// Web page settings.
    pub ui: Arc<UiSettings>,
    /// Failed-login counters.
    pub limiter: Arc<crate::service::login::LoginLimiter>,
    /// Recently resolved sessions.
    pub sessions: Arc<crate::service::login::SessionCache>,
    /// Where every handler reads the time (fixed in tests).
    pub clock: Clock,
    /// The backup schedule, if any, and the last scheduled backup's outcome.
    pub backups: Arc<Backups>,
    /// What the tamper alarm found last (the audit chain and its guards).
    pub audit: Arc<std::sync::Mutex<crate::service::integrity::AuditState>>,
    /// The limits every request meets.
    pub limits: Limits,
    /// The metrics `/metrics` shows.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// A token that may read `/metrics` without a session (`--metrics-token`).
    pub metrics_token: Option<Arc<str>>,
}

/// The server's scheduled backups: how, and how the last one went.
#[derive(Debug, Default)]
pub struct Backups {
    /// The schedule (`serve --backup-dir`), if set.
    pub schedule: Option<crate::service::backup::Schedule>,
    /// The last outcome.
    pub last: std::sync::Mutex<Option<crate::service::backup::LastBackup>>,
}

impl App {
    /// Assembles the state from an open store and its loaded geography.
    pub fn new(store: Store, maps: impl Into<Arc<Maps>>, ui: UiSettings) -> Self {
        let metrics = Arc::new(crate::metrics::Metrics::new(store.metrics()));
        Self {
            store,
            maps: Arc::new(RwLock::new(maps.into())),
            ui: Arc::new(ui),
            limiter: Arc::default(),
            sessions: Arc::default(),
            clock: Clock::system(),
            backups: Arc::default(),
            audit: Arc::default(),
            limits: Limits::default(),
            metrics,
            metrics_token: None,
        }
    }

    /// The same application with this backup schedule.
    #[must_use]
    pub fn with_backups(mut self, schedule: Option<crate::service::backup::Schedule>) -> Self {
        self.backups = Arc::new(Backups { schedule, last: std::sync::Mutex::default() });
        self
    }

    /// The same application letting this token read `/metrics`.
    #[must_use]
    pub fn with_metrics_token(mut self, token: Option<String>) -> Self {
        self.metrics_token = token.map(Arc::from);
        self
    }

    /// The same application with these request limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The same application reading the time from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// What the tamper alarm found last.
    pub fn audit_state(&self) -> crate::service::integrity::AuditState {
        self.audit.lock().map(|state| state.clone()).unwrap_or_default()
    }

    /// The current Unix time in seconds, from the application's clock.
    pub fn now_s(&self) -> i64 {
        self.clock.now_s()
    }

    /// A snapshot of the geography; an import swaps in a new one without blocking readers.
    pub fn maps(&self) -> Arc<Maps> {
        self.maps.read().expect("maps lock poisoned").clone()
    }

    /// Replaces the in-memory geography after an import has committed.
    pub fn set_maps(&self, maps: Maps) {
        *self.maps.write().expect("maps lock poisoned") = Arc::new(maps);
    }
}
