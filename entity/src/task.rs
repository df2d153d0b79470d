//! Task (任务): one node of a plan's outline.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "task")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: i64,
    pub parent_id: Option<i64>,
    /// Order among all tasks of the plan (document order).
    pub position: i32,
    /// Outline code such as 三(二)1
    pub code: String,
    /// heading / task / target / policy
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Current deadline (after approved extensions).
    pub deadline: Option<Date>,
    /// year / month / day
    pub deadline_precision: Option<String>,
    /// The deadline before the first approved extension; evaluations judge against it (按原定时间考核).
    pub original_deadline: Option<Date>,
    pub ongoing: bool,
    /// monthly / quarterly / half_yearly / yearly
    pub report_cadence: Option<String>,
    /// Generic groups named by the clause (各有关部门 …), JSON array of strings.
    pub groups: Json,
    pub lead_undecided: bool,
    /// not_started / in_progress / completion_requested / completed / returned / cancelled
    pub status: String,
    pub progress: i32,
    /// Optimistic lock: every write must name the version it read.
    pub version: i32,
    pub completed_at: Option<DateTimeUtc>,
    pub reopened_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Lets a task be read with its plan in one statement.
    #[sea_orm(
        belongs_to = "super::plan::Entity",
        from = "Column::PlanId",
        to = "super::plan::Column::Id"
    )]
    Plan,
}

impl Related<super::plan::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Plan.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

crate::by_position!(Model {
    id,
    plan_id,
    parent_id,
    position,
    code,
    kind,
    title,
    body,
    deadline,
    deadline_precision,
    original_deadline,
    ongoing,
    report_cadence,
    groups,
    lead_undecided,
    status,
    progress,
    version,
    completed_at,
    reopened_at,
    created_at,
    updated_at,
});
