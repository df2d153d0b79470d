use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("indicator_value")
                    .col(big_pk_auto("id"))
                    .col(integer("year"))
                    .col(big_integer("scheme_id"))
                    .col(string("criterion_key"))
                    .col(big_integer("agency_id"))
                    .col(double("value"))
                    .col(double_null("target"))
                    .col(text_null("note"))
                    .col(big_integer("entered_by"))
                    .col(big_integer("source_agency_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("indicator_value", "scheme_id")
                            .to("evaluation_scheme", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("indicator_value", "agency_id")
                            .to("agency", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("indicator_value", "source_agency_id")
                            .to("agency", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("indicator_value", "entered_by")
                            .to("user", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_indicator_value_key")
                    .table("indicator_value")
                    .col("year")
                    .col("scheme_id")
                    .col("criterion_key")
                    .col("agency_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_indicator_value_source")
                    .table("indicator_value")
                    .col("source_agency_id")
                    .col("year")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("indicator_value").to_owned())
            .await
    }
}
