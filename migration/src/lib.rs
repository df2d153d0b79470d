//! Schema migrations. One change per migration, timestamped names, each with `down`.
//! Seed data never lives here: see `duban seed`.
pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_agency;
mod m20261121_000002_create_contact;
mod m20261121_000003_create_user;
mod m20261121_000004_create_plan;
mod m20261121_000005_create_task;
mod m20261121_000006_create_assignment;
mod m20261121_000007_create_target;
mod m20261121_000008_create_progress_report;
mod m20261121_000009_create_extension_request;
mod m20261121_000010_create_audit_event;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_agency::Migration),
            Box::new(m20261121_000002_create_contact::Migration),
            Box::new(m20261121_000003_create_user::Migration),
            Box::new(m20261121_000004_create_plan::Migration),
            Box::new(m20261121_000005_create_task::Migration),
            Box::new(m20261121_000006_create_assignment::Migration),
            Box::new(m20261121_000007_create_target::Migration),
            Box::new(m20261121_000008_create_progress_report::Migration),
            Box::new(m20261121_000009_create_extension_request::Migration),
            Box::new(m20261121_000010_create_audit_event::Migration),
        ]
    }
}
