//! The ledger (督办台账): every task of a plan, an agency or all plans as one spreadsheet row
//! (code, title, the agencies by role, original and current deadline, status, progress,
//! light, the latest progress report, supervision records by level, the last notice number),
//! written as .xlsx ([`write::XlsxLedger`]) or UTF-8 CSV with a BOM ([`write::CsvLedger`]).
//!
//! Bounded memory whatever the number of tasks: tasks are read in keyset batches of
//! [`BATCH`] (the task list's own order and filter), each batch's assignments, reports and
//! records in four set-based queries ([`load`]), and every row goes to the writer at once —
//! the workbook in rust_xlsxwriter's constant-memory mode, the CSV straight to its file.

mod load;
pub mod write;

pub use load::LedgerRow;
pub use write::{CsvLedger, LedgerFormat, LedgerSink, XlsxLedger};

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use super::tasks::{self, TaskCursor, TaskFilter, TaskOrder};
use crate::auth::Viewer;
use crate::domain::UserRole;
use crate::error::{AppError, AppResult};

/// Tasks per batch: large enough that the per-batch queries are few, small enough that a
/// batch and its rows are a few megabytes at most.
pub const BATCH: u64 = 1000;

/// What a viewer asked for, as the task-list filter they may have.
///
/// The office and leaders may export any plan or agency (or everything); agency staff only
/// their own agency's tasks: without `agency` the ledger is theirs, with another agency's
/// id it is refused.
///
/// # Errors
/// FORBIDDEN when agency staff ask for another agency's ledger (or have no agency).
pub fn scope(
    viewer: &Viewer,
    plan_id: Option<i64>,
    agency_id: Option<i64>,
) -> AppResult<TaskFilter> {
    let agency_id = match viewer.role {
        UserRole::Office | UserRole::Leader => agency_id,
        UserRole::Agency => {
            let own = viewer.require_agency_staff()?;
            if agency_id.is_some_and(|a| a != own) {
                return Err(AppError::forbidden(
                    "agency staff may export only their own agency's ledger",
                ));
            }
            Some(own)
        }
    };
    Ok(TaskFilter {
        plan_id,
        agency_id,
        ..TaskFilter::default()
    })
}

/// Writes the ledger of `filter` on `today` to `sink`, batch by batch; returns the number of
/// task rows written. The caller authorises (see [`scope`]) and finishes the sink.
///
/// # Errors
/// NOT_FOUND for an unknown plan or agency; INTERNAL on database or write errors.
pub async fn export(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
    today: NaiveDate,
    sink: &mut dyn LedgerSink,
) -> AppResult<u64> {
    if let Some(p) = filter.plan_id {
        super::plans::get(db, p).await?;
    }
    if let Some(a) = filter.agency_id {
        super::agencies::get(db, a).await?;
    }
    let mut plans = load::PlanTitles::default();
    let mut after: Option<TaskCursor> = None;
    let mut written = 0u64;
    loop {
        let batch = tasks::batch(db, filter, BATCH, after.as_ref(), today).await?;
        let Some(last) = batch.last() else {
            return Ok(written);
        };
        after = Some(TaskOrder::default().cursor(last, today));
        for row in load::rows(db, &batch, &mut plans, today).await? {
            sink.row(&row)?;
            written += 1;
        }
        if (batch.len() as u64) < BATCH {
            return Ok(written);
        }
    }
}
