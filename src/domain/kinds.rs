//! Closed vocabularies of the domain. Stored as snake_case strings, exposed as GraphQL enums.

use crate::error::AppError;

/// Declares a string-backed enum with `as_str`, `parse` (INVALID_INPUT on unknown values)
/// and a GraphQL enum, so every vocabulary is spelled once.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, async_graphql::Enum, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// # Errors
            /// `INVALID_INPUT` when `s` is not one of the known values.
            pub fn parse(s: &str) -> Result<Self, AppError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(AppError::invalid(format!(
                        concat!("unknown ", stringify!($name), " {:?}"), other
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// What a user may do.
    UserRole {
        /// The leadership-group office (领导小组办公室): administrator.
        Office => "office",
        /// Staff of one member agency (成员单位).
        Agency => "agency",
        /// Leadership (领导): reads everything, writes nothing.
        Leader => "leader",
    }
}

vocabulary! {
    /// How an agency answers for a task.
    AssignmentRole {
        /// 牵头单位
        Lead => "lead",
        /// 参与/配合单位
        Participant => "participant",
        /// 负责落实 (usually local governments)
        Implementer => "implementer",
    }
}

vocabulary! {
    AgencyLevel { Province => "province", City => "city", County => "county", Other => "other" }
}

vocabulary! {
    AgencyKind {
        Department => "department",
        LocalGovernment => "local_government",
        Company => "company",
        Bank => "bank",
        Group => "group",
        Other => "other",
    }
}

vocabulary! {
    /// Role of a contact person within an agency.
    ContactRole {
        /// 联络员
        Liaison => "liaison",
        /// 主要负责人
        Head => "head",
        /// 分管负责人
        Deputy => "deputy",
    }
}

vocabulary! {
    PlanStatus { Draft => "draft", Active => "active", Archived => "archived" }
}

vocabulary! {
    /// Node kind in a plan's outline.
    TaskKind { Heading => "heading", Task => "task", Target => "target", Policy => "policy" }
}

vocabulary! {
    /// How often an ongoing task (持续推进) reports.
    ReportCadence { Monthly => "monthly", Quarterly => "quarterly", HalfYearly => "half_yearly", Yearly => "yearly" }
}

vocabulary! {
    TargetDirection { AtLeast => "at_least", AtMost => "at_most", Equal => "equal" }
}

vocabulary! {
    /// Status of an evaluation revision (考核): computed results may be recomputed until
    /// published; a published revision never changes (a correction is a new revision).
    EvaluationStatus { Draft => "draft", Computed => "computed", Published => "published" }
}

vocabulary! {
    /// Where a policy applies.
    PolicyScope {
        /// The default for every task.
        Global => "global",
        /// Every task of one plan (overrides the global policy).
        Plan => "plan",
        /// One task (overrides the plan's and the global policy).
        Task => "task",
    }
}

vocabulary! {
    ExtensionStatus { Pending => "pending", Approved => "approved", Rejected => "rejected" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_reject() {
        for r in AssignmentRole::ALL {
            assert_eq!(AssignmentRole::parse(r.as_str()).unwrap(), *r);
        }
        let err = UserRole::parse("admin").unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT");
    }
}

vocabulary! {
    /// What an audit event records (`audit_event.action`): `<entity>.<verb>`. Written by the
    /// services, read by the evaluation's evidence and the reminder sweep.
    AuditAction {
        AgencyCreate => "agency.create",
        AgencyMerge => "agency.merge",
        AgencyUpdate => "agency.update",
        AssignmentCreate => "assignment.create",
        AssignmentDelete => "assignment.delete",
        AssignmentUpdate => "assignment.update",
        AttachmentCreate => "attachment.create",
        AttachmentDelete => "attachment.delete",
        CalendarDaySet => "calendar_day.set",
        CalendarFeedCreate => "calendar_feed.create",
        ContactCreate => "contact.create",
        ContactDelete => "contact.delete",
        ContactUpdate => "contact.update",
        EscalationPolicySet => "escalation_policy.set",
        EvaluationCompute => "evaluation.compute",
        EvaluationCorrect => "evaluation.correct",
        EvaluationPublish => "evaluation.publish",
        EvaluationSchemeCreate => "evaluation_scheme.create",
        EvaluationSchemeUpdate => "evaluation_scheme.update",
        ExtensionDecide => "extension.decide",
        ExtensionRequest => "extension.request",
        IndicatorValueSet => "indicator_value.set",
        ManualAdjustmentCreate => "manual_adjustment.create",
        ManualScoreSet => "manual_score.set",
        OutboxRetry => "outbox.retry",
        PlanCreate => "plan.create",
        PlanDelete => "plan.delete",
        PlanImport => "plan.import",
        PlanUpdate => "plan.update",
        ProgressReportCreate => "progress_report.create",
        RemindersSweep => "reminders.sweep",
        TargetCreate => "target.create",
        TargetDelete => "target.delete",
        TargetUpdate => "target.update",
        TaskCancel => "task.cancel",
        TaskCreate => "task.create",
        TaskDelete => "task.delete",
        TaskExtend => "task.extend",
        TaskProgress => "task.progress",
        TaskReopen => "task.reopen",
        TaskRequestCompletion => "task.request_completion",
        TaskReturn => "task.return",
        TaskStart => "task.start",
        TaskUpdate => "task.update",
        TaskVerify => "task.verify",
        UserCreate => "user.create",
        UserLogin => "user.login",
        UserSetPassword => "user.set_password",
        UserUpdate => "user.update",
    }
}

vocabulary! {
    /// What an evidence attachment (佐证材料) belongs to.
    AttachmentOwner {
        /// A progress report (进展情况).
        ProgressReport => "progress_report",
        /// A completion request (申请办结): its `task.request_completion` audit event.
        CompletionRequest => "completion_request",
        /// An extension request (延期申请).
        ExtensionRequest => "extension_request",
    }
}

vocabulary! {
    /// What changed about a task, as a live update (`taskChanged`) reports it.
    TaskChange {
        /// The task was created.
        Created => "created",
        /// Its code, title, body, outline place, schedule rule or groups.
        Details => "details",
        /// Its status (办理, 申请办结, 销号, 退回 …).
        Status => "status",
        /// Its progress percentage.
        Progress => "progress",
        /// Its deadline (an edit or an approved extension).
        Deadline => "deadline",
        /// Which agencies answer for it, in which role.
        Assignment => "assignment",
        /// The task was deleted (the office's act; `task` is then null).
        Deleted => "deleted",
    }
}
