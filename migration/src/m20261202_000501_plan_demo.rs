//! A plan loaded as part of the demo world (`duban seed`, the first `duban serve`): its tasks
//! carry a simulated year of activity, so an office can tell it from its own plans.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("plan")
                    .add_column(boolean("demo").default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("plan").drop_column("demo").to_owned())
            .await
    }
}
