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
    /// Milliseconds a request waits for the database before it is answered 503.
    #[arg(long, env = "GRIDSAFE_DB_WAIT_MS", default_value_t = 5000)]
    pub db_wait_ms: u64,
}

impl Config {
    /// The store settings these flags describe.
    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            readers: self.readers.max(1),
            wait: Duration::from_millis(self.db_wait_ms),
            ..StoreOptions::default()
        }
    }
}
