//! Sort orders of the task list and their keyset cursors.
//!
//! Every order is a list of SQL key expressions that are never NULL (a missing deadline is
//! read as [`NO_DEADLINE`], so it sorts last ascending on SQLite and PostgreSQL alike and
//! compares like any value), ended by the task id. A cursor carries the order it was made
//! for and the key values of its row; a page continues strictly after (or before) them.

use chrono::{DateTime, NaiveDate, Utc};
use entity::task;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{Condition, Order, Value};

use crate::domain::{Light, OrderDirection, TaskOrderField, TaskStatus, traffic_light};
use crate::error::{AppError, AppResult};
use crate::services::light::severity_expr;

/// The date a task without a deadline sorts as. Written as a literal, not a bound value, in
/// the SQL: the expression indexes of migration `m20261202_000101` spell it the same way, and
/// a database only uses an expression index for the very same expression.
pub const NO_DEADLINE: &str = "9999-12-31";

/// Most keys one `orderBy` may name.
pub const MAX_ORDER_KEYS: usize = 4;

/// A requested order: the fields with their directions, the id tie-break implied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskOrder(Vec<(TaskOrderField, OrderDirection)>);

impl Default for TaskOrder {
    fn default() -> Self {
        TaskOrder(vec![(TaskOrderField::DocumentOrder, OrderDirection::Asc)])
    }
}

/// How a key's value is carried in a cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    Date,
    Time,
}

/// One value of a sort key.
#[derive(Clone, Debug, PartialEq)]
enum KeyValue {
    Int(i64),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

impl KeyValue {
    fn to_json(&self) -> serde_json::Value {
        match self {
            KeyValue::Int(i) => (*i).into(),
            KeyValue::Date(d) => d.to_string().into(),
            KeyValue::Time(t) => t
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                .into(),
        }
    }

    fn from_json(kind: Kind, v: &serde_json::Value) -> Option<Self> {
        Some(match kind {
            Kind::Int => KeyValue::Int(v.as_i64()?),
            Kind::Date => KeyValue::Date(v.as_str()?.parse().ok()?),
            Kind::Time => KeyValue::Time(
                DateTime::parse_from_rfc3339(v.as_str()?)
                    .ok()?
                    .with_timezone(&Utc),
            ),
        })
    }

    fn value(&self) -> Value {
        match self {
            KeyValue::Int(i) => (*i).into(),
            KeyValue::Date(d) => (*d).into(),
            KeyValue::Time(t) => (*t).into(),
        }
    }
}

/// One SQL sort key: its expression, direction, and how to read it off a row.
struct Key {
    expr: Expr,
    desc: bool,
    kind: Kind,
    of: Box<dyn Fn(&task::Model) -> KeyValue + Send + Sync>,
}

fn no_deadline() -> NaiveDate {
    NO_DEADLINE.parse().expect("a valid date literal")
}

/// The deadline sort key: `COALESCE(deadline, '9999-12-31')` (indexed as
/// `idx_task_order_deadline`).
pub fn deadline_sql() -> String {
    format!("COALESCE(deadline, '{NO_DEADLINE}')")
}

/// The assessed-deadline sort key (indexed as `idx_task_order_original_deadline`).
pub fn original_deadline_sql() -> String {
    format!("COALESCE(original_deadline, deadline, '{NO_DEADLINE}')")
}

/// `CASE status WHEN 'not_started' THEN 0 … END`: the status machine's order. The text is
/// the one `idx_task_status_rank` indexes.
pub fn status_rank_sql() -> String {
    let whens: String = TaskStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| format!(" WHEN '{}' THEN {i}", s.as_str()))
        .collect();
    format!("CASE status{whens} ELSE {} END", TaskStatus::ALL.len())
}

fn status_rank(s: &str) -> i64 {
    TaskStatus::ALL
        .iter()
        .position(|t| t.as_str() == s)
        .unwrap_or(TaskStatus::ALL.len()) as i64
}

impl TaskOrder {
    /// Checks a requested order: at most [`MAX_ORDER_KEYS`] fields, none twice. An empty
    /// list means the default (document order).
    pub fn new(keys: Vec<(TaskOrderField, OrderDirection)>) -> AppResult<Self> {
        if keys.len() > MAX_ORDER_KEYS {
            return Err(AppError::invalid(format!(
                "orderBy takes at most {MAX_ORDER_KEYS} fields"
            )));
        }
        for (i, (f, _)) in keys.iter().enumerate() {
            if keys[..i].iter().any(|(g, _)| g == f) {
                return Err(AppError::invalid(format!("orderBy names {f:?} twice")));
            }
        }
        if keys.is_empty() {
            return Ok(TaskOrder::default());
        }
        Ok(TaskOrder(keys))
    }

    /// Whether the order depends on the day (the light does).
    fn by_day(&self) -> bool {
        self.0.iter().any(|(f, _)| *f == TaskOrderField::Light)
    }

    /// What a cursor of this order says it is for, e.g. `dl.a,pg.d`.
    fn signature(&self) -> String {
        self.0
            .iter()
            .map(|(f, d)| format!("{}.{}", f.tag(), if d.is_desc() { "d" } else { "a" }))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The SQL keys, the id last.
    fn keys(&self, today: NaiveDate) -> Vec<Key> {
        let mut out = Vec::new();
        for &(field, dir) in &self.0 {
            let desc = dir.is_desc();
            let mut key =
                |expr: Expr,
                 kind: Kind,
                 of: Box<dyn Fn(&task::Model) -> KeyValue + Send + Sync>| {
                    out.push(Key {
                        expr,
                        desc,
                        kind,
                        of,
                    })
                };
            match field {
                TaskOrderField::DocumentOrder => {
                    key(
                        Expr::col(task::Column::PlanId),
                        Kind::Int,
                        Box::new(|t| KeyValue::Int(t.plan_id)),
                    );
                    key(
                        Expr::col(task::Column::Position),
                        Kind::Int,
                        Box::new(|t| KeyValue::Int(t.position.into())),
                    );
                }
                TaskOrderField::Deadline => key(
                    Expr::cust(deadline_sql()),
                    Kind::Date,
                    Box::new(|t| KeyValue::Date(t.deadline.unwrap_or_else(no_deadline))),
                ),
                TaskOrderField::OriginalDeadline => key(
                    Expr::cust(original_deadline_sql()),
                    Kind::Date,
                    Box::new(|t| {
                        KeyValue::Date(
                            t.original_deadline
                                .or(t.deadline)
                                .unwrap_or_else(no_deadline),
                        )
                    }),
                ),
                TaskOrderField::Status => key(
                    Expr::cust(status_rank_sql()),
                    Kind::Int,
                    Box::new(|t| KeyValue::Int(status_rank(&t.status))),
                ),
                TaskOrderField::Progress => key(
                    Expr::col(task::Column::Progress),
                    Kind::Int,
                    Box::new(|t| KeyValue::Int(t.progress.into())),
                ),
                TaskOrderField::UpdatedAt => key(
                    Expr::col(task::Column::UpdatedAt),
                    Kind::Time,
                    Box::new(|t| KeyValue::Time(t.updated_at)),
                ),
                TaskOrderField::Light => key(
                    severity_expr(today),
                    Kind::Int,
                    Box::new(move |t| KeyValue::Int(light_of(t, today).severity())),
                ),
            }
        }
        out.push(Key {
            expr: Expr::col(task::Column::Id),
            desc: false,
            kind: Kind::Int,
            of: Box::new(|t| KeyValue::Int(t.id)),
        });
        out
    }

    /// `ORDER BY` terms, reversed when reading backwards (`last`/`before`).
    pub(super) fn order_terms(&self, today: NaiveDate, forward: bool) -> Vec<(Expr, Order)> {
        self.keys(today)
            .into_iter()
            .map(|k| {
                let asc = k.desc != forward;
                (k.expr, if asc { Order::Asc } else { Order::Desc })
            })
            .collect()
    }

    /// The cursor of `t` in this order.
    pub fn cursor(&self, t: &task::Model, today: NaiveDate) -> TaskCursor {
        TaskCursor {
            signature: self.signature(),
            day: self.by_day().then_some(today),
            values: self.keys(today).iter().map(|k| (k.of)(t)).collect(),
        }
    }

    /// Reads a cursor given back by a client, refusing one made for another order (or, for an
    /// order by light, on another day: the lights have changed since).
    pub fn decode(&self, s: &str, today: NaiveDate) -> AppResult<TaskCursor> {
        use base64::Engine;
        let bad = || AppError::invalid(format!("malformed cursor {s:?}"));
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.as_bytes())
            .map_err(|_| bad())?;
        let v: serde_json::Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
        let signature = v["o"].as_str().ok_or_else(bad)?;
        if signature != self.signature() {
            return Err(AppError::invalid(format!(
                "the cursor belongs to another order ({signature}, not {}); start again from the first page",
                self.signature()
            )));
        }
        let day = match v.get("d") {
            Some(d) => Some(d.as_str().and_then(|d| d.parse().ok()).ok_or_else(bad)?),
            None => None,
        };
        if self.by_day() && day != Some(today) {
            return Err(AppError::invalid(
                "the cursor was made on another day and the lights have changed since; start again from the first page",
            ));
        }
        let keys = self.keys(today);
        let raw_values = v["k"].as_array().ok_or_else(bad)?;
        if raw_values.len() != keys.len() {
            return Err(bad());
        }
        let values = keys
            .iter()
            .zip(raw_values)
            .map(|(k, v)| KeyValue::from_json(k.kind, v).ok_or_else(bad))
            .collect::<AppResult<Vec<_>>>()?;
        Ok(TaskCursor {
            signature: signature.to_owned(),
            day,
            values,
        })
    }

    /// Rows strictly after `c` in this order (`forward`), or strictly before it; with
    /// `inclusive`, the cursor's own row too. The keys are never NULL, so the expanded
    /// comparison `k1 > v1 OR (k1 = v1 AND k2 > v2) OR …` is exact.
    pub(super) fn beyond(
        &self,
        c: &TaskCursor,
        today: NaiveDate,
        forward: bool,
        inclusive: bool,
    ) -> Condition {
        let keys = self.keys(today);
        let mut any = Condition::any();
        for i in 0..keys.len() {
            let mut all = Condition::all();
            for (k, v) in keys[..i].iter().zip(&c.values) {
                all = all.add(k.expr.clone().eq(v.value()));
            }
            let k = &keys[i];
            let v = c.values[i].value();
            let up = k.desc != forward;
            let last = i + 1 == keys.len();
            all = all.add(match (up, last && inclusive) {
                (true, false) => k.expr.clone().gt(v),
                (true, true) => k.expr.clone().gte(v),
                (false, false) => k.expr.clone().lt(v),
                (false, true) => k.expr.clone().lte(v),
            });
            any = any.add(all);
        }
        any
    }
}

fn light_of(t: &task::Model, today: NaiveDate) -> Light {
    traffic_light(
        t.deadline,
        TaskStatus::stored(&t.status).is_resolved(),
        t.progress,
        today,
    )
}

/// A position in one order of the task list: opaque to clients (base64 of JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct TaskCursor {
    signature: String,
    day: Option<NaiveDate>,
    values: Vec<KeyValue>,
}

impl TaskCursor {
    pub fn encode(&self) -> String {
        use base64::Engine;
        let mut v = serde_json::json!({
            "o": self.signature,
            "k": self.values.iter().map(KeyValue::to_json).collect::<Vec<_>>(),
        });
        if let Some(d) = self.day {
            v["d"] = d.to_string().into();
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_rank_follows_the_declared_order() {
        let sql = status_rank_sql();
        assert!(
            sql.starts_with("CASE status WHEN 'not_started' THEN 0"),
            "{sql}"
        );
        for (i, s) in TaskStatus::ALL.iter().enumerate() {
            assert_eq!(status_rank(s.as_str()), i as i64);
        }
    }

    #[test]
    fn orders_refuse_repeats_and_excess() {
        use OrderDirection::*;
        use TaskOrderField::*;
        assert!(TaskOrder::new(vec![(Deadline, Asc), (Deadline, Desc)]).is_err());
        assert!(
            TaskOrder::new(vec![
                (Deadline, Asc),
                (Status, Asc),
                (Progress, Asc),
                (Light, Asc),
                (UpdatedAt, Asc)
            ])
            .is_err()
        );
        assert_eq!(TaskOrder::new(vec![]).unwrap(), TaskOrder::default());
    }
}
