use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("evaluation")
                    .col(big_pk_auto("id"))
                    .col(integer("year"))
                    .col(big_integer("scheme_id"))
                    .col(string("status"))
                    .col(integer("revision"))
                    .col(big_integer_null("supersedes_id"))
                    .col(json_binary("subjects"))
                    .col(timestamp_with_time_zone_null("computed_at"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(big_integer_null("published_by"))
                    .col(string_null("published_by_name"))
                    .col(text_null("correction_reason"))
                    .col(big_integer_null("corrected_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("evaluation", "scheme_id")
                            .to("evaluation_scheme", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("evaluation", "supersedes_id")
                            .to("evaluation", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_evaluation_year_scheme_revision")
                    .table("evaluation")
                    .col("year")
                    .col("scheme_id")
                    .col("revision")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("evaluation").to_owned())
            .await
    }
}
