//! duban (督办): task assignment and accountability for government implementation plans.
//!
//! Layers, outermost first: `server` (HTTP) → `graphql` (schema, resolvers, loaders) →
//! `services` (use cases over the database) → `domain` (pure rules). `auth` knows who asks;
//! `config` and `db` set the stage.
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod evaluation;
pub mod graphiql;
pub mod graphql;
pub mod notify;
pub mod server;
pub mod services;
