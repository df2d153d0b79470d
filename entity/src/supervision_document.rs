//! The Word document (.docx) of a numbered notice (督办函 / 通报), exactly as it was mailed.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "supervision_document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The supervision record it belongs to (one document per record).
    #[sea_orm(unique)]
    pub record_id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    /// Hex SHA-256 of `content`.
    pub sha256: String,
    #[sea_orm(column_type = "Blob")]
    #[serde(skip)]
    pub content: Vec<u8>,
    /// JSON array of the ids of the agencies the notice is addressed to (主送单位).
    pub addressee_agency_ids: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
