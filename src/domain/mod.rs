//! Pure domain types and rules: no database, no clock (time is passed in).
pub mod calendar;
pub mod deadline;
pub mod evidence;
pub mod global_id;
pub mod kinds;
pub mod light;
pub mod order;
pub mod status;
pub mod text;
pub mod time;

pub use deadline::{Deadline, Precision};
pub use kinds::*;
pub use light::{Light, traffic_light};
pub use order::{OrderDirection, TaskOrderField};
pub use status::{TaskAction, TaskStatus};
