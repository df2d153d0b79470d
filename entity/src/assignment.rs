//! Assignment of a task to an agency in a role (牵头 lead / 参与 participant / 落实 implementer).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "assignment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_id: i64,
    pub agency_id: i64,
    /// lead / participant / implementer
    pub role: String,
    pub note: Option<String>,
    pub sub_deadline: Option<Date>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::by_position!(Model {
    id,
    task_id,
    agency_id,
    role,
    note,
    sub_deadline,
    created_at,
});
