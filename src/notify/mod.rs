//! Reminders and escalations (提醒 → 催办 → 督办 → 通报 → 约谈).
//!
//! The pure core touches neither the database, the clock nor the network; the outbox and
//! the sweep feed it data and act on its answers. Working days under the PRC holiday
//! calendar are `crate::domain::calendar`.
//!
//! - [`ladder`]: escalation policies, triggers and the decision of which rung is due (the
//!   traffic light is `crate::domain::light`, the same rule the SQL filters use).
//! - [`templates`]: the per-recipient digest mail (subject, plain text, HTML).
//! - [`ical`]: an RFC 5545 calendar feed of an agency's deadlines.

pub mod ical;
pub mod ladder;
pub mod notice_doc;
pub mod templates;

pub use ical::{CalendarEvent, render_calendar};
pub use ladder::{
    Audience, DueRung, FiredKey, Level, Policy, PolicyError, ReportPeriod, Rung, TaskState,
    Trigger, dedupe_key, due_rungs, effective_policy, report_periods,
};
pub use templates::{DigestItem, Matter, RenderedMail, Role, format_doc_number, render_digest};

// The database side (over `services`), the mailer and the worker (over `app`):
// - [`store`]: escalation policies, document numbers and feed tokens;
// - [`sweep`]: decides what is due and records and enqueues it;
// - [`outbox`]: durable mail delivery; [`mailer`]: SMTP or a file;
// - [`feed`]: an agency's iCalendar feed; [`worker`]: the background loop.
pub mod documents;
pub mod feed;
pub mod mailer;
pub mod outbox;
pub mod store;
pub mod sweep;
pub mod worker;
