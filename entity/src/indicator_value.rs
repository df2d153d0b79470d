//! An indicator value supplied by a data-source agency (数据来源单位) for one subject.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "indicator_value")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub year: i32,
    pub scheme_id: i64,
    pub criterion_key: String,
    /// The subject the value is about.
    pub agency_id: i64,
    pub value: f64,
    /// The subject's own target, overriding the scheme's.
    pub target: Option<f64>,
    pub note: Option<String>,
    pub entered_by: i64,
    /// The agency that supplied it.
    pub source_agency_id: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
