use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("task")
                    .col(big_pk_auto("id"))
                    .col(big_integer("plan_id"))
                    .col(big_integer_null("parent_id"))
                    .col(integer("position"))
                    .col(string("code"))
                    .col(string("kind"))
                    .col(text("title"))
                    .col(text("body"))
                    .col(date_null("deadline"))
                    .col(string_null("deadline_precision"))
                    .col(date_null("original_deadline"))
                    .col(boolean("ongoing"))
                    .col(string_null("report_cadence"))
                    .col(json_binary("groups"))
                    .col(boolean("lead_undecided"))
                    .col(string("status"))
                    .col(integer("progress"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(timestamp_with_time_zone_null("reopened_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("task", "plan_id")
                            .to("plan", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("task", "parent_id")
                            .to("task", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_task_plan_position")
                    .table("task")
                    .col("plan_id")
                    .col("position")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_task_parent")
                    .table("task")
                    .col("parent_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_task_status_deadline")
                    .table("task")
                    .col("status")
                    .col("deadline")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_task_deadline")
                    .table("task")
                    .col("deadline")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_task_kind")
                    .table("task")
                    .col("kind")
                    .col("plan_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("task").to_owned())
            .await
    }
}
