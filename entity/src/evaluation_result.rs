//! Result of one subject in one evaluation revision (考核结果); frozen once published.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "evaluation_result")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub evaluation_id: i64,
    /// The subject agency.
    pub agency_id: i64,
    pub subject_name: String,
    pub score: f64,
    pub grade: String,
    pub rank: i32,
    pub vetoed: bool,
    /// The full `SubjectResult` (breakdown, evidence, adjustments) as JSON.
    pub breakdown: Json,
    /// Snapshot of the agency leaders at publication: JSON array of `{name, email, role}`.
    pub leaders: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
