//! The integration-test binary: one module per area.
#![expect(clippy::unwrap_used, reason = "a failing unwrap is a failing test")]

mod access;
mod admin_pages;
mod backup;
mod browser;
mod cases;
mod cli;
mod contacts;
mod demo;
mod documents;
mod durability;
mod enterprises;
mod faults;
mod generate;
mod geography;
mod helpers;
mod http_geography;
mod idempotency;
mod kpi;
mod ledger;
mod map_pages;
mod office_pages;
mod ogc;
mod open311;
mod openapi;
mod pages;
mod patrol_docs;
mod patrol_pages;
mod patrols;
mod printable;
mod rules;
mod scale;
mod server;
mod state_machine;
mod tour;
mod verify;
