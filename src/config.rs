//! Command-line and environment configuration: one flag per setting, each
//! also readable from a `GRIDSAFE_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::store::StoreOptions;

/// Where the database lives; shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// SQLite database file (created on first use).
    #[arg(long, env = "GRIDSAFE_DB", default_value = "gridsafe.db", global = true)]
    pub db: PathBuf,
}

impl DbArgs {
    /// Opens the database for one-shot work, migrated, with a message naming the file on failure.
    pub fn open(&self) -> anyhow::Result<rusqlite::Connection> {
        use anyhow::Context;
        crate::store::open_migrated(&self.db).with_context(|| format!("cannot open {}", self.db.display()))
    }
}

/// Settings of the HTTP server (`gridsafe serve`).
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Address and port to listen on.
    #[arg(long, env = "GRIDSAFE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Load the demo town (谭坊镇) when the database holds no geography yet.
    #[arg(long, env = "GRIDSAFE_DEMO")]
    pub demo: bool,
    /// Optional XYZ tile URL template for the map background, e.g. an offline tile server; none by default.
    #[arg(long, env = "GRIDSAFE_TILE_URL")]
    pub tile_url: Option<String>,
    /// The address people reach this server at; the QR codes of issued
    /// documents link to `<public-url>/verify/<code>` (kept in the database,
    /// so the CLI prints the same). Without it, the address the server
    /// listens on.
    #[arg(long, env = "GRIDSAFE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Turn the public Open311 GeoReport v2 view (`/open311/v2`) on or off
    /// (`on`/`off`); kept in the database, so it stays as last set. On when
    /// never set.
    #[arg(
        long,
        env = "GRIDSAFE_OPEN311",
        value_name = "on|off",
        hide_possible_values = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub open311: Option<bool>,
    /// Pooled read-only database connections.
    #[arg(long, env = "GRIDSAFE_READERS", default_value_t = 4)]
    pub readers: usize,
    /// Take verified backups into this directory while serving (one at start,
    /// then every `--backup-every`); off when not set.
    #[arg(long, env = "GRIDSAFE_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Time between scheduled backups: a number with `s`, `m`, `h` or `d` (e.g. `6h`).
    #[arg(long, env = "GRIDSAFE_BACKUP_EVERY", default_value = "6h", value_parser = parse_interval)]
    pub backup_every: u64,
    /// How many scheduled backups to keep (the oldest beyond are deleted).
    #[arg(long, env = "GRIDSAFE_BACKUP_KEEP", default_value_t = 28, value_parser = clap::value_parser!(u64).range(1..))]
    pub backup_keep: u64,
    /// How long a request may take before it is answered 503 (its head; a
    /// streamed export goes on after): a number with `s`, `m`, `h` or `d`.
    #[arg(long, env = "GRIDSAFE_REQUEST_TIMEOUT", default_value = "60s", value_parser = parse_interval)]
    pub request_timeout: u64,
    /// Requests served at once; more are answered 503 at once (load shedding).
    #[arg(long, env = "GRIDSAFE_MAX_IN_FLIGHT", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_in_flight: u64,
    /// A token that may read `/metrics` (as `Authorization: Bearer <token>`)
    /// without an admin session, for a Prometheus server.
    #[arg(long, env = "GRIDSAFE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Minutes between two checks of the audit chain and its append-only
    /// triggers (the first runs at start).
    #[arg(long, env = "GRIDSAFE_AUDIT_EVERY", default_value = "5m", value_parser = parse_interval)]
    pub audit_every: u64,
    /// Start even though the audit log's append-only triggers are missing or
    /// altered: they are re-created and the start is recorded in the audit log.
    #[arg(long)]
    pub accept_missing_triggers: bool,
    /// Milliseconds a request waits for the database before it is answered 503.
    #[arg(long, env = "GRIDSAFE_DB_WAIT_MS", default_value_t = 5000)]
    pub db_wait_ms: u64,
}

impl Config {
    /// The backup schedule the flags ask for, if any.
    pub fn backup_schedule(&self) -> Option<crate::service::backup::Schedule> {
        self.backup_dir.clone().map(|dir| crate::service::backup::Schedule {
            dir,
            every_s: self.backup_every,
            keep: usize::try_from(self.backup_keep).unwrap_or(usize::MAX),
        })
    }

    /// The request limits these flags describe.
    pub fn limits(&self) -> crate::app::Limits {
        crate::app::Limits {
            request_timeout: std::time::Duration::from_secs(self.request_timeout),
            max_in_flight: usize::try_from(self.max_in_flight).unwrap_or(usize::MAX),
        }
    }

    /// The store settings these flags describe.
    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            readers: self.readers.max(1),
            wait: Duration::from_millis(self.db_wait_ms),
            ..StoreOptions::default()
        }
    }
}

/// Parses `90s`, `30m`, `6h` or `1d` as seconds (at least one).
fn parse_interval(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 =
        number.parse().map_err(|_| format!("须为数字加单位 s/m/h/d，如 6h / a number with s, m, h or d: {text}"))?;
    let scale = match unit {
        "s" | "" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("单位须为 s、m、h 或 d / the unit must be s, m, h or d: {text}")),
    };
    n.checked_mul(scale)
        .filter(|s| *s > 0)
        .ok_or_else(|| format!("间隔须大于 0 / the interval must be positive: {text}"))
}
