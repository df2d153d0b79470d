use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("manual_adjustment")
                    .col(big_pk_auto("id"))
                    .col(integer("year"))
                    .col(big_integer("scheme_id"))
                    .col(big_integer("agency_id"))
                    .col(double("amount"))
                    .col(text("reason"))
                    .col(big_integer("entered_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("manual_adjustment", "scheme_id")
                            .to("evaluation_scheme", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("manual_adjustment", "agency_id")
                            .to("agency", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("manual_adjustment", "entered_by")
                            .to("user", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_manual_adjustment_subject")
                    .table("manual_adjustment")
                    .col("year")
                    .col("scheme_id")
                    .col("agency_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("manual_adjustment").to_owned())
            .await
    }
}
