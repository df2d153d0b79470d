//! The authenticated user behind a request, and the authorisation rules by role and agency.

use crate::domain::UserRole;
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug)]
pub struct Viewer {
    pub user_id: i64,
    pub username: String,
    pub role: UserRole,
    pub agency_id: Option<i64>,
}

impl Viewer {
    /// The office (领导小组办公室) may do everything.
    pub fn require_office(&self) -> AppResult<()> {
        if self.role == UserRole::Office {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "only the leadership-group office may do this",
            ))
        }
    }

    /// Office or leader: read-everything roles.
    pub fn can_read_all(&self) -> bool {
        matches!(self.role, UserRole::Office | UserRole::Leader)
    }

    /// The agency an AGENCY user acts for; FORBIDDEN for other roles.
    pub fn require_agency_staff(&self) -> AppResult<i64> {
        match (self.role, self.agency_id) {
            (UserRole::Agency, Some(a)) => Ok(a),
            _ => Err(AppError::forbidden(
                "only agency staff may do this, in their agency's name",
            )),
        }
    }

    /// Label for the audit trail.
    pub fn actor_name(&self) -> String {
        self.username.clone()
    }
}
