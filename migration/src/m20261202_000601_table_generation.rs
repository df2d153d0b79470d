//! A generation counter per cached table, bumped by the database itself on every write.
//!
//! Each API replica keeps the agency registry in memory (a few hundred rows that every page of
//! tasks names). A replica must learn that another replica, `duban import`, or an operator at
//! `psql` changed it. Triggers make that independent of who writes: any INSERT, UPDATE or
//! DELETE on `agency` adds one to `table_generation('agency')` in the writer's transaction, so
//! the new generation becomes visible exactly when the change does (and never for a
//! rolled-back one). A replica compares the generation it loaded with the stored one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose rows replicas cache.
const CACHED: &[&str] = &["agency"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE table_generation (name VARCHAR(64) NOT NULL PRIMARY KEY, \
             generation BIGINT NOT NULL)",
        )
        .await?;
        for t in CACHED {
            db.execute_unprepared(&format!(
                "INSERT INTO table_generation (name, generation) VALUES ('{t}', 1)"
            ))
            .await?;
            match manager.get_database_backend() {
                // One bump per statement, not per row: an import that adds fifty agencies
                // in one statement touches the counter once.
                DbBackend::Postgres => {
                    db.execute_unprepared(&format!(
                        "CREATE FUNCTION bump_{t}_generation() RETURNS trigger LANGUAGE plpgsql AS $$ \
                         BEGIN UPDATE table_generation SET generation = generation + 1 \
                         WHERE name = '{t}'; RETURN NULL; END $$"
                    ))
                    .await?;
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {t}_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE \
                         ON {t} FOR EACH STATEMENT EXECUTE FUNCTION bump_{t}_generation()"
                    ))
                    .await?;
                }
                // SQLite has row triggers only.
                _ => {
                    for op in ["INSERT", "UPDATE", "DELETE"] {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER {t}_generation_{op} AFTER {op} ON {t} FOR EACH ROW \
                             BEGIN UPDATE table_generation SET generation = generation + 1 \
                             WHERE name = '{t}'; END",
                            op = op.to_lowercase()
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for t in CACHED {
            match manager.get_database_backend() {
                DbBackend::Postgres => {
                    db.execute_unprepared(&format!("DROP TRIGGER {t}_generation ON {t}"))
                        .await?;
                    db.execute_unprepared(&format!("DROP FUNCTION bump_{t}_generation()"))
                        .await?;
                }
                _ => {
                    for op in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!("DROP TRIGGER {t}_generation_{op}"))
                            .await?;
                    }
                }
            }
        }
        db.execute_unprepared("DROP TABLE table_generation").await?;
        Ok(())
    }
}
