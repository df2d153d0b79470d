use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("supervision_record")
                    .col(big_pk_auto("id"))
                    .col(big_integer("task_id"))
                    .col(string("level"))
                    .col(string("rung_key"))
                    .col(integer("rung_index"))
                    .col(integer("occurrence"))
                    .col(string("trigger_key"))
                    .col(string("matter"))
                    .col(date("due_on"))
                    .col(string("dedupe_key"))
                    .col(string_null("doc_number"))
                    .col(json_binary("recipients"))
                    .col(json_binary("message_ids"))
                    .col(string("sweep_id"))
                    .col(timestamp_with_time_zone("fired_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("supervision_record", "task_id")
                            .to("task", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_supervision_record_dedupe")
                    .table("supervision_record")
                    .col("dedupe_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_supervision_record_task_fired")
                    .table("supervision_record")
                    .col("task_id")
                    .col("fired_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_supervision_record_sweep")
                    .table("supervision_record")
                    .col("sweep_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_supervision_record_level_fired")
                    .table("supervision_record")
                    .col("level")
                    .col("fired_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("supervision_record").to_owned())
            .await
    }
}
