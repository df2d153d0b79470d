//! Notice documents on the database side: the sweep renders each numbered notice once
//! ([`for_rung`] → [`super::notice_doc::render_docx`]) and stores the bytes with its
//! supervision record (table `supervision_document`), the outbox attaches them to the
//! digests that announce them ([`attachments_for`]), and a download returns exactly those
//! bytes ([`for_viewer`]).
//!
//! Stored in the database, not in object storage: object storage (`src/storage`) was not on
//! main when this was written; a notice is a few kilobytes, and keeping it in the same
//! transaction as its record means there is never a record without its document.

use chrono::NaiveDate;
use entity::{outbox_attachment, supervision_document};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::mailer::MailAttachment;
use super::notice_doc::{DOCX_MEDIA_TYPE, NoticeDocument, NoticeTask};
use super::sweep::{OFFICE_NAME, PlannedRung};
use super::templates::Role;
use crate::auth::Viewer;
use crate::error::{AppError, AppResult};

/// Working days an agency is given to answer a notice in writing.
pub const REPLY_WORKING_DAYS: i32 = 5;

/// The notice of a numbered rung and the ids of the agencies it is addressed to: the
/// lead agencies told of it, or, when the task has no lead on file, every agency told.
#[must_use]
pub fn for_rung(
    p: &PlannedRung,
    number: &str,
    today: NaiveDate,
    reply_by: NaiveDate,
) -> (NoticeDocument, Vec<i64>) {
    let agency_side: Vec<_> = p
        .recipients
        .iter()
        .filter(|r| r.agency_id.is_some())
        .collect();
    let leads: Vec<_> = agency_side
        .iter()
        .filter(|r| r.role == Role::Lead)
        .copied()
        .collect();
    let chosen = if leads.is_empty() { agency_side } else { leads };
    let mut ids: Vec<i64> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for r in chosen {
        if let Some(a) = r.agency_id
            && !ids.contains(&a)
        {
            ids.push(a);
            names.push(r.agency_name.clone());
        }
    }
    let doc = NoticeDocument {
        level: p.rung.level,
        number: number.to_owned(),
        addressees: names,
        tasks: vec![NoticeTask {
            plan_title: p.item.plan_title.clone(),
            code: p.item.task_code.clone(),
            title: p.item.task_title.clone(),
            deadline: Some(p.date),
            days_overdue: (today - p.date).num_days(),
        }],
        reply_by,
        issuer: OFFICE_NAME.to_owned(),
        date: today,
    };
    (doc, ids)
}

/// The documents that go with the mail `message_id`, in record order.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn attachments_for(
    db: &impl ConnectionTrait,
    message_id: &str,
) -> AppResult<Vec<MailAttachment>> {
    let ids: Vec<i64> = outbox_attachment::Entity::find()
        .filter(outbox_attachment::Column::MessageId.eq(message_id))
        .order_by_asc(outbox_attachment::Column::RecordId)
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.record_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(supervision_document::Entity::find()
        .filter(supervision_document::Column::RecordId.is_in(ids))
        .order_by_asc(supervision_document::Column::RecordId)
        .all(db)
        .await?
        .into_iter()
        .map(|d| MailAttachment {
            file_name: d.file_name,
            media_type: DOCX_MEDIA_TYPE.to_owned(),
            content: d.content,
        })
        .collect())
}

/// The document of supervision record `record_id`, if `viewer` may read it: the office and
/// leaders any, agency staff those addressed to their agency.
///
/// # Errors
/// NOT_FOUND when the record has no document (not a numbered notice, or none such);
/// FORBIDDEN for agency staff of an agency it is not addressed to; INTERNAL on database
/// errors.
pub async fn for_viewer(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    record_id: i64,
) -> AppResult<supervision_document::Model> {
    let doc = supervision_document::Entity::find()
        .filter(supervision_document::Column::RecordId.eq(record_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("notice document of supervision record", record_id))?;
    if viewer.can_read_all() {
        return Ok(doc);
    }
    let addressed: Vec<i64> =
        serde_json::from_value(doc.addressee_agency_ids.clone()).unwrap_or_default();
    match viewer.agency_id {
        Some(a) if viewer.require_agency_staff().is_ok() && addressed.contains(&a) => Ok(doc),
        _ => Err(AppError::forbidden(
            "this notice is not addressed to your agency",
        )),
    }
}
