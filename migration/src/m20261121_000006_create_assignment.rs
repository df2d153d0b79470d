use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("assignment")
                    .col(big_pk_auto("id"))
                    .col(big_integer("task_id"))
                    .col(big_integer("agency_id"))
                    .col(string("role"))
                    .col(string_null("note"))
                    .col(date_null("sub_deadline"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("assignment", "task_id")
                            .to("task", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("assignment", "agency_id")
                            .to("agency", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_assignment_task_agency_role")
                    .table("assignment")
                    .col("task_id")
                    .col("agency_id")
                    .col("role")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_assignment_agency_role")
                    .table("assignment")
                    .col("agency_id")
                    .col("role")
                    .col("task_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("assignment").to_owned())
            .await
    }
}
