use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("evaluation_result")
                    .col(big_pk_auto("id"))
                    .col(big_integer("evaluation_id"))
                    .col(big_integer("agency_id"))
                    .col(string("subject_name"))
                    .col(double("score"))
                    .col(string("grade"))
                    .col(integer("rank"))
                    .col(boolean("vetoed"))
                    .col(json_binary("breakdown"))
                    .col(json_binary("leaders"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("evaluation_result", "evaluation_id")
                            .to("evaluation", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("evaluation_result", "agency_id")
                            .to("agency", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_evaluation_result_subject")
                    .table("evaluation_result")
                    .col("evaluation_id")
                    .col("agency_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_evaluation_result_agency")
                    .table("evaluation_result")
                    .col("agency_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("evaluation_result").to_owned())
            .await
    }
}
