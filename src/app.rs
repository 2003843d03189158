//! The running application: shared state, the router and the server loop.

use std::future::Future;
use std::sync::{Arc, RwLock};

use tokio::net::TcpListener;

use crate::domain::time::Clock;
use crate::error::Result;
use crate::spatial::Maps;
use crate::store::Store;

/// Settings the web pages need.
#[derive(Debug, Clone, Default)]
pub struct UiSettings {
    /// Optional XYZ tile URL template for the map background.
    pub tile_url: Option<String>,
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
    pub limiter: Arc<crate::http::auth::LoginLimiter>,
    /// Recently resolved sessions.
    pub sessions: Arc<crate::http::auth::SessionCache>,
    /// Where every handler reads the time (fixed in tests).
    pub clock: Clock,
}

impl App {
    /// Assembles the state from an open store and its loaded geography.
    pub fn new(store: Store, maps: impl Into<Arc<Maps>>, ui: UiSettings) -> Self {
        Self {
            store,
            maps: Arc::new(RwLock::new(maps.into())),
            ui: Arc::new(ui),
            limiter: Arc::default(),
            sessions: Arc::default(),
            clock: Clock::system(),
        }
    }

    /// The same application reading the time from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
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

/// Serves `app` on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(listener: TcpListener, app: App, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    let router = crate::http::router(app);
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| crate::error::Error::Internal(anyhow::anyhow!("server failed: {e}")))
}
