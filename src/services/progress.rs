//! Progress reports (进展情况).

use chrono::{DateTime, Utc};
use entity::{progress_report, task};
use sea_orm::{ConnectionTrait, Set};

use super::record;
use super::tasks;
use crate::auth::Actor;
use crate::auth::Viewer;
use crate::domain::AuditAction;
use crate::domain::text;
use crate::error::{AppError, AppResult};

pub struct ReportInput {
    pub task_id: i64,
    pub period: String,
    pub text: String,
    pub percent: i32,
}

/// Accepts `2025`, `2025-07`, `2025-Q3` or `2025-H2`.
///
/// # Errors
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL on
/// database errors.
pub fn check_period(p: &str) -> AppResult<String> {
    let p = p.trim();
    let bad = || {
        AppError::invalid(format!(
            "malformed period {p:?}: expected YYYY, YYYY-MM, YYYY-Qn or YYYY-Hn"
        ))
    };
    let (year, rest) = match p.split_once('-') {
        Some((y, r)) => (y, Some(r)),
        None => (p, None),
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let ok = match rest {
        None => true,
        Some(r) if r.len() == 2 && r.starts_with('Q') => matches!(&r[1..], "1" | "2" | "3" | "4"),
        Some(r) if r.len() == 2 && r.starts_with('H') => matches!(&r[1..], "1" | "2"),
        // Digits only: `"+1".parse::<u32>()` succeeds, and `2025-+1` is no period.
        Some(r) => {
            r.len() == 2
                && r.bytes().all(|b| b.is_ascii_digit())
                && r.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
        }
    };
    if ok { Ok(p.to_owned()) } else { Err(bad()) }
}

/// Agency staff report on a task their agency is assigned to, in their agency's name.
///
/// # Errors
/// FORBIDDEN when the viewer may not act on it; NOT_FOUND for a missing task (or a record it
/// names); INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL
/// on database errors.
pub async fn submit(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    input: ReportInput,
    now: DateTime<Utc>,
) -> AppResult<progress_report::Model> {
    let task = tasks::get(db, input.task_id).await?;
    let agency_id = tasks::require_assigned_staff(db, viewer, task.id, None).await?;
    if !(0..=100).contains(&input.percent) {
        return Err(AppError::invalid("percent must be between 0 and 100"));
    }
    let period = check_period(&input.period)?;
    let text = text::required("text", &input.text, text::LONG)?;
    let (task, after) = tasks::note_progress(db, task.id, input.percent, now).await?;
    let row = progress_report::ActiveModel {
        task_id: Set(task.id),
        agency_id: Set(agency_id),
        author_id: Set(viewer.user_id),
        period: Set(period),
        text: Set(text),
        percent: Set(input.percent),
        submitted_at: Set(now),
        ..Default::default()
    };
    let model = record::insert(
        db,
        Actor::User(viewer),
        AuditAction::ProgressReportCreate,
        row,
        now,
    )
    .await?;
    record::audited_update::<task::Entity>(
        db,
        Actor::User(viewer),
        AuditAction::TaskProgress,
        &task,
        &after,
        now,
    )
    .await?;
    Ok(model)
}

/// Moves the source agency's progress reports to the target (part of an agency merge).
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn move_agency(
    db: &impl ConnectionTrait,
    source_id: i64,
    target_id: i64,
) -> AppResult<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    progress_report::Entity::update_many()
        .col_expr(
            progress_report::Column::AgencyId,
            sea_orm::sea_query::Expr::value(target_id),
        )
        .filter(progress_report::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn periods() {
        for ok in ["2025", "2025-07", "2025-Q3", "2025-H2", "2025-12"] {
            assert!(super::check_period(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "25",
            "2025-13",
            "2025-Q5",
            "2025-H3",
            "2025-7",
            "2025-Q",
            "2025-+1",
            "2025-Q+",
            "+025",
            "2025-00",
            "二〇二五",
        ] {
            assert!(super::check_period(bad).is_err(), "{bad}");
        }
    }
}
