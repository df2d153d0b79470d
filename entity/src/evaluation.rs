//! One revision of the annual evaluation (年度评估) of a year under a scheme.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "evaluation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub year: i32,
    pub scheme_id: i64,
    /// draft / computed / published
    pub status: String,
    /// 1 for the first; a correction of a published revision creates the next one.
    pub revision: i32,
    /// The published revision this one corrects.
    pub supersedes_id: Option<i64>,
    /// Agency ids evaluated (JSON array); empty = the default subjects.
    pub subjects: Json,
    pub computed_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub published_by: Option<i64>,
    pub published_by_name: Option<String>,
    /// Why this revision corrects the one it supersedes.
    pub correction_reason: Option<String>,
    pub corrected_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
