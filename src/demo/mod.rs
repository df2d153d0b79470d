//! The demo world (演示数据): `duban seed` and the first `duban serve` load the five source
//! plans and then simulate a year of work on them (2025) — progress reports by period,
//! completion requests verified or returned, extensions approved or rejected, the weekly
//! reminder sweep with its supervision records and notice numbers, and a published 2025
//! evaluation — so that a frontend developer sees what each of them looks like.
//!
//! Deterministic: a fixed seed ([`script::SEED`]) drives a stable generator, every action is
//! dated on its simulated day, so every run builds the same database (checked by
//! [`digest`]). Real use is imitated, not bypassed: the [`script`] (pure) says what happens,
//! [`run`] does it through the services as the demo accounts, authorised and audited. The
//! plans are marked `demo`; the simulated sweeps' mails are kept in the outbox as `demo`,
//! never delivered.

mod digest;
mod run;
pub mod script;

pub use digest::digest;
pub use run::{Summary, china_instant, demo_plans, simulate};
