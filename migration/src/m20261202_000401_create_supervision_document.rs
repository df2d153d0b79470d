//! A numbered notice (督办函 / 通报 / 约谈通知) as the Word document the sweep mailed: kept
//! with its supervision record so that a download returns exactly the bytes that were sent.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("supervision_document")
                    .col(big_pk_auto("id"))
                    .col(big_integer("record_id"))
                    .col(string("file_name"))
                    .col(string("media_type"))
                    .col(big_integer("size"))
                    .col(string("sha256"))
                    .col(blob("content"))
                    .col(json_binary("addressee_agency_ids"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("supervision_document", "record_id")
                            .to("supervision_record", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_supervision_document_record")
                    .table("supervision_document")
                    .col("record_id")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("supervision_document").to_owned())
            .await
    }
}
