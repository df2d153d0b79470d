//! A rung of the escalation ladder fired for a task (提醒/催办/督办/通报/约谈): evidence for the evaluation.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "supervision_record")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_id: i64,
    /// reminder / urging / supervision / notice / summons
    pub level: String,
    /// e.g. `urging+1w`
    pub rung_key: String,
    pub rung_index: i32,
    pub occurrence: i32,
    /// e.g. `deadline:2025-06-30`, `report:2025-Q3`
    pub trigger_key: String,
    /// deadline / report / verification
    pub matter: String,
    pub due_on: Date,
    #[sea_orm(unique)]
    pub dedupe_key: String,
    /// 督办〔2025〕12号 for numbered levels
    pub doc_number: Option<String>,
    /// JSON array of `{email, name, audience}`
    pub recipients: Json,
    /// JSON array of the Message-IDs of the digests that carried this record
    pub message_ids: Json,
    /// The sweep that fired it (tells a sweep its own rows from a concurrent replica's).
    pub sweep_id: String,
    pub fired_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
