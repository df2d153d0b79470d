//! Evidence attachment (佐证材料) on a progress report, a completion request or an extension
//! request. Never modified once written; the bytes live in the object store under
//! `storage_key` (content-addressed: several rows may share one object).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "attachment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The task the item belongs to (whose readers may download the file).
    pub task_id: i64,
    /// progress_report / completion_request / extension_request
    pub owner_kind: String,
    /// The report's or request's id (a completion request is its `task.request_completion`
    /// audit event).
    pub owner_id: i64,
    /// The file name the uploader gave.
    pub file_name: String,
    /// Sniffed from the content, not the client's claim.
    pub media_type: String,
    pub size: i64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    pub storage_key: String,
    pub uploaded_by: i64,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
