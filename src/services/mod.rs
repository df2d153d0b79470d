//! Use cases over the database. Each takes `&impl ConnectionTrait` (or a write transaction)
//! so the API, the CLI, workers, seeds and tests share them and transactions compose.
//! Authorisation by role and agency happens here, next to the rule it protects. The write
//! skeleton every area shares (find or NOT_FOUND → insert/update/delete → audit event, and
//! the optimistic-lock update) is [`record`]; the audit trail itself is [`audit`].

pub mod agencies;
pub mod agency_merge;
pub mod attachments;
pub mod audit;
pub mod calendar;
pub mod dashboard;
pub mod events;
pub mod extensions;
pub mod import;
pub mod ledger;
pub mod light;
pub mod nodes;
pub mod plans;
pub mod progress;
pub mod record;
pub mod seed;
pub mod targets;
pub mod tasks;
pub mod users;
pub mod workflow;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};

use crate::error::{AppError, AppResult};

/// Parses a GraphQL ID of a `what` (`"task"`, `"extension request"` …) into a row id: its
/// global id (see [`crate::domain::global_id`]), or the bare row id older clients and the
/// download URLs send.
///
/// # Errors
/// INVALID_INPUT for anything else, including the global id of another type.
pub fn parse_id(what: &str, id: &str) -> AppResult<i64> {
    use crate::domain::global_id;
    if let Some(row) = id.trim().parse::<i64>().ok().filter(|v| *v > 0) {
        return Ok(row);
    }
    let shown: String = id.chars().take(64).collect();
    match global_id::decode(id) {
        Some((kind, row)) if kind == global_id::type_name_of(what) => Ok(row),
        Some((kind, _)) => Err(AppError::invalid(format!(
            "{shown:?} is the id of a {kind}, not of a {what}"
        ))),
        None => Err(AppError::invalid(format!("malformed {what} id {shown:?}"))),
    }
}

/// Builds a statement from SQL written with `?` placeholders, numbering them `$1, $2 …`
/// for PostgreSQL. Hand-written SQL is kept for aggregates the query builder makes unreadable.
pub fn sql(backend: DbBackend, text: &str, values: Vec<Value>) -> Statement {
    let text = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(text.len() + 8);
        let mut n = 0;
        for c in text.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        out
    } else {
        text.to_owned()
    };
    Statement::from_sql_and_values(backend, text, values)
}

/// Runs a hand-written query and maps its rows.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn query_all<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    text: &str,
    values: Vec<Value>,
) -> AppResult<Vec<T>> {
    let stmt = sql(db.get_database_backend(), text, values);
    Ok(T::find_by_statement(stmt).all(db).await?)
}

/// `column` contains `needle` literally, ignoring case.
///
/// sea-orm's `contains` passes `%` and `_` through as wildcards, and `LIKE` follows each
/// database's own case rule (SQLite folds ASCII letters, PostgreSQL none); a search box should
/// do neither. The column goes through the database's `LOWER()` and the needle through Rust's:
/// the same on PostgreSQL; on SQLite, whose `LOWER()` folds ASCII only, a non-ASCII capital in
/// the text (full-width Ａ, accented É) is matched only as written. Chinese has no case.
pub fn contains_text(column: impl ColumnTrait, needle: &str) -> Expr {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '!') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    // `!` escapes: a backslash means different things to the two databases' string parsers.
    Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
        .like(LikeExpr::new(pattern).escape('!'))
}

/// Serialises a model for the audit trail.
pub fn snapshot<T: serde::Serialize>(model: &T) -> serde_json::Value {
    serde_json::to_value(model).unwrap_or(serde_json::Value::Null)
}
pub mod evaluation;

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, EntityTrait, QueryFilter, QueryTrait};

    #[test]
    fn contains_text_escapes_wildcards_and_folds_case() {
        let q = entity::task::Entity::find()
            .filter(super::contains_text(entity::task::Column::Title, "50%_A"));
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let sql = q.build(backend).to_string();
            assert!(
                sql.contains(r#"LOWER("task"."title") LIKE '%50!%!_a%' ESCAPE '!'"#),
                "{sql}"
            );
        }
    }
}
