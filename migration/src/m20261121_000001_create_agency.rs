use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("agency")
                    .col(big_pk_auto("id"))
                    .col(string_uniq("name"))
                    .col(string_null("short_name"))
                    .col(json_binary("aliases"))
                    .col(string("level"))
                    .col(string("kind"))
                    .col(big_integer_null("parent_id"))
                    .col(boolean("confirmed"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("agency", "parent_id")
                            .to("agency", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_agency_parent")
                    .table("agency")
                    .col("parent_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("agency").to_owned())
            .await
    }
}
