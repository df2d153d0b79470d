//! Sort orders a list can be asked for (排序): the vocabulary only; the SQL is in services.

/// Which way a sort key runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, async_graphql::Enum)]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

impl OrderDirection {
    pub fn is_desc(self) -> bool {
        self == OrderDirection::Desc
    }
}

/// What the task list can be sorted by. Every order ends with the task id, so ties never
/// reorder between pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum TaskOrderField {
    /// The plan, then the task's place in the plan's outline (原文顺序): the default.
    DocumentOrder,
    /// The current deadline; tasks without one (ongoing work, headings) last when ascending.
    Deadline,
    /// The deadline the task is assessed against (按原定时间考核): the original deadline if it
    /// was extended, otherwise the current one; tasks without either last when ascending.
    OriginalDeadline,
    /// Status, in the status machine's order (`TaskStatus` as declared).
    Status,
    Progress,
    UpdatedAt,
    /// Traffic light by severity: green, yellow, red when ascending (so `DESC` puts red first).
    Light,
}

impl TaskOrderField {
    /// The short name a cursor carries, so that a cursor is only accepted by its own order.
    pub fn tag(self) -> &'static str {
        match self {
            TaskOrderField::DocumentOrder => "doc",
            TaskOrderField::Deadline => "dl",
            TaskOrderField::OriginalDeadline => "odl",
            TaskOrderField::Status => "st",
            TaskOrderField::Progress => "pg",
            TaskOrderField::UpdatedAt => "up",
            TaskOrderField::Light => "li",
        }
    }
}
