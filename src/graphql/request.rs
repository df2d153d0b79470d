//! Data the HTTP layer attaches to each GraphQL request: who is asking from where, and what
//! the request has already spent. Defined here, below the server, so that `server` depends on
//! the GraphQL layer and never the other way round.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::AppError;

/// The client's address, for throttling failed credential checks per address.
#[derive(Clone)]
pub struct ClientAddr(pub String);

impl ClientAddr {
    pub fn of<'a>(ctx: &async_graphql::Context<'a>) -> &'a str {
        ctx.data_opt::<ClientAddr>()
            .map(|c| c.0.as_str())
            .unwrap_or("local")
    }
}

/// One credential check (`login`, or `setPassword` with the current password) per HTTP
/// request, shared by a whole batch: each costs an argon2 hash and is a guess, and aliases
/// would otherwise let one request make thousands of them.
#[derive(Default, Clone)]
pub struct CredentialBudget(Arc<AtomicBool>);

impl CredentialBudget {
    /// Takes the request's one credential check.
    ///
    /// # Errors
    /// INVALID_INPUT when this request already made one.
    pub fn spend(ctx: &async_graphql::Context<'_>) -> Result<(), AppError> {
        if let Some(budget) = ctx.data_opt::<CredentialBudget>()
            && budget.0.swap(true, Ordering::SeqCst)
        {
            return Err(AppError::invalid(
                "one credential check (login or setPassword) per request",
            ));
        }
        Ok(())
    }
}

/// The host the request was addressed to (`Host` header), attached by the server so that
/// URLs this API serves itself (calendar feeds) can be built when `DUBAN_API_URL` is unset.
#[derive(Clone, Debug)]
pub struct RequestOrigin(pub String);
