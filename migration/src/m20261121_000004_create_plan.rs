use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("plan")
                    .col(big_pk_auto("id"))
                    .col(string("title"))
                    .col(string_null("document_number"))
                    .col(json_binary("issuers"))
                    .col(date_null("issue_date"))
                    .col(string_null("region"))
                    .col(string("status"))
                    .col(date_null("default_deadline"))
                    .col(string_null("default_deadline_precision"))
                    .col(string_null("fingerprint").unique_key())
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("plan", "created_by")
                            .to("user", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plan_status")
                    .table("plan")
                    .col("status")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("plan").to_owned())
            .await
    }
}
