//! sea-orm entities of duban. Plain models only: behaviour lives in `duban::services`,
//! GraphQL types in `duban::graphql`.
pub mod agency;
pub mod assignment;
pub mod audit_event;
pub mod contact;
pub mod extension_request;
pub mod plan;
pub mod progress_report;
pub mod target;
pub mod task;
pub mod user;
