//! What the HTTP layer learns about a request and hands to the resolvers as request data.
//! Defined here, below both `server` and `graphql`, so that neither names the other's types.

/// Marks that this HTTP request already used its one `login` (shared by a whole batch).
#[derive(Default, Clone)]
pub struct LoginBudget(pub std::sync::Arc<std::sync::atomic::AtomicBool>);

/// The client's address, for throttling failed logins per address.
#[derive(Clone)]
pub struct ClientAddr(pub String);

/// The host the request was addressed to (`Host` header), attached by the server so that
/// URLs this API serves itself (calendar feeds) can be built when `DUBAN_API_URL` is unset.
#[derive(Clone, Debug)]
pub struct RequestOrigin(pub String);
