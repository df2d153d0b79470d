//! Listing tasks: filters (the light rule through `services::light`), keyset cursors, pages, counts.

#[allow(clippy::wildcard_imports)]
use super::*;
use entity::by_position::ByPosition;

/// Filters of the task list; every one maps to an indexed condition.
#[derive(Default, Clone)]
pub struct TaskFilter {
    pub plan_id: Option<i64>,
    pub agency_id: Option<i64>,
    pub role: Option<AssignmentRole>,
    pub statuses: Vec<TaskStatus>,
    pub kinds: Vec<TaskKind>,
    pub overdue: Option<bool>,
    pub light: Option<Light>,
    pub deadline_from: Option<NaiveDate>,
    pub deadline_to: Option<NaiveDate>,
    pub text: Option<String>,
    pub parent_id: Option<i64>,
}

impl TaskFilter {
    fn condition(&self, today: NaiveDate) -> Condition {
        let mut c = Condition::all();
        if let Some(p) = self.plan_id {
            c = c.add(task::Column::PlanId.eq(p));
        }
        if let Some(p) = self.parent_id {
            c = c.add(task::Column::ParentId.eq(p));
        }
        if self.agency_id.is_some() || self.role.is_some() {
            let mut sub = Query::select();
            sub.column(assignment::Column::TaskId)
                .from(assignment::Entity);
            if let Some(a) = self.agency_id {
                sub.and_where(assignment::Column::AgencyId.eq(a));
            }
            if let Some(r) = self.role {
                sub.and_where(assignment::Column::Role.eq(r.as_str()));
            }
            c = c.add(task::Column::Id.in_subquery(sub.to_owned()));
        }
        if !self.statuses.is_empty() {
            c = c.add(task::Column::Status.is_in(self.statuses.iter().map(|s| s.as_str())));
        }
        if !self.kinds.is_empty() {
            c = c.add(task::Column::Kind.is_in(self.kinds.iter().map(|s| s.as_str())));
        }
        match self.overdue {
            Some(true) => c = c.add(overdue_cond(today)),
            Some(false) => c = c.add(not_overdue_cond(today)),
            None => {}
        }
        match self.light {
            Some(Light::Red) => c = c.add(overdue_cond(today)),
            Some(Light::Yellow) => c = c.add(yellow_cond(today)),
            Some(Light::Green) => c = c.add(green_cond(today)),
            None => {}
        }
        if let Some(f) = self.deadline_from {
            c = c.add(task::Column::Deadline.gte(f));
        }
        if let Some(t) = self.deadline_to {
            c = c.add(task::Column::Deadline.lte(t));
        }
        if let Some(q) = self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            c = c.add(
                Condition::any()
                    .add(crate::services::contains_text(task::Column::Title, q))
                    .add(crate::services::contains_text(task::Column::Code, q))
                    .add(crate::services::contains_text(task::Column::Body, q)),
            );
        }
        c
    }

    fn query(&self, today: NaiveDate) -> Select<task::Entity> {
        task::Entity::find().filter(self.condition(today))
    }
}

/// Which slice of the ordered list a page is: bounded by cursors (exclusive), then the
/// first `n` from the start or the last `n` from the end (the Relay connection spec).
#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    pub after: Option<TaskCursor>,
    pub before: Option<TaskCursor>,
    /// `Some(n)` for `first: n`, or the default page.
    pub first: Option<u64>,
    /// `Some(n)` for `last: n` (reads backwards, returns the rows in order).
    pub last: Option<u64>,
}

/// One page, in list order, and whether more rows follow it in the direction it was read.
pub struct Page {
    pub rows: Vec<task::Model>,
    /// More rows after the page (`first`) or before it (`last`).
    pub more: bool,
    /// True when the page was read backwards (`last`).
    pub backward: bool,
}

/// One page of tasks in `order` (see [`PageRequest`]): a single statement.
///
/// `with_body: false` leaves the (long) body text out of the rows, as an empty string: a task
/// list that does not show it should not pay for reading and decoding it.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
    order: &TaskOrder,
    req: &PageRequest,
    today: NaiveDate,
    with_body: bool,
) -> AppResult<Page> {
    use sea_orm::Iterable;
    let backward = req.last.is_some();
    let n = req.last.or(req.first).unwrap_or(20).clamp(1, MAX_PAGE);
    let mut q = filter.query(today);
    if !with_body {
        // Every column in declaration order (the rows are decoded by position), the body
        // as an empty string in its place.
        q = q.select_only();
        for c in task::Column::iter() {
            q = match c {
                task::Column::Body => q.expr_as(Expr::val(""), "body"),
                c => q.column(c),
            };
        }
    }
    if let Some(c) = &req.after {
        q = q.filter(order.beyond(c, today, true, false));
    }
    if let Some(c) = &req.before {
        q = q.filter(order.beyond(c, today, false, false));
    }
    for (expr, dir) in order.order_terms(today, !backward) {
        q = q.order_by(expr, dir);
    }
    let mut rows: Vec<task::Model> = q
        .limit(n + 1)
        .into_model::<ByPosition<task::Model>>()
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
    let more = rows.len() as u64 > n;
    rows.truncate(n as usize);
    if backward {
        rows.reverse();
    }
    Ok(Page {
        rows,
        more,
        backward,
    })
}

/// Whether any task matching `filter` lies before `c` (`forward: false`) or after it, the
/// cursor's own row included: the other side of a page, for `hasPreviousPage` after `after`
/// and `hasNextPage` before `before`. One statement, asked only when the field is selected.
pub async fn exists_beyond(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
    order: &TaskOrder,
    c: &TaskCursor,
    forward: bool,
    today: NaiveDate,
) -> AppResult<bool> {
    let hit = filter
        .query(today)
        .select_only()
        .column(task::Column::Id)
        .filter(order.beyond(c, today, forward, true))
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(hit.is_some())
}

/// # Errors
/// INTERNAL on database errors.
pub async fn count(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
    today: NaiveDate,
) -> AppResult<u64> {
    Ok(filter.query(today).count(db).await?)
}

/// Up to `size` tasks after `after`, in document order and without their bodies: the
/// batches of a ledger export, larger than a page and read one after the other (keyset, so
/// every batch costs the same however deep into the list it is). The next batch starts
/// after `TaskOrder::default().cursor(last row)`.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn batch(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
    size: u64,
    after: Option<&TaskCursor>,
    today: NaiveDate,
) -> AppResult<Vec<task::Model>> {
    use sea_orm::Iterable;
    let order = TaskOrder::default();
    let mut q = filter
        .query(today)
        .select_only()
        .columns(task::Column::iter().filter(|c| !matches!(c, task::Column::Body)))
        .expr_as(Expr::val(""), "body");
    if let Some(c) = after {
        q = q.filter(order.beyond(c, today, true, false));
    }
    for (expr, dir) in order.order_terms(today, true) {
        q = q.order_by(expr, dir);
    }
    Ok(q.limit(std::cmp::max(size, 1)).all(db).await?)
}
