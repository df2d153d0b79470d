//! Traffic light (红黄绿灯) and "overdue": derived at query time, never stored.

use chrono::NaiveDate;

/// Days before the deadline from which a slow task turns yellow.
pub const YELLOW_WINDOW_DAYS: i64 = 30;
/// Progress below this share (percent) inside the window counts as "little progress".
pub const YELLOW_PROGRESS_BELOW: i32 = 50;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    async_graphql::Enum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// On track.
    Green,
    /// Deadline near, little progress.
    Yellow,
    /// Overdue.
    Red,
}

impl Light {
    /// Rank by severity (green 0, yellow 1, red 2): what ordering by light sorts on, here and
    /// in its SQL form (`services::light::severity_expr`).
    pub fn severity(self) -> i64 {
        match self {
            Light::Green => 0,
            Light::Yellow => 1,
            Light::Red => 2,
        }
    }
}

/// The light of a task on `today`. Resolved tasks and tasks without a deadline are green.
///
/// The rule is deliberately expressible in SQL (see `services::tasks`), so that filtering by
/// light stays an indexed query rather than a scan in Rust.
pub fn traffic_light(
    deadline: Option<NaiveDate>,
    resolved: bool,
    progress: i32,
    today: NaiveDate,
) -> Light {
    match deadline {
        _ if resolved => Light::Green,
        None => Light::Green,
        Some(d) if d < today => Light::Red,
        Some(d)
            if (d - today).num_days() <= YELLOW_WINDOW_DAYS && progress < YELLOW_PROGRESS_BELOW =>
        {
            Light::Yellow
        }
        Some(_) => Light::Green,
    }
}

/// Overdue: past the current deadline and not resolved.
pub fn is_overdue(deadline: Option<NaiveDate>, resolved: bool, today: NaiveDate) -> bool {
    !resolved && deadline.is_some_and(|d| d < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn lights() {
        let today = d("2025-06-01");
        assert_eq!(
            traffic_light(Some(d("2025-05-31")), false, 90, today),
            Light::Red
        );
        assert_eq!(
            traffic_light(Some(d("2025-05-31")), true, 0, today),
            Light::Green
        );
        assert_eq!(
            traffic_light(Some(d("2025-06-20")), false, 10, today),
            Light::Yellow
        );
        assert_eq!(
            traffic_light(Some(d("2025-06-20")), false, 60, today),
            Light::Green
        );
        assert_eq!(
            traffic_light(Some(d("2025-12-31")), false, 0, today),
            Light::Green
        );
        assert_eq!(traffic_light(None, false, 0, today), Light::Green);
        assert_eq!(traffic_light(Some(today), false, 0, today), Light::Yellow);
        assert!(is_overdue(Some(d("2025-05-31")), false, today));
        assert!(!is_overdue(Some(today), false, today));
    }
}
