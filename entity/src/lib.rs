//! sea-orm entities of duban. Plain models only: behaviour lives in `duban::services`,
//! GraphQL types in `duban::graphql`.
pub mod by_position;

pub mod agency;
pub mod assignment;
pub mod attachment;
pub mod audit_event;
pub mod calendar_day;
pub mod calendar_feed_token;
pub mod contact;
pub mod doc_sequence;
pub mod escalation_policy;
pub mod evaluation;
pub mod evaluation_result;
pub mod evaluation_scheme;
pub mod extension_request;
pub mod indicator_value;
pub mod manual_adjustment;
pub mod manual_score;
pub mod outbox_attachment;
pub mod outbox_message;
pub mod plan;
pub mod progress_report;
pub mod supervision_document;
pub mod supervision_record;
pub mod target;
pub mod task;
pub mod user;

#[cfg(test)]
mod tests {
    use crate::by_position::FromRowByPosition;
    use sea_orm::{EntityTrait, IdenStatic, Iterable};

    /// Every positional decoder reads the columns in the order a select lists them.
    fn same_order<E: EntityTrait>()
    where
        E::Model: FromRowByPosition,
    {
        let columns: Vec<&str> = E::Column::iter().map(|c| c.as_str()).collect();
        assert_eq!(columns, <E::Model as FromRowByPosition>::FIELDS);
    }

    #[test]
    fn positional_decoders_follow_the_column_order() {
        same_order::<crate::task::Entity>();
        same_order::<crate::assignment::Entity>();
        same_order::<crate::plan::Entity>();
    }
}
