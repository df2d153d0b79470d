//! The authenticated user behind a request, and the authorisation rules by role and agency.

use crate::domain::UserRole;
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug)]
pub struct Viewer {
    pub user_id: i64,
    pub username: String,
    pub role: UserRole,
    pub agency_id: Option<i64>,
    /// The user's current credential generation: tokens from an earlier one are refused.
    pub token_generation: i32,
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

/// A short-lived cache of viewers by user id, so an authenticated request does not cost a
/// database round trip just to learn who is asking.
///
/// Entries live [`ViewerCache::TTL`]; this process drops an entry at once when the user is
/// changed through it (role, agency, disabled, password). Another replica learns of such a
/// change within the TTL — the bound on how long a disabled account keeps working there.
#[derive(Default)]
pub struct ViewerCache {
    entries: std::sync::Mutex<std::collections::HashMap<i64, (Viewer, std::time::Instant)>>,
}

impl ViewerCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(5);
    const MAX_ENTRIES: usize = 10_000;

    pub fn get(&self, user_id: i64) -> Option<Viewer> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&user_id)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(v, _)| v.clone())
    }

    pub fn put(&self, viewer: Viewer) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::MAX_ENTRIES {
            map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            if map.len() >= Self::MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(viewer.user_id, (viewer, std::time::Instant::now()));
    }

    /// Drops every entry (after changes that move many users, such as an agency merge).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    pub fn forget(&self, user_id: i64) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&user_id);
    }
}
