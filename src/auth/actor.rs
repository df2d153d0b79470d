//! Who acts on a use case: a signed-in user, or the system itself (the seeder, the command
//! line, the background worker). Named at every call site, so that authorisation is never
//! skipped by leaving a viewer out.

use super::Viewer;

/// The actor of a service call.
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    /// A signed-in user: the service checks what they may do.
    User(&'a Viewer),
    /// The system (seeds, the command line, the worker): trusted, audited as `system`.
    System,
}

impl<'a> Actor<'a> {
    /// The user, if a user acts.
    pub fn user(self) -> Option<&'a Viewer> {
        match self {
            Actor::User(v) => Some(v),
            Actor::System => None,
        }
    }
}

impl<'a> From<&'a Viewer> for Actor<'a> {
    fn from(v: &'a Viewer) -> Self {
        Actor::User(v)
    }
}
