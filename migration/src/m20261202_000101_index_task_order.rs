//! Indexes for the task list's orders (`tasks(orderBy: …)`), each ending with the id tie-break.
//!
//! The deadline orders sort on `COALESCE(…, '9999-12-31')` (no deadline last) and the status
//! order on the status machine's rank; both are expression indexes, and a database uses one
//! only for the very same expression, so the SQL below is spelled exactly as
//! `services::tasks::order` writes it (a test reads SQLite's query plans to keep them equal).
//! Document order uses `idx_task_plan_position`. Ordering by light cannot be indexed: it
//! depends on the day.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: &[(&str, &str)] = &[
    (
        "idx_task_order_deadline",
        "(COALESCE(deadline, '9999-12-31'), id)",
    ),
    (
        "idx_task_order_original_deadline",
        "(COALESCE(original_deadline, deadline, '9999-12-31'), id)",
    ),
    (
        "idx_task_order_status",
        "((CASE status WHEN 'not_started' THEN 0 WHEN 'in_progress' THEN 1 \
         WHEN 'completion_requested' THEN 2 WHEN 'completed' THEN 3 WHEN 'returned' THEN 4 \
         WHEN 'cancelled' THEN 5 ELSE 6 END), id)",
    ),
    ("idx_task_order_progress", "(progress, id)"),
    ("idx_task_order_updated_at", "(updated_at, id)"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, cols) in INDEXES {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON task {cols}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
