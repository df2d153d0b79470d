//! Who is asking: passwords, tokens, the viewer and its role, login throttling.
pub mod password;
pub mod throttle;
pub mod token;
pub mod viewer;

pub use token::{Claims, TokenKeys};
pub use viewer::{Viewer, ViewerCache};
