//! Implementation plan (实施方案 / 工作方案).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "plan")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    /// 文号, e.g. 济政字〔2023〕39号
    pub document_number: Option<String>,
    /// Issuing agencies, JSON array of names.
    pub issuers: Json,
    pub issue_date: Option<Date>,
    pub region: Option<String>,
    /// draft / active / archived
    pub status: String,
    pub default_deadline: Option<Date>,
    pub default_deadline_precision: Option<String>,
    /// Hash of the normalised source text, to detect a document imported twice.
    #[sea_orm(unique)]
    pub fingerprint: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    /// Part of the demo world (`duban seed`): its activity is simulated, not real.
    pub demo: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::by_position!(Model {
    id,
    title,
    document_number,
    issuers,
    issue_date,
    region,
    status,
    default_deadline,
    default_deadline_precision,
    fingerprint,
    created_by,
    created_at,
    updated_at,
    version,
    demo,
});
