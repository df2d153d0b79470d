//! The task list filters by role alone (`tasks(filter: { role: LEAD })`, e.g. "tasks whose lead
//! is undecided or every led task"); `idx_assignment_agency_role` starts with the agency and
//! cannot serve that.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_assignment_role_task")
                    .table("assignment")
                    .col("role")
                    .col("task_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_assignment_role_task")
                    .table("assignment")
                    .to_owned(),
            )
            .await
    }
}
