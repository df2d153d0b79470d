//! Quantified target (目标/指标).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "target")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: i64,
    pub task_id: Option<i64>,
    pub indicator: String,
    pub value: f64,
    pub unit: Option<String>,
    /// at_least / at_most / equal
    pub direction: String,
    pub target_year: Option<i32>,
    pub baseline: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
