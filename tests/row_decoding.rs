//! Rows decoded by position (`entity::by_position`) equal the same rows decoded by sea-orm's
//! by-name decoder, for every column type and with NULL and non-NULL values, on SQLite and
//! PostgreSQL.

mod common;

use common::*;
use entity::by_position::{ByPosition, FromRowByPosition};
use entity::{assignment, plan, task};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

#[tokio::test]
async fn positional_and_named_decoding_agree() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    // Fill the nullable columns of one task, leave them NULL on the other.
    app.db()
        .execute_unprepared(&format!(
            "UPDATE task SET parent_id = {t2}, deadline_precision = 'month', \
             original_deadline = '2025-03-31', report_cadence = 'quarterly', \
             groups = '[\"各区县\"]', completed_at = '2025-05-01 08:00:00+00:00', \
             reopened_at = '2025-05-02 09:30:00+00:00', body = '正文，全角。' WHERE id = {t1}",
            t1 = row(&w.t1),
            t2 = row(&w.t2)
        ))
        .await
        .unwrap();
    app.db()
        .execute_unprepared(&format!(
            "UPDATE task SET deadline = NULL, deadline_precision = NULL WHERE id = {}",
            row(&w.t2)
        ))
        .await
        .unwrap();
    app.db()
        .execute_unprepared("UPDATE assignment SET note = '负责统筹', sub_deadline = '2025-09-30' WHERE id = (SELECT MIN(id) FROM assignment)")
        .await
        .unwrap();

    let db = app.db();
    let tasks = both_ways::<task::Entity>(db, task::Column::Id).await;
    assert!(
        tasks
            .iter()
            .any(|t| t.completed_at.is_some() && t.parent_id.is_some())
    );
    assert!(tasks.iter().any(|t| t.deadline.is_none()));
    let assignments = both_ways::<assignment::Entity>(db, assignment::Column::Id).await;
    assert!(assignments.iter().any(|a| a.note.is_some()));
    assert!(assignments.iter().any(|a| a.note.is_none()));
    both_ways::<plan::Entity>(db, plan::Column::Id).await;

    // The joined task-and-plan read of `task(id:)`.
    let (t, p) = duban::services::tasks::get_with_plan(db, row(&w.t1))
        .await
        .unwrap();
    let expected = task::Entity::find_by_id(row(&w.t1))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t, expected);
    assert_eq!(p.map(|p| p.id), Some(expected.plan_id));
}

/// Every row of `E` decoded by name and by position, compared; returns the rows.
async fn both_ways<E: EntityTrait>(
    db: &sea_orm::DatabaseConnection,
    order: E::Column,
) -> Vec<E::Model>
where
    E::Model: FromRowByPosition + PartialEq + std::fmt::Debug,
{
    let named = E::find().order_by_asc(order).all(db).await.unwrap();
    let positional: Vec<E::Model> = E::find()
        .order_by_asc(order)
        .into_model::<ByPosition<E::Model>>()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert!(!named.is_empty());
    assert_eq!(named, positional);
    named
}
