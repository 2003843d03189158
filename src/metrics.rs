//! The server's metrics in the Prometheus text format (`GET /metrics`), kept
//! with `prometheus-client`: requests by route and status with latency
//! histograms, the writer's queue depth and batch sizes, checkpoint times, the
//! WAL's size, backups, refused logins and the tamper alarm.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A request's labels: its method, route pattern and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `GET`, `POST`...
    pub method: String,
    /// The route's pattern (`/api/v1/cases/{number}`), so that numbers do not
    /// make a series each.
    pub route: String,
    /// The answer's status code.
    pub status: u16,
}

/// A route's labels for its latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// `GET`, `POST`...
    pub method: String,
    /// The route's pattern.
    pub route: String,
}

/// A backup's outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `ok` or `failed`.
    pub outcome: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// What the writer and the checkpoints record; the store holds it.
#[derive(Debug, Clone)]
pub struct StoreMetrics {
    /// Jobs per committed batch.
    pub batch_size: Histogram,
    /// Seconds per WAL restart checkpoint.
    pub checkpoint_seconds: Histogram,
}

impl Default for StoreMetrics {
    fn default() -> Self {
        Self {
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 9)),
            checkpoint_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 14)),
        }
    }
}

/// Every metric the server keeps, and the registry that writes them out.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Requests answered.
    pub requests: Family<RequestLabels, Counter>,
    /// Seconds to answer, by route.
    pub latency: HistogramFamily<RouteLabels>,
    /// Logins refused (wrong password, unknown user, or rate limited).
    pub logins_refused: Counter,
    /// Scheduled backups, by outcome.
    pub backups: Family<OutcomeLabels, Counter>,
    /// When the last scheduled backup succeeded (Unix seconds).
    pub last_backup: Gauge,
    /// Write jobs queued or running, sampled when scraped.
    pub writer_queue: Gauge,
    /// The WAL's size in bytes, sampled when scraped.
    pub wal_bytes: Gauge,
    /// 1 while the audit chain and its guards hold, 0 once the alarm is raised.
    pub audit_ok: Gauge,
}

impl Metrics {
    /// The metrics, with the store's own registered beside them.
    pub fn new(store: &StoreMetrics) -> Self {
        let mut registry = Registry::with_prefix("gridsafe");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = HistogramFamily::<RouteLabels>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let logins_refused = Counter::default();
        let backups = Family::<OutcomeLabels, Counter>::default();
        let (last_backup, writer_queue, wal_bytes, audit_ok) =
            (Gauge::default(), Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("http_requests", "Requests answered, by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "Seconds to answer, by method and route", latency.clone());
        registry.register("logins_refused", "Logins refused", logins_refused.clone());
        registry.register("backups", "Scheduled backups, by outcome", backups.clone());
        registry.register(
            "last_backup_timestamp_seconds",
            "When the last scheduled backup succeeded",
            last_backup.clone(),
        );
        registry.register("writer_queue_depth", "Write jobs queued or running", writer_queue.clone());
        registry.register("writer_batch_size", "Write jobs per committed batch", store.batch_size.clone());
        registry.register(
            "checkpoint_duration_seconds",
            "Seconds per WAL restart checkpoint",
            store.checkpoint_seconds.clone(),
        );
        registry.register("wal_bytes", "Size of the write-ahead log", wal_bytes.clone());
        registry.register("audit_ok", "1 while the audit chain and its guards hold", audit_ok.clone());
        Self { registry, requests, latency, logins_refused, backups, last_backup, writer_queue, wal_bytes, audit_ok }
    }

    /// Counts one answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.latency.get_or_create(&RouteLabels { method: method.clone(), route: route.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
