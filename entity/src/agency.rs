//! Agency (单位): a department, local government, company, bank or group that can be assigned tasks.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "agency")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Canonical full name, e.g. 济宁市生态环境局.
    #[sea_orm(unique)]
    pub name: String,
    pub short_name: Option<String>,
    /// Other spellings (e.g. 市发展改革委 for 市发展和改革委员会), a JSON array of strings.
    pub aliases: Json,
    /// province / city / county / other
    pub level: String,
    /// department / local_government / company / bank / group / other
    pub kind: String,
    pub parent_id: Option<i64>,
    /// false for names the importer met but nobody has confirmed yet.
    pub confirmed: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
