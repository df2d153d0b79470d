use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("attachment")
                    .col(big_pk_auto("id"))
                    .col(big_integer("task_id"))
                    .col(string("owner_kind"))
                    .col(big_integer("owner_id"))
                    .col(text("file_name"))
                    .col(string("media_type"))
                    .col(big_integer("size"))
                    .col(string_len("sha256", 64))
                    .col(string("storage_key"))
                    .col(big_integer("uploaded_by"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("attachment", "task_id")
                            .to("task", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("attachment", "uploaded_by")
                            .to("user", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // The attachments of an item, in upload order (the `attachments` field's loader).
        manager
            .create_index(
                Index::create()
                    .name("idx_attachment_owner")
                    .table("attachment")
                    .col("owner_kind")
                    .col("owner_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attachment_task")
                    .table("attachment")
                    .col("task_id")
                    .to_owned(),
            )
            .await?;
        // Is an object still referenced (the orphan sweep, deletion)?
        manager
            .create_index(
                Index::create()
                    .name("idx_attachment_storage_key")
                    .table("attachment")
                    .col("storage_key")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("attachment").to_owned())
            .await
    }
}
