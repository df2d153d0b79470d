//! A notice document that goes with an outbox mail (by the mail's Message-ID).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "outbox_attachment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `outbox_message.message_id`
    pub message_id: String,
    /// The supervision record whose document is attached.
    pub record_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
