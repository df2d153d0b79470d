//! duban (督办): task assignment and accountability for government implementation plans.
//!
//! Layers, each depending only on those below it (checked by `tests/layering.rs`):
//! - [`domain`]: vocabularies, rules, China civil time and the holiday calendar; pure.
//! - pure cores: [`evaluation`] (scoring), `notify::{ladder, templates, ical}`, and the
//!   `duban-import` crate (the plan-document parser).
//! - [`auth`], [`config`], [`db`], [`error`], [`storage`], [`metrics`]: who asks, settings,
//!   the database handle, the object store, the process's Prometheus metrics.
//! - [`services`]: use cases over the database, one module (or folder) per area.
//! - `notify`'s database side (store, sweep, outbox, feed, mailer), over services.
//! - [`app`]: the shared state and the injected clock (nothing else reads the time).
//! - [`graphql`] (schema, resolvers, loaders), `notify::worker` (the background loop) and
//!   [`demo`] (the demo world's simulated year, through the services).
//! - [`server`] (HTTP: routing and answering; `server::request` reads requests) and [`cli`].

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod evaluation;
pub mod graphiql;
pub mod graphql;
pub mod metrics;
pub mod notify;
pub mod server;
pub mod services;
pub mod storage;
