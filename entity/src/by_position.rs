//! Decoding a model from a row by column position instead of by column name.
//!
//! sea-orm's derived decoder looks every column up by name, building the name with
//! `format!` first: an allocation and a hash lookup per column per row. On the hot lists (a
//! page of 100 tasks and their few hundred assignments) that was a measurable share of a
//! request. A select of an entity's own columns lists them in declaration order
//! (`Column::iter()`), so the row can be read by index instead.
//!
//! [`by_position!`](crate::by_position) writes the decoder from the field list; its
//! `FIELDS` must equal the entity's columns in order, which a test checks for every entity
//! that has one (a reordered list would otherwise swap two columns of the same type).

use sea_orm::sqlx::{self, Row};
use sea_orm::{DbErr, FromQueryResult, QueryResult};

/// A model that can be read from a row holding its columns in declaration order, from
/// position `at` on.
pub trait FromRowByPosition: Sized {
    /// The field names in the order they are read.
    const FIELDS: &'static [&'static str];
    /// # Errors
    /// A column of the wrong type or a row that is too short.
    fn from_row_at(row: &QueryResult, at: usize) -> Result<Self, DbErr>;
}

/// A model decoded by position, for `Select::into_model::<ByPosition<_>>()`.
pub struct ByPosition<M>(pub M);

impl<M: FromRowByPosition> FromQueryResult for ByPosition<M> {
    fn from_query_result(res: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
        M::from_row_at(res, 0).map(ByPosition)
    }
}

/// One column of a row by position, read through sqlx directly: sea-orm's `TryGetable`
/// formats an error message for every NULL it meets, even into an `Option`.
pub trait Cell: Sized {
    /// # Errors
    /// A column of another type, a NULL where a value is required, or no such column.
    fn cell(row: &QueryResult, at: usize) -> Result<Self, DbErr>;
}

/// The column as `Option<T>`, from whichever driver the row came from.
fn nullable<T>(row: &QueryResult, at: usize) -> Result<Option<T>, DbErr>
where
    for<'r> Option<T>: sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>,
{
    // Unchecked: sqlx's check compares (and clones) the column's type info on every cell.
    // The decoder itself still refuses bytes of the wrong shape, and the types are the
    // entity's own (a test decodes every column both ways and compares).
    let got = if let Some(r) = row.try_as_pg_row() {
        r.try_get_unchecked::<Option<T>, _>(at)
    } else if let Some(r) = row.try_as_sqlite_row() {
        r.try_get_unchecked::<Option<T>, _>(at)
    } else {
        return Err(DbErr::Type("a row of neither PostgreSQL nor SQLite".into()));
    };
    got.map_err(|e| DbErr::Type(format!("column {at}: {e}")))
}

macro_rules! cells {
    ($($t:ty),* $(,)?) => {$(
        impl Cell for $t {
            fn cell(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
                nullable::<$t>(row, at)?
                    .ok_or_else(|| DbErr::Type(format!("column {at} is NULL")))
            }
        }
        impl Cell for Option<$t> {
            fn cell(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
                nullable::<$t>(row, at)
            }
        }
    )*};
}

cells!(
    bool,
    i32,
    i64,
    String,
    serde_json::Value,
    chrono::NaiveDate,
    chrono::DateTime<chrono::Utc>,
);

/// `by_position!(Model { id, name, … })`: the fields in declaration order.
#[macro_export]
macro_rules! by_position {
    ($model:ident { $($field:ident),* $(,)? }) => {
        impl $crate::by_position::FromRowByPosition for $model {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
            fn from_row_at(
                row: &sea_orm::QueryResult,
                at: usize,
            ) -> Result<Self, sea_orm::DbErr> {
                let mut i = at;
                $(
                    let $field = $crate::by_position::Cell::cell(row, i)?;
                    i += 1;
                )*
                let _ = i;
                Ok($model { $($field),* })
            }
        }
    };
}
