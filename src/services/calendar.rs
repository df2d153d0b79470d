//! The holiday calendar the office maintains (节假日与调休): the official calendar shipped
//! with the release ([`HolidayCalendar::prc_official_entries`]) overlaid with the office's
//! edits, stored in `calendar_day`. Reminders, report periods and the evaluation read the
//! calendar in force through [`load_calendar`].

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use entity::calendar_day;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::audit::{self, Change};
use super::snapshot;
use crate::auth::Actor;
use crate::auth::Viewer;
use crate::domain::AuditAction;
use crate::domain::calendar::{CalendarEntry, DayKind, HolidayCalendar};
use crate::error::{AppError, AppResult};

/// The kind of an office edit of the calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum CalendarDayKind {
    /// 放假
    Holiday,
    /// 调休上班 (a weekend day worked)
    MakeupWorkday,
    /// An ordinary day: withdraws an official entry.
    Normal,
}

impl CalendarDayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CalendarDayKind::Holiday => "holiday",
            CalendarDayKind::MakeupWorkday => "makeup_workday",
            CalendarDayKind::Normal => "normal",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        [Self::Holiday, Self::MakeupWorkday, Self::Normal]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    fn of(k: DayKind) -> Self {
        match k {
            DayKind::Holiday => Self::Holiday,
            DayKind::MakeupWorkday => Self::MakeupWorkday,
        }
    }
}

/// One exception day of the effective calendar.
#[derive(Clone, Debug)]
pub struct CalendarDayView {
    pub date: NaiveDate,
    pub kind: CalendarDayKind,
    pub name: String,
    /// Set by the office (true) or shipped with the official calendar (false).
    pub edited: bool,
}

/// The effective exceptions: the official calendar shipped with the release, overlaid with
/// the office's edits. An overlay (rather than a copy seeded into the table) means a new
/// release's corrections reach every installation, and the office's edits survive them.
async fn effective_days(
    db: &impl ConnectionTrait,
) -> AppResult<BTreeMap<NaiveDate, CalendarDayView>> {
    let mut days: BTreeMap<NaiveDate, CalendarDayView> = HolidayCalendar::prc_official_entries()
        .into_iter()
        .map(|e: CalendarEntry| {
            (
                e.date,
                CalendarDayView {
                    date: e.date,
                    kind: CalendarDayKind::of(e.kind),
                    name: e.name,
                    edited: false,
                },
            )
        })
        .collect();
    for row in calendar_day::Entity::find().all(db).await? {
        let kind = CalendarDayKind::parse(&row.kind).unwrap_or(CalendarDayKind::Normal);
        days.insert(
            row.day,
            CalendarDayView {
                date: row.day,
                kind,
                name: row.name,
                edited: true,
            },
        );
    }
    Ok(days)
}

/// The working-day calendar in force.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn load_calendar(db: &impl ConnectionTrait) -> AppResult<HolidayCalendar> {
    let days = effective_days(db).await?;
    HolidayCalendar::new(days.values().filter_map(|d| match d.kind {
        CalendarDayKind::Holiday => Some((d.date, DayKind::Holiday)),
        CalendarDayKind::MakeupWorkday => Some((d.date, DayKind::MakeupWorkday)),
        CalendarDayKind::Normal => None,
    }))
    .map_err(AppError::internal)
}

/// Holidays and make-up working days of `year` (withdrawn official entries included, as
/// `NORMAL`, so the office sees its edits).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn calendar_days(
    db: &impl ConnectionTrait,
    year: i32,
) -> AppResult<Vec<CalendarDayView>> {
    Ok(effective_days(db)
        .await?
        .into_values()
        .filter(|d| d.date.year() == year)
        .collect())
}

/// Marks `date` as a holiday, a make-up working day or an ordinary day. Office only; audited.
///
/// # Errors
/// FORBIDDEN for non-office viewers; INVALID_INPUT for a make-up working day that is not a
/// Saturday or Sunday.
pub async fn set_calendar_day(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    date: NaiveDate,
    kind: CalendarDayKind,
    name: &str,
    now: DateTime<Utc>,
) -> AppResult<CalendarDayView> {
    viewer.require_office()?;
    let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
    if kind == CalendarDayKind::MakeupWorkday && !weekend {
        return Err(AppError::invalid(format!(
            "{date} is not a Saturday or Sunday, so it cannot be a make-up working day"
        )));
    }
    let name = crate::domain::text::optional("name", Some(name), 100)?.unwrap_or_default();
    let existing = calendar_day::Entity::find()
        .filter(calendar_day::Column::Day.eq(date))
        .one(db)
        .await?;
    let before = existing.as_ref().map(snapshot);
    let official = HolidayCalendar::prc_official_entries()
        .into_iter()
        .find(|e| e.date == date);
    let official_kind = official
        .as_ref()
        .map_or(CalendarDayKind::Normal, |e| CalendarDayKind::of(e.kind));
    // An edit that restores the official state is no edit at all.
    let row = if official_kind == kind {
        if let Some(row) = existing.clone() {
            calendar_day::Entity::delete_by_id(row.id).exec(db).await?;
        }
        None
    } else {
        let m = match existing.clone() {
            Some(row) => {
                let mut am: calendar_day::ActiveModel = row.into();
                am.kind = Set(kind.as_str().into());
                am.name = Set(name.clone());
                am.updated_by = Set(Some(viewer.user_id));
                am.updated_at = Set(now);
                am.update(db).await?
            }
            None => {
                calendar_day::ActiveModel {
                    day: Set(date),
                    kind: Set(kind.as_str().into()),
                    name: Set(name.clone()),
                    updated_by: Set(Some(viewer.user_id)),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?
            }
        };
        Some(m)
    };
    audit::record(
        db,
        Actor::User(viewer),
        Change {
            action: AuditAction::CalendarDaySet,
            entity: "calendar_day",
            entity_id: row.as_ref().or(existing.as_ref()).map_or(0, |r| r.id),
            before,
            after: Some(serde_json::json!({
                "day": date, "kind": kind.as_str(), "name": name,
            })),
        },
        now,
    )
    .await?;
    Ok(CalendarDayView {
        date,
        kind,
        name: if row.is_some() {
            name
        } else {
            official.map(|e| e.name).unwrap_or_default()
        },
        edited: row.is_some(),
    })
}
