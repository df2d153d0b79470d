//! The task status machine.
//!
//! not started → in progress → completion requested (申请办结) → completed (销号, by the office)
//! or returned (退回) → in progress; the office may cancel any unresolved task and reopen a
//! completed or cancelled one.

use crate::error::AppError;

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
pub enum TaskStatus {
    NotStarted,
    InProgress,
    /// 申请办结
    CompletionRequested,
    /// 销号
    Completed,
    /// 退回
    Returned,
    Cancelled,
}

/// Something that moves a task between statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskAction {
    /// Any progress report or explicit start.
    Start,
    RequestCompletion,
    Verify,
    Return,
    Cancel,
    Reopen,
}

impl TaskStatus {
    pub const ALL: &'static [TaskStatus] = &[
        TaskStatus::NotStarted,
        TaskStatus::InProgress,
        TaskStatus::CompletionRequested,
        TaskStatus::Completed,
        TaskStatus::Returned,
        TaskStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "not_started",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::CompletionRequested => "completion_requested",
            TaskStatus::Completed => "completed",
            TaskStatus::Returned => "returned",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// The Chinese label shown in documents and spreadsheets (未启动, 推进中, 申请办结 …).
    pub fn chinese(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "未启动",
            TaskStatus::InProgress => "推进中",
            TaskStatus::CompletionRequested => "申请办结",
            TaskStatus::Completed => "已销号",
            TaskStatus::Returned => "已退回",
            TaskStatus::Cancelled => "已撤销",
        }
    }

    pub fn parse(s: &str) -> Result<Self, AppError> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| AppError::invalid(format!("unknown task status {s:?}")))
    }

    /// The statuses of a task that is no longer chased (see [`TaskStatus::is_resolved`]).
    pub const RESOLVED: [TaskStatus; 2] = [TaskStatus::Completed, TaskStatus::Cancelled];

    /// The status a stored value stands for. Stored values are only ever written from
    /// [`TaskStatus::as_str`]; anything else reads as not started.
    pub fn stored(s: &str) -> Self {
        Self::parse(s).unwrap_or(TaskStatus::NotStarted)
    }

    /// Completed or cancelled: no longer chased, never overdue.
    pub fn is_resolved(self) -> bool {
        Self::RESOLVED.contains(&self)
    }

    /// The status after `action`, or INVALID_TRANSITION.
    pub fn apply(self, action: TaskAction) -> Result<TaskStatus, AppError> {
        use TaskAction as A;
        use TaskStatus as S;
        let next = match (self, action) {
            (S::NotStarted | S::Returned, A::Start) => Some(S::InProgress),
            (S::InProgress, A::Start) => Some(S::InProgress),
            // 申请办结 comes from work in progress: a returned task is restarted first, so the
            // trail shows that the lead picked it up again after 退回.
            (S::InProgress, A::RequestCompletion) => Some(S::CompletionRequested),
            (S::CompletionRequested, A::Verify) => Some(S::Completed),
            (S::CompletionRequested, A::Return) => Some(S::Returned),
            (s, A::Cancel) if !s.is_resolved() => Some(S::Cancelled),
            (S::Completed | S::Cancelled, A::Reopen) => Some(S::InProgress),
            _ => None,
        };
        next.ok_or_else(|| {
            AppError::InvalidTransition(format!(
                "cannot {action:?} a task that is {}",
                self.as_str()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::TaskAction as A;
    use super::TaskStatus as S;

    #[test]
    fn happy_path() {
        let s = S::NotStarted.apply(A::Start).unwrap();
        let s = s.apply(A::RequestCompletion).unwrap();
        let s = s.apply(A::Return).unwrap();
        assert_eq!(s, S::Returned);
        let s = s
            .apply(A::Start)
            .unwrap()
            .apply(A::RequestCompletion)
            .unwrap();
        assert_eq!(s.apply(A::Verify).unwrap(), S::Completed);
    }

    #[test]
    fn refused() {
        assert_eq!(
            S::NotStarted.apply(A::Verify).unwrap_err().code(),
            "INVALID_TRANSITION"
        );
        assert!(S::InProgress.apply(A::Return).is_err());
        assert!(S::Completed.apply(A::Cancel).is_err());
        assert!(S::Completed.apply(A::RequestCompletion).is_err());
        assert!(S::Cancelled.apply(A::Start).is_err());
        assert!(S::InProgress.apply(A::Reopen).is_err());
    }

    #[test]
    fn every_pair_is_decided() {
        // The whole machine as a table, written independently of `apply`: every (status,
        // action) pair not listed here must be refused with INVALID_TRANSITION.
        let allowed = [
            (S::NotStarted, A::Start, S::InProgress),
            (S::Returned, A::Start, S::InProgress),
            (S::InProgress, A::Start, S::InProgress),
            (S::InProgress, A::RequestCompletion, S::CompletionRequested),
            (S::CompletionRequested, A::Verify, S::Completed),
            (S::CompletionRequested, A::Return, S::Returned),
            (S::NotStarted, A::Cancel, S::Cancelled),
            (S::InProgress, A::Cancel, S::Cancelled),
            (S::CompletionRequested, A::Cancel, S::Cancelled),
            (S::Returned, A::Cancel, S::Cancelled),
            (S::Completed, A::Reopen, S::InProgress),
            (S::Cancelled, A::Reopen, S::InProgress),
        ];
        let actions = [
            A::Start,
            A::RequestCompletion,
            A::Verify,
            A::Return,
            A::Cancel,
            A::Reopen,
        ];
        let mut moves = 0;
        for s in S::ALL {
            for a in actions {
                let expected = allowed
                    .iter()
                    .find(|(from, act, _)| *from == *s && *act == a)
                    .map(|(_, _, to)| *to);
                match (s.apply(a), expected) {
                    (Ok(next), Some(to)) => {
                        assert_eq!(next, to, "{s:?} --{a:?}-->");
                        moves += 1;
                    }
                    (Err(e), None) => assert_eq!(e.code(), "INVALID_TRANSITION"),
                    (got, want) => panic!("{s:?} --{a:?}--> gave {got:?}, expected {want:?}"),
                }
            }
        }
        assert_eq!(moves, allowed.len());
    }
}
