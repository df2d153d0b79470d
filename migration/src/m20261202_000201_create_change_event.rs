//! Live updates (subscriptions): every change a subscriber may hear of is written here in the
//! transaction that makes it, so that a rolled-back change is never announced and a committed
//! one is never lost; each replica reads the table by id and fans the rows out to its own
//! WebSocket subscribers. Rows are pruned once every replica has had time to read them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("change_event")
                    .col(big_pk_auto("id"))
                    .col(string("kind"))
                    .col(big_integer("task_id"))
                    .col(big_integer("plan_id"))
                    .col(big_integer_null("record_id"))
                    .col(string("changes"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("change_event").to_owned())
            .await
    }
}
