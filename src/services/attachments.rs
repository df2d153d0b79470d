//! Evidence attachments (佐证材料) on progress reports, completion requests and extension
//! requests.
//!
//! An upload happens in two steps so that nothing is half-stored:
//! 1. [`check`] checks every file (its size, its type sniffed from the content), then [`stage`]
//!    puts their bytes in the object store under their digest. A refused file (and every other
//!    file of its batch) stores nothing.
//! 2. [`attach`], inside the caller's write transaction, checks who may attach and the item's
//!    limits and writes the rows with their audit events.
//!
//! If the transaction fails after step 1, the object is referenced by no row: [`sweep_orphans`]
//! deletes such objects once they are older than an hour (never younger ones, which a
//! concurrent upload of the same bytes may be about to reference). Deleting an attachment
//! ([`delete`]) deletes its row; the object goes with the next sweep if no other row uses it.

use chrono::{DateTime, Utc};
use entity::{attachment, audit_event, extension_request, progress_report};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::audit::{self, Change};
use super::{record, tasks};
use crate::auth::{Actor, Viewer};
use crate::config::AttachmentLimits;
use crate::domain::evidence;
use crate::domain::{AssignmentRole, AttachmentOwner, AuditAction};
use crate::error::{AppError, AppResult};
use crate::storage::{Area, Storage, Stored};

/// The item an attachment belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Owner {
    pub kind: AttachmentOwner,
    pub id: i64,
}

/// A checked file whose bytes are in the store, not yet attached to anything.
#[derive(Clone, Debug)]
pub struct Staged {
    pub file_name: String,
    pub media_type: &'static str,
    pub stored: Stored,
}

/// How old an unreferenced object must be before [`sweep_orphans`] deletes it.
pub const ORPHAN_AGE: chrono::Duration = chrono::Duration::hours(1);

/// Refuses a batch of new files over the limits on their own (before anything is stored);
/// the item's existing files are counted again by [`attach`].
///
/// # Errors
/// LIMIT_EXCEEDED for a file, or the batch, over a limit.
pub fn check_batch(sizes: &[u64], limits: &AttachmentLimits) -> AppResult<()> {
    room(0, 0, sizes, limits)
}

fn room(
    existing_files: u64,
    existing_bytes: u64,
    sizes: &[u64],
    limits: &AttachmentLimits,
) -> AppResult<()> {
    if let Some(big) = sizes.iter().find(|s| **s > limits.file_bytes) {
        return Err(AppError::LimitExceeded(format!(
            "a file of {big} bytes is over the limit of {} bytes per file",
            limits.file_bytes
        )));
    }
    if existing_files + sizes.len() as u64 > limits.item_files {
        return Err(AppError::LimitExceeded(format!(
            "at most {} files per report or request ({existing_files} already attached)",
            limits.item_files
        )));
    }
    let total = existing_bytes + sizes.iter().sum::<u64>();
    if total > limits.item_bytes {
        return Err(AppError::LimitExceeded(format!(
            "the files of one report or request may hold at most {} bytes together \
             ({existing_bytes} already attached)",
            limits.item_bytes
        )));
    }
    Ok(())
}

/// A file that passed [`check`]: its kept name and sniffed type.
#[derive(Clone, Debug)]
pub struct Checked {
    pub file_name: String,
    pub media_type: &'static str,
}

/// Checks one uploaded file without storing anything: its name, its size and its type
/// (sniffed from the content).
///
/// # Errors
/// INVALID_INPUT for a file without a usable name; LIMIT_EXCEEDED for a file over the size
/// limit; UNSUPPORTED_MEDIA_TYPE for content of a type not accepted.
pub fn check(limits: &AttachmentLimits, raw_name: &str, content: &[u8]) -> AppResult<Checked> {
    let file_name = evidence::file_name(raw_name)?;
    check_batch(&[content.len() as u64], limits)?;
    let head = &content[..content.len().min(evidence::SNIFF_BYTES)];
    let media_type = evidence::sniff(head, &file_name)?;
    Ok(Checked {
        file_name,
        media_type,
    })
}

/// Puts the bytes of a [`check`]ed file in the store (once per content).
///
/// # Errors
/// INTERNAL when the store fails.
pub async fn stage(
    storage: &Storage,
    checked: Checked,
    content: bytes::Bytes,
) -> AppResult<Staged> {
    let stored = storage.put(Area::Evidence, content).await?;
    Ok(Staged {
        file_name: checked.file_name,
        media_type: checked.media_type,
        stored,
    })
}

/// The task of `owner`, if `viewer` may attach evidence to it: staff of the agency that wrote
/// the report or the extension request, or of a lead agency for a completion request.
///
/// # Errors
/// NOT_FOUND for a missing item; FORBIDDEN for anyone else.
pub async fn authorize_attach(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    owner: Owner,
) -> AppResult<i64> {
    let agency = viewer.require_agency_staff()?;
    let not_yours = || AppError::forbidden("only the agency that wrote it may add evidence to it");
    match owner.kind {
        AttachmentOwner::ProgressReport => {
            let r = progress_report::Entity::find_by_id(owner.id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found("progress report", owner.id))?;
            if r.agency_id != agency {
                return Err(not_yours());
            }
            Ok(r.task_id)
        }
        AttachmentOwner::ExtensionRequest => {
            let r = extension_request::Entity::find_by_id(owner.id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found("extension request", owner.id))?;
            if r.agency_id != agency {
                return Err(not_yours());
            }
            Ok(r.task_id)
        }
        AttachmentOwner::CompletionRequest => {
            let e = audit_event::Entity::find_by_id(owner.id)
                .filter(audit_event::Column::Entity.eq("task"))
                .filter(audit_event::Column::Action.eq(AuditAction::TaskRequestCompletion.as_str()))
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found("completion request", owner.id))?;
            tasks::require_assigned_staff(db, viewer, e.entity_id, Some(AssignmentRole::Lead))
                .await?;
            Ok(e.entity_id)
        }
    }
}

/// The latest completion request (申请办结) on a task: its audit event's id.
///
/// # Errors
/// NOT_FOUND when the task has none.
pub async fn latest_completion_request(db: &impl ConnectionTrait, task_id: i64) -> AppResult<i64> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Entity.eq("task"))
        .filter(audit_event::Column::EntityId.eq(task_id))
        .filter(audit_event::Column::Action.eq(AuditAction::TaskRequestCompletion.as_str()))
        .order_by_desc(audit_event::Column::Id)
        .one(db)
        .await?
        .map(|e| e.id)
        .ok_or_else(|| AppError::not_found("completion request of task", task_id))
}

/// Attaches staged files to `owner` and records each in the audit trail. Run it in the write
/// transaction that creates the item (or alone in one).
///
/// # Errors
/// Those of [`authorize_attach`]; LIMIT_EXCEEDED when the item would hold more files or bytes
/// than allowed; INTERNAL on database errors.
pub async fn attach(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    owner: Owner,
    staged: &[Staged],
    limits: &AttachmentLimits,
    now: DateTime<Utc>,
) -> AppResult<Vec<attachment::Model>> {
    let task_id = authorize_attach(db, viewer, owner).await?;
    let existing = of_owner(db, owner).await?;
    let sizes: Vec<u64> = staged.iter().map(|s| s.stored.size).collect();
    room(
        existing.len() as u64,
        existing.iter().map(|a| a.size.max(0) as u64).sum(),
        &sizes,
        limits,
    )?;
    let mut out = Vec::with_capacity(staged.len());
    for s in staged {
        let row = attachment::ActiveModel {
            task_id: Set(task_id),
            owner_kind: Set(owner.kind.as_str().to_owned()),
            owner_id: Set(owner.id),
            file_name: Set(s.file_name.clone()),
            media_type: Set(s.media_type.to_owned()),
            size: Set(i64::try_from(s.stored.size).unwrap_or(i64::MAX)),
            sha256: Set(s.stored.sha256.clone()),
            storage_key: Set(s.stored.key.clone()),
            uploaded_by: Set(viewer.user_id),
            uploaded_at: Set(now),
            ..Default::default()
        };
        let model = record::insert(
            db,
            Actor::User(viewer),
            AuditAction::AttachmentCreate,
            row,
            now,
        )
        .await?;
        out.push(model);
    }
    Ok(out)
}

/// The attachments of one item, in upload order.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn of_owner(
    db: &impl ConnectionTrait,
    owner: Owner,
) -> AppResult<Vec<attachment::Model>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::OwnerKind.eq(owner.kind.as_str()))
        .filter(attachment::Column::OwnerId.eq(owner.id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?)
}

/// Whether `viewer` may read the items of `task_id` (and so download their evidence): the
/// office, leaders, and staff of an agency assigned to the task.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn may_read_task(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    task_id: i64,
) -> AppResult<bool> {
    if viewer.can_read_all() {
        return Ok(true);
    }
    match viewer.agency_id {
        Some(agency) => tasks::is_assigned(db, task_id, agency, None).await,
        None => Ok(false),
    }
}

/// Attachment `id` for download by `viewer`.
///
/// # Errors
/// NOT_FOUND for a missing attachment; FORBIDDEN for a viewer who may not read its task.
pub async fn for_download(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
) -> AppResult<attachment::Model> {
    let a = record::find::<attachment::Entity>(db, id).await?;
    if !may_read_task(db, viewer, a.task_id).await? {
        return Err(AppError::forbidden(
            "only the office, leaders and the agencies assigned to the task may read its evidence",
        ));
    }
    Ok(a)
}

/// Deletes attachment `id` (office only), with the reason in the audit trail. Evidence is
/// never changed otherwise.
///
/// # Errors
/// FORBIDDEN for anyone but the office; INVALID_INPUT without a reason; NOT_FOUND for a
/// missing attachment.
pub async fn delete(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<attachment::Model> {
    viewer.require_office()?;
    let reason = crate::domain::text::required("reason", reason, crate::domain::text::LONG)?;
    let a = record::find::<attachment::Entity>(db, id).await?;
    attachment::Entity::delete_by_id(id).exec(db).await?;
    let entity = <attachment::Entity as record::Audited>::ENTITY;
    let mut change = Change::deleted(AuditAction::AttachmentDelete, entity, id, &a);
    change.after = Some(serde_json::json!({ "reason": reason }));
    audit::record(db, Actor::User(viewer), change, now).await?;
    Ok(a)
}

/// What a [`sweep_orphans`] pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OrphanSweep {
    /// Evidence objects in the store.
    pub objects: usize,
    /// Of those, deleted because no attachment referenced them.
    pub deleted: usize,
}

/// Deletes evidence objects that no attachment references and that were stored before
/// `now - ORPHAN_AGE` (wall-clock time: the store's modification times are).
///
/// # Errors
/// INTERNAL on database or store errors.
pub async fn sweep_orphans(
    db: &impl ConnectionTrait,
    storage: &Storage,
    now: DateTime<Utc>,
) -> AppResult<OrphanSweep> {
    let listed = storage.list(Area::Evidence).await?;
    let mut report = OrphanSweep {
        objects: listed.len(),
        deleted: 0,
    };
    let old: Vec<String> = listed
        .into_iter()
        .filter(|o| o.last_modified < now - ORPHAN_AGE)
        .map(|o| o.key)
        .collect();
    for chunk in old.chunks(500) {
        let referenced: std::collections::HashSet<String> = attachment::Entity::find()
            .select_only()
            .column(attachment::Column::StorageKey)
            .filter(attachment::Column::StorageKey.is_in(chunk.iter().cloned()))
            .distinct()
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for key in chunk.iter().filter(|k| !referenced.contains(*k)) {
            storage.delete(key).await?;
            report.deleted += 1;
        }
    }
    Ok(report)
}

/// How many attachments reference `key` (for tests and the README's checks).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn references(db: &impl ConnectionTrait, key: &str) -> AppResult<u64> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::StorageKey.eq(key))
        .count(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_file_and_item() {
        let l = AttachmentLimits {
            file_bytes: 10,
            item_bytes: 25,
            item_files: 3,
        };
        assert!(room(0, 0, &[10, 10], &l).is_ok());
        assert_eq!(room(0, 0, &[11], &l).unwrap_err().code(), "LIMIT_EXCEEDED");
        assert_eq!(
            room(2, 5, &[1, 1], &l).unwrap_err().code(),
            "LIMIT_EXCEEDED"
        );
        assert_eq!(room(1, 20, &[6], &l).unwrap_err().code(), "LIMIT_EXCEEDED");
        assert!(room(1, 20, &[5], &l).is_ok());
    }
}
