//! Reminders and escalations (提醒 → 催办 → 督办 → 通报 → 约谈): the pure core.
//!
//! Nothing in here touches the database, the clock or the network; the outbox and the
//! sweep worker feed it data and act on its answers.
//!
//! - [`calendar`]: working days under the PRC holiday calendar (放假/调休).
//! - [`ladder`]: escalation policies, triggers and the decision of which rung is due (the
//!   traffic light is `crate::domain::light`, the same rule the SQL filters use).
//! - [`templates`]: the per-recipient digest mail (subject, plain text, HTML).
//! - [`ical`]: an RFC 5545 calendar feed of an agency's deadlines.

pub mod calendar;
pub mod ical;
pub mod ladder;
pub mod templates;

pub use calendar::{CalendarEntry, CalendarError, DayCount, DayKind, HolidayCalendar};
pub use ical::{CalendarEvent, render_calendar};
pub use ladder::{
    Audience, Cadence, DueRung, FiredKey, Level, Policy, PolicyError, ReportPeriod, Rung,
    TaskState, Trigger, dedupe_key, due_rungs, effective_policy, report_periods,
};
pub use templates::{DigestItem, Matter, RenderedMail, Role, format_doc_number, render_digest};

// The database side, the mailer and the worker.
pub mod feed;
pub mod mailer;
pub mod outbox;
pub mod store;
pub mod sweep;
pub mod worker;
