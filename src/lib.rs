//! gridsafe: a township's grid-based safety-production and environmental
//! inspection and river-chief system, as one binary over one SQLite file.

/// Accounts: passwords, sessions, actors and their scope, assignments, coverage.
pub mod accounts;
/// The running application: shared state, router assembly and the server loop.
pub mod app;
/// Cases (隐患): filing, actions through the state machine, views.
pub mod cases;
/// The command line, one module per subcommand.
pub mod cli;
/// Command-line and environment configuration.
pub mod config;
/// The demo town's people, enterprises and assignments.
pub mod demo;
/// Documents: data in, bytes out (PDF notices and opinions, ledger exports).
pub mod docs;
/// Issuing documents: numbering, rendering inside the action, storing once.
pub mod documents;
/// Pure domain types and rules (no I/O).
pub mod domain;
/// Enterprises and premises: input checks, governance lifecycle, CSV import.
pub mod enterprises;
/// The crate error type and `Result` alias.
pub mod error;
/// Importing, storing and loading the town's geography.
pub mod geography;
/// HTTP: router, API, web pages.
pub mod http;
/// Photos: decode, strip metadata, thumbnail, content-address.
pub mod media;
/// River patrols: filing, review, monthly compliance.
pub mod patrols;
/// Geometry: GeoJSON features, validation, locate, reaches.
pub mod spatial;
/// The SQLite store and its per-aggregate functions.
pub mod store;
