//! Escalation policy (督办规则) override: global, per plan or per task.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "escalation_policy")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// global / plan / task
    pub scope: String,
    /// The plan or task id; 0 for the global policy.
    pub scope_id: i64,
    /// `{"rungs":[…]}` as `duban::notify::Policy` reads it.
    pub policy: String,
    pub updated_by: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
