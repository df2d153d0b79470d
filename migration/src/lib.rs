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
mod m20261121_000021_create_escalation_policy;
mod m20261121_000022_create_calendar_day;
mod m20261121_000023_create_supervision_record;
mod m20261121_000024_create_outbox_message;
mod m20261121_000025_create_doc_sequence;
mod m20261121_000026_create_calendar_feed_token;
mod m20261121_000101_create_evaluation_scheme;
mod m20261121_000102_create_evaluation;
mod m20261121_000103_create_evaluation_result;
mod m20261121_000104_create_indicator_value;
mod m20261121_000105_create_manual_score;
mod m20261121_000106_create_manual_adjustment;
mod m20261130_000001_index_assignment_role;
mod m20261130_000002_user_token_generation;
mod m20261202_000101_index_task_order;
mod m20261202_000201_create_change_event;
mod m20261202_000301_create_attachment;
mod m20261202_000401_create_supervision_document;
mod m20261202_000402_create_outbox_attachment;
mod m20261202_000501_plan_demo;
mod m20261202_000601_table_generation;

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
            Box::new(m20261121_000021_create_escalation_policy::Migration),
            Box::new(m20261121_000022_create_calendar_day::Migration),
            Box::new(m20261121_000023_create_supervision_record::Migration),
            Box::new(m20261121_000024_create_outbox_message::Migration),
            Box::new(m20261121_000025_create_doc_sequence::Migration),
            Box::new(m20261121_000026_create_calendar_feed_token::Migration),
            Box::new(m20261121_000101_create_evaluation_scheme::Migration),
            Box::new(m20261121_000102_create_evaluation::Migration),
            Box::new(m20261121_000103_create_evaluation_result::Migration),
            Box::new(m20261121_000104_create_indicator_value::Migration),
            Box::new(m20261121_000105_create_manual_score::Migration),
            Box::new(m20261121_000106_create_manual_adjustment::Migration),
            Box::new(m20261130_000001_index_assignment_role::Migration),
            Box::new(m20261130_000002_user_token_generation::Migration),
            Box::new(m20261202_000101_index_task_order::Migration),
            Box::new(m20261202_000301_create_attachment::Migration),
            Box::new(m20261202_000401_create_supervision_document::Migration),
            Box::new(m20261202_000402_create_outbox_attachment::Migration),
            Box::new(m20261202_000201_create_change_event::Migration),
            Box::new(m20261202_000501_plan_demo::Migration),
            Box::new(m20261202_000601_table_generation::Migration),
        ]
    }
}
