//! Listing tasks: filters (the light rule through `services::light`), keyset cursors, pages, counts.

#[allow(clippy::wildcard_imports)]
use super::*;

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

/// Position of a task in list order (plan, document position, id): the keyset cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskCursor {
    pub plan_id: i64,
    pub position: i32,
    pub id: i64,
}

impl TaskCursor {
    pub fn of(t: &task::Model) -> Self {
        TaskCursor {
            plan_id: t.plan_id,
            position: t.position,
            id: t.id,
        }
    }

    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("t:{}:{}:{}", self.plan_id, self.position, self.id))
    }

    pub fn decode(s: &str) -> AppResult<Self> {
        use base64::Engine;
        let bad = || AppError::invalid(format!("malformed cursor {s:?}"));
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.as_bytes())
            .map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let parts: Vec<&str> = raw.split(':').collect();
        match parts.as_slice() {
            ["t", p, pos, id] => Ok(TaskCursor {
                plan_id: p.parse().map_err(|_| bad())?,
                position: pos.parse().map_err(|_| bad())?,
                id: id.parse().map_err(|_| bad())?,
            }),
            _ => Err(bad()),
        }
    }
}

/// One page of tasks after `after`, in document order; returns whether more follow.
///
/// `with_body: false` leaves the (long) body text out of the rows, as an empty string: a task
/// list that does not show it should not pay for reading and decoding it.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
    first: u64,
    after: Option<TaskCursor>,
    today: NaiveDate,
    with_body: bool,
) -> AppResult<(Vec<task::Model>, bool)> {
    use sea_orm::Iterable;
    let first = first.clamp(1, MAX_PAGE);
    let mut q = filter.query(today);
    if !with_body {
        q = q
            .select_only()
            .columns(task::Column::iter().filter(|c| !matches!(c, task::Column::Body)))
            .expr_as(Expr::val(""), "body");
    }
    if let Some(c) = after {
        q = q.filter(after_cursor(c));
    }
    let mut rows = q
        .order_by_asc(task::Column::PlanId)
        .order_by_asc(task::Column::Position)
        .order_by_asc(task::Column::Id)
        .limit(first + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok((rows, more))
}

pub async fn count(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
    today: NaiveDate,
) -> AppResult<u64> {
    Ok(filter.query(today).count(db).await?)
}

/// Up to `size` tasks after `after`, in list order and without their bodies: the batches
/// of a ledger export, larger than a page and read one after the other (keyset, so every
/// batch costs the same however deep into the list it is).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn batch(
    db: &impl ConnectionTrait,
    filter: &TaskFilter,
    size: u64,
    after: Option<TaskCursor>,
    today: NaiveDate,
) -> AppResult<Vec<task::Model>> {
    use sea_orm::Iterable;
    let mut q = filter
        .query(today)
        .select_only()
        .columns(task::Column::iter().filter(|c| !matches!(c, task::Column::Body)))
        .expr_as(Expr::val(""), "body");
    if let Some(c) = after {
        q = q.filter(after_cursor(c));
    }
    Ok(q.order_by_asc(task::Column::PlanId)
        .order_by_asc(task::Column::Position)
        .order_by_asc(task::Column::Id)
        .limit(std::cmp::max(size, 1))
        .all(db)
        .await?)
}

/// Tasks after `c` in list order (plan, position, id).
fn after_cursor(c: TaskCursor) -> Condition {
    Condition::any()
        .add(task::Column::PlanId.gt(c.plan_id))
        .add(
            Condition::all()
                .add(task::Column::PlanId.eq(c.plan_id))
                .add(task::Column::Position.gt(c.position)),
        )
        .add(
            Condition::all()
                .add(task::Column::PlanId.eq(c.plan_id))
                .add(task::Column::Position.eq(c.position))
                .add(task::Column::Id.gt(c.id)),
        )
}
