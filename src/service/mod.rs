//! Units of work: the checks, writes and views that pages, the JSON API and
//! the CLI share. Each takes a connection (and the maps, the actor and the
//! time it is handed) and calls the store, the spatial index and the document
//! machinery; none knows HTTP.

/// Accounts: passwords, sessions, actors and their scope, assignments, coverage.
pub mod accounts;
/// Verified online backups and restores.
pub mod backup;
/// Cases (隐患): filing, actions through the state machine, views.
pub mod cases;
/// The editable taxonomy of case categories.
pub mod categories;
/// Issuing documents: numbering, rendering inside the action, storing once.
pub mod documents;
/// Enterprises and premises: input checks, governance lifecycle, CSV import.
pub mod enterprises;
/// Importing, storing and loading the town's geography.
pub mod geography;
/// What `/healthz` says of the server.
pub mod health;
/// The tamper alarm: the audit chain and its append-only guards, checked while serving.
pub mod integrity;
/// The failed-login limiter and the cache of resolved sessions.
pub mod login;
/// The map of everything: open cases aggregated by zoom, enterprises, patrol tracks, in scope.
pub mod map;
/// Photos: decode, strip metadata, thumbnail, content-address.
pub mod media;
/// OGC API – Features: the collections, their items as GeoJSON, the OpenAPI 3.0 document.
pub mod ogc;
/// Open311 GeoReport v2: the public read view of cases, nothing personal in it.
pub mod open311;
/// The patrol rules per chief level as settings: view, checked edits, audit.
pub mod patrol_rules;
/// River patrols: filing, review, monthly compliance.
pub mod patrols;
/// People and assignments as the office and each person see them.
pub mod people;
/// Normalising typed text and refusing what no document font can print.
pub mod printable;
