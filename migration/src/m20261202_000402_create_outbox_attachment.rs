//! Which notice documents travel with which outbox mail (a digest carries every numbered
//! notice it announces). Keyed by the mail's Message-ID, which the sweep knows before the
//! outbox row exists.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox_attachment")
                    .col(big_pk_auto("id"))
                    .col(string("message_id"))
                    .col(big_integer("record_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("outbox_attachment", "record_id")
                            .to("supervision_record", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_attachment_message")
                    .table("outbox_attachment")
                    .col("message_id")
                    .col("record_id")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("outbox_attachment").to_owned())
            .await
    }
}
