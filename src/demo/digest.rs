//! A fingerprint of the demo world: what the simulation wrote, in id order, hashed. Two runs
//! of `duban seed` on fresh databases of the same kind give the same digest.

use entity::{
    evaluation_result, extension_request, outbox_message, progress_report, supervision_record, task,
};
use sea_orm::{EntityTrait, QueryOrder};
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::error::AppResult;

/// SHA-256 (hex) of the tasks' state, the progress reports, extension requests,
/// supervision records, outbox mails and evaluation results. Leaves out what is random by
/// design (password hashes, the JWT secret) and the wall-clock delivery times.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn digest(db: &Db) -> AppResult<String> {
    let c = &db.conn;
    let mut h = Sha256::new();
    let mut line = |s: String| {
        h.update(s.as_bytes());
        h.update(b"\n");
    };
    for t in task::Entity::find()
        .order_by_asc(task::Column::Id)
        .all(c)
        .await?
    {
        line(format!(
            "task {} {} {} {:?} {:?} {} {:?} {:?} {}",
            t.id,
            t.status,
            t.progress,
            t.deadline,
            t.original_deadline,
            t.ongoing,
            t.report_cadence,
            t.completed_at,
            t.version
        ));
    }
    for r in progress_report::Entity::find()
        .order_by_asc(progress_report::Column::Id)
        .all(c)
        .await?
    {
        line(format!(
            "report {} {} {} {} {} {}",
            r.task_id, r.agency_id, r.period, r.percent, r.submitted_at, r.text
        ));
    }
    for e in extension_request::Entity::find()
        .order_by_asc(extension_request::Column::Id)
        .all(c)
        .await?
    {
        line(format!(
            "extension {} {} {} {} {:?}",
            e.task_id, e.status, e.requested_deadline, e.created_at, e.decided_at
        ));
    }
    for s in supervision_record::Entity::find()
        .order_by_asc(supervision_record::Column::Id)
        .all(c)
        .await?
    {
        line(format!(
            "supervision {} {} {} {:?} {} {}",
            s.task_id, s.level, s.dedupe_key, s.doc_number, s.fired_at, s.message_ids
        ));
    }
    for m in outbox_message::Entity::find()
        .order_by_asc(outbox_message::Column::Id)
        .all(c)
        .await?
    {
        line(format!(
            "mail {} {} {} {} {}",
            m.dedupe_key, m.recipient, m.subject, m.state, m.message_id
        ));
    }
    for r in evaluation_result::Entity::find()
        .order_by_asc(evaluation_result::Column::Id)
        .all(c)
        .await?
    {
        line(format!(
            "result {} {} {:.4} {} {}",
            r.evaluation_id, r.agency_id, r.score, r.grade, r.rank
        ));
    }
    Ok(hex::encode(h.finalize()))
}
