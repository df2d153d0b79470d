//! Who is asking: passwords, tokens, the viewer and its role, login throttling.
pub mod actor;
pub mod password;
pub mod throttle;
pub mod token;
pub mod viewer;

pub use actor::Actor;
pub use token::{Claims, TokenKeys};
pub use viewer::{Viewer, ViewerCache};
