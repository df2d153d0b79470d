//! A person who logs in.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// office / agency / leader
    pub role: String,
    pub agency_id: Option<i64>,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
    /// Moves on with every password change; a token names the generation it was issued in.
    pub token_generation: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
