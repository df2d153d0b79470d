use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("progress_report")
                    .col(big_pk_auto("id"))
                    .col(big_integer("task_id"))
                    .col(big_integer("agency_id"))
                    .col(big_integer("author_id"))
                    .col(string("period"))
                    .col(text("text"))
                    .col(integer("percent"))
                    .col(timestamp_with_time_zone("submitted_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("progress_report", "task_id")
                            .to("task", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("progress_report", "agency_id")
                            .to("agency", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("progress_report", "author_id")
                            .to("user", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_task")
                    .table("progress_report")
                    .col("task_id")
                    .col("submitted_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_agency")
                    .table("progress_report")
                    .col("agency_id")
                    .col("period")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("progress_report").to_owned())
            .await
    }
}
