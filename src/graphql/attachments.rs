//! Evidence attachments (佐证材料): the `Attachment` and `CompletionRequest` types, their
//! loader, and the mutations `attachEvidence` and `deleteAttachment`. Uploads arrive as
//! GraphQL multipart requests; [`stage_uploads`] checks and stores their bytes before the
//! write transaction, which then only writes rows (see `services::attachments`).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, Object, Result, Upload};
use chrono::{DateTime, Utc};
use entity::{assignment, attachment, audit_event, user};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::loaders::{Cached, loader, loader_err, many, one};
use super::node::gid;
use super::{NESTED_LIST_COST, state, viewer};
use crate::domain::AttachmentOwner;
use crate::error::AppError;
use crate::services::attachments::{Owner, Staged};
use crate::services::{self, parse_id};

/// An evidence file (佐证材料) on a progress report, completion request or extension request.
/// Never modified; only the office may delete one.
pub struct Attachment(pub attachment::Model);

#[Object]
impl Attachment {
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("Attachment", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    /// The file name the uploader gave (without any directory).
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// Sniffed from the content when uploaded, not taken from the client.
    async fn media_type(&self) -> &str {
        &self.0.media_type
    }
    /// Bytes.
    async fn size(&self) -> i64 {
        self.0.size
    }
    /// SHA-256 of the content, lower-case hex.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// What it is attached to.
    async fn owner_kind(&self) -> AttachmentOwner {
        AttachmentOwner::parse(&self.0.owner_kind).unwrap_or(AttachmentOwner::ProgressReport)
    }
    async fn owner_id(&self) -> ID {
        super::node::gid_of_kind(&self.0.owner_kind, self.0.owner_id)
    }
    async fn task_id(&self) -> ID {
        gid("Task", self.0.task_id)
    }
    /// Display name of the uploader.
    async fn uploaded_by(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(one::<user::Entity>(ctx, self.0.uploaded_by)
            .await?
            .map(|u| u.display_name.clone()))
    }
    async fn uploaded_at(&self) -> DateTime<Utc> {
        self.0.uploaded_at
    }
    /// Where to download it: `GET` with the same `Authorization: Bearer` token, relative to
    /// the API's base URL.
    async fn download_path(&self) -> String {
        format!("/files/{}", gid("Attachment", self.0.id).0)
    }
}

/// A completion request (申请办结): a lead agency asked the office to close the task.
pub struct CompletionRequest(pub audit_event::Model);

#[Object]
impl CompletionRequest {
    /// The id to attach evidence to (`attachEvidence(kind: COMPLETION_REQUEST, id: …)`).
    /// Global object id (Relay): opaque and unique across all types; `node(id:)` fetches
    /// the object again.
    pub(crate) async fn id(&self) -> ID {
        gid("CompletionRequest", self.0.id)
    }
    /// The row id within its type, for clients that need a number (URLs, exports).
    async fn row_id(&self) -> i64 {
        self.0.id
    }
    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Username of the requester.
    async fn requested_by(&self) -> &str {
        &self.0.actor_name
    }
    async fn note(&self) -> Option<String> {
        self.0
            .after
            .as_ref()
            .and_then(|a| a.get("note"))
            .and_then(|n| n.as_str())
            .map(str::to_owned)
    }
    #[graphql(complexity = "NESTED_LIST_COST * child_complexity")]
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        attachments_of(
            ctx,
            self.0.entity_id,
            Owner {
                kind: AttachmentOwner::CompletionRequest,
                id: self.0.id,
            },
        )
        .await
    }
}

/// The completion requests of a task, oldest first (for `Task.completionRequests`); empty
/// for a viewer who may not read the task's items.
pub(crate) async fn completion_requests(
    ctx: &Context<'_>,
    task_id: i64,
) -> Result<Vec<CompletionRequest>> {
    if !may_read(ctx, task_id).await? {
        return Ok(vec![]);
    }
    // The loader reads only `task.request_completion` events (see `loaders::attach_with`).
    Ok(many::<audit_event::Entity>(ctx, task_id)
        .await?
        .into_iter()
        .map(CompletionRequest)
        .collect())
}

/// Whether the viewer may read the items of the task (as `Task.history` decides it).
async fn may_read(ctx: &Context<'_>, task_id: i64) -> Result<bool> {
    let v = viewer(ctx)?;
    if v.can_read_all() {
        return Ok(true);
    }
    Ok(many::<assignment::Entity>(ctx, task_id)
        .await?
        .iter()
        .any(|a| Some(a.agency_id) == v.agency_id))
}

/// The attachments of an item of task `task_id`, through the request's loader; empty for a
/// viewer who may not read the task's items.
pub(crate) async fn attachments_of(
    ctx: &Context<'_>,
    task_id: i64,
    owner: Owner,
) -> Result<Vec<Attachment>> {
    if !may_read(ctx, task_id).await? {
        return Ok(vec![]);
    }
    Ok(loader::<Cached<ByOwner>>(ctx)?
        .load_one(owner)
        .await
        .map_err(loader_err)?
        .unwrap_or_default()
        .into_iter()
        .map(Attachment)
        .collect())
}

/// Attachments grouped by their item, one statement per request for a whole page.
pub struct ByOwner {
    db: DatabaseConnection,
}

impl Loader<Owner> for ByOwner {
    type Value = Vec<attachment::Model>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[Owner],
    ) -> Result<HashMap<Owner, Vec<attachment::Model>>, Arc<AppError>> {
        let mut by_kind: HashMap<AttachmentOwner, Vec<i64>> = HashMap::new();
        for k in keys {
            by_kind.entry(k.kind).or_default().push(k.id);
        }
        let mut cond = Condition::any();
        for (kind, ids) in by_kind {
            cond = cond.add(
                Condition::all()
                    .add(attachment::Column::OwnerKind.eq(kind.as_str()))
                    .add(attachment::Column::OwnerId.is_in(ids)),
            );
        }
        let rows = attachment::Entity::find()
            .filter(cond)
            .order_by_asc(attachment::Column::Id)
            .all(&self.db)
            .await
            .map_err(|e| Arc::new(e.into()))?;
        let mut out: HashMap<Owner, Vec<attachment::Model>> = HashMap::new();
        for m in rows {
            let Ok(kind) = AttachmentOwner::parse(&m.owner_kind) else {
                continue;
            };
            out.entry(Owner {
                kind,
                id: m.owner_id,
            })
            .or_default()
            .push(m);
        }
        Ok(out)
    }
}

/// The request's attachment loader (see `loaders::attach`).
pub fn loader_for(db: &DatabaseConnection) -> Cached<ByOwner> {
    super::loaders::cached(ByOwner { db: db.clone() })
}

/// Like [`stage_uploads`], but only once the viewer is agency staff assigned to `task_id`
/// (in `role`, if given): the one-shot mutations store their files before their own checks
/// run, so without this anyone signed in could park objects in the store until the orphan
/// sweep. The mutation's service checks again inside its transaction.
///
/// # Errors
/// FORBIDDEN or NOT_FOUND before anything is stored; then as [`stage_uploads`].
pub(crate) async fn stage_for_task(
    ctx: &Context<'_>,
    task_id: i64,
    role: Option<crate::domain::AssignmentRole>,
    files: &[Upload],
) -> Result<Vec<Staged>> {
    if files.is_empty() {
        return Ok(vec![]);
    }
    let v = viewer(ctx)?;
    services::tasks::require_assigned_staff(&state(ctx).db.conn, v, task_id, role).await?;
    stage_uploads(ctx, files).await
}

/// Checks the uploaded files (size, type from their content) and puts their bytes in the
/// store, before the write transaction. The files are in memory already (the request body is
/// read whole, within `DUBAN_MAX_BODY_BYTES`). A refused file stores nothing; a batch over the
/// limits is refused before any file is stored.
///
/// # Errors
/// INVALID_INPUT for a missing upload; LIMIT_EXCEEDED; UNSUPPORTED_MEDIA_TYPE; INTERNAL.
pub(crate) async fn stage_uploads(ctx: &Context<'_>, files: &[Upload]) -> Result<Vec<Staged>> {
    let st = state(ctx);
    let limits = &st.config.limits.attachments;
    let mut values = Vec::with_capacity(files.len());
    for f in files {
        let value = f
            .value(ctx)
            .map_err(|_| AppError::invalid("an uploaded file is missing from the request"))?;
        let size = value.content.len() as u64;
        values.push((value, size));
    }
    let sizes: Vec<u64> = values.iter().map(|(_, s)| *s).collect();
    services::attachments::check_batch(&sizes, limits)?;
    // Check every file before storing any, so that one refused file in a batch leaves
    // nothing behind.
    let mut checked = Vec::with_capacity(values.len());
    for (v, _) in &values {
        checked.push(services::attachments::check(
            limits,
            &v.filename,
            &v.content,
        )?);
    }
    let mut staged = Vec::with_capacity(values.len());
    for ((v, _), c) in values.into_iter().zip(checked) {
        staged.push(services::attachments::stage(&st.config.storage, c, v.content).await?);
    }
    Ok(staged)
}

#[derive(Default)]
pub struct AttachmentMutation;

#[Object]
impl AttachmentMutation {
    /// Adds evidence files to a progress report, completion request or extension request
    /// (staff of the agency that wrote it; of a lead agency for a completion request). Send
    /// the files as a GraphQL multipart request. Each file's type is sniffed from its
    /// content: pdf, Word, Excel, PowerPoint, OpenDocument, images, plain text and CSV are
    /// accepted (UNSUPPORTED_MEDIA_TYPE otherwise); sizes are limited per file and per item
    /// (LIMIT_EXCEEDED). All files are attached or none.
    async fn attach_evidence(
        &self,
        ctx: &Context<'_>,
        kind: AttachmentOwner,
        id: ID,
        files: Vec<Upload>,
    ) -> Result<Vec<Attachment>> {
        let v = viewer(ctx)?;
        if files.is_empty() {
            return Err(AppError::invalid("give at least one file").into());
        }
        let owner = Owner {
            kind,
            id: parse_id(kind.as_str(), &id)?,
        };
        let st = state(ctx);
        // Refuse a viewer who may not before storing anything.
        services::attachments::authorize_attach(&st.db.conn, v, owner).await?;
        let staged = stage_uploads(ctx, &files).await?;
        let rows = mutate!(ctx, |tx, now| services::attachments::attach(
            tx,
            v,
            owner,
            &staged,
            &st.config.limits.attachments,
            now
        ))?;
        Ok(rows.into_iter().map(Attachment).collect())
    }

    /// Deletes an attachment (office only), with a reason kept in the audit trail.
    async fn delete_attachment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> Result<Attachment> {
        let v = viewer(ctx)?;
        let id = parse_id("attachment", &id)?;
        mutate!(ctx, |tx, now| services::attachments::delete(
            tx, v, id, &reason, now
        ))
        .map(Attachment)
    }
}

/// Attaches files staged by [`stage_uploads`] to a new item, in the transaction that
/// created it (the one-shot uploads of `submitProgressReport`, `requestCompletion`,
/// `requestExtension`).
///
/// # Errors
/// Those of `services::attachments::attach`.
pub(crate) async fn attach_staged(
    ctx: &Context<'_>,
    tx: &impl sea_orm::ConnectionTrait,
    owner: Owner,
    staged: &[Staged],
) -> Result<(), AppError> {
    if staged.is_empty() {
        return Ok(());
    }
    let st = state(ctx);
    services::attachments::attach(
        tx,
        viewer(ctx).map_err(|_| AppError::Unauthenticated)?,
        owner,
        staged,
        &st.config.limits.attachments,
        st.now(),
    )
    .await
    .map(|_| ())
}
