use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("extension_request")
                    .col(big_pk_auto("id"))
                    .col(big_integer("task_id"))
                    .col(big_integer("agency_id"))
                    .col(big_integer("requested_by"))
                    .col(date("requested_deadline"))
                    .col(string("requested_precision"))
                    .col(text("reason"))
                    .col(string("status"))
                    .col(big_integer_null("decided_by"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(text_null("decision_note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("extension_request", "task_id")
                            .to("task", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("extension_request", "agency_id")
                            .to("agency", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("extension_request", "requested_by")
                            .to("user", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_extension_task_status")
                    .table("extension_request")
                    .col("task_id")
                    .col("status")
                    .to_owned(),
            )
            .await?;
        // At most one pending request per task, even with concurrent requesters.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_extension_request_pending ON extension_request (task_id) WHERE status = 'pending'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("extension_request").to_owned())
            .await
    }
}
