//! gridsafe: a township's grid-based safety-production and environmental
//! inspection and river-chief system, as one binary over one SQLite file.

/// The running application: shared state, router assembly and the server loop.
pub mod app;
/// The command line, one module per subcommand.
pub mod cli;
/// Command-line and environment configuration.
pub mod config;
/// The demo town's people, enterprises and assignments.
pub mod demo;
/// Documents: data in, bytes out (PDF notices and opinions, ledger exports).
pub mod docs;
/// Pure domain types and rules (no I/O).
pub mod domain;
/// The crate error type and `Result` alias.
pub mod error;
pub mod generate;
/// HTTP: router, API, web pages.
pub mod http;
/// The server's metrics (Prometheus text format).
pub mod metrics;
/// Units of work shared by pages, the API and the CLI.
pub mod service;
/// Geometry: GeoJSON features, validation, locate, reaches.
pub mod spatial;
/// The SQLite store and its per-aggregate functions.
pub mod store;
