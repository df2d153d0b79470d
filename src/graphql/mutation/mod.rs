//! Write side, one file per area: [`accounts`], [`agencies`], [`plans`], [`tasks`] (with
//! assignments and targets) and [`workflow`]. Thin resolvers: authorise (inside the service), parse input, run the service in
//! one write transaction with its audit event, map the result. Dropping an uncommitted
//! transaction rolls it back, so an error never leaves a partial write.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::NaiveDate;

use super::request::{ClientAddr, CredentialBudget};
use super::types::*;
use super::{state, viewer};
use crate::domain::deadline::parse_day;
use crate::domain::{
    AgencyKind, AgencyLevel, AssignmentRole, ContactRole, Deadline, PlanStatus, ReportCadence,
    TargetDirection, TaskAction, TaskKind, UserRole,
};
use crate::error::{AppError, AppResult};
use crate::services::{self, parse_id};

mod accounts;
mod agencies;
mod plans;
mod tasks;
mod workflow;

pub use accounts::AccountMutation;
pub use agencies::AgencyMutation;
pub use plans::PlanMutation;
pub use tasks::TaskMutation;
pub use workflow::WorkflowMutation;

fn sub_deadline(s: Option<&str>) -> AppResult<Option<NaiveDate>> {
    s.map(parse_day).transpose()
}
