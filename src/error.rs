//! One error type for the whole service, with stable machine codes.
//!
//! Clients see `extensions.code` (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, INVALID_INPUT, CONFLICT,
//! INVALID_TRANSITION, INTERNAL, and for a plan document that cannot be imported the parser's
//! reason: EMPTY_DOCUMENT, UNSUPPORTED_ENCODING, BROKEN_DOCUMENT, UNSUPPORTED_FORMAT, TOO_LARGE,
//! TOO_MANY_TASKS, NO_TASKS). Internal causes are logged with their chain and never shown.

use async_graphql::ErrorExtensions;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthenticated,
    /// Login refused; the same for an unknown user and a wrong password.
    #[error("invalid username or password")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    InvalidTransition(String),
    /// A plan document the importer refuses; `code` is its stable reason (the import crate's
    /// `ImportError::code`, e.g. BROKEN_DOCUMENT), so a client can tell an empty file from a
    /// damaged one without reading the message.
    #[error("{message}")]
    Document { code: &'static str, message: String },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated | AppError::BadCredentials => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::InvalidInput(_) => "INVALID_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::InvalidTransition(_) => "INVALID_TRANSITION",
            AppError::Document { code, .. } => code,
            AppError::Internal(_) => "INTERNAL",
        }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(e))
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        AppError::InvalidInput(msg.into())
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        AppError::Forbidden(msg.into())
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        AppError::NotFound(format!("{what} {id} not found"))
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        // A unique-constraint violation is the client's concern (a duplicate), not ours.
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) = e.sql_err() {
            return AppError::Conflict(format!("duplicate value: {detail}"));
        }
        // SQLite reports a violated foreign key at commit or statement end as a plain
        // "FOREIGN KEY constraint failed" that `sql_err` does not classify.
        let sqlite_fk = e.to_string().contains("FOREIGN KEY constraint failed");
        if sqlite_fk
            || matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
            )
        {
            return AppError::Conflict(
                "the record is still referenced by others (progress reports, extension requests, \
                 supervision records or evaluation data are kept as evidence): cancel or archive \
                 it instead of deleting it"
                    .into(),
            );
        }
        AppError::internal(e)
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        if let AppError::Internal(cause) = self {
            let mut chain = cause.to_string();
            let mut src = cause.source();
            while let Some(s) = src {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                src = s.source();
            }
            tracing::error!(error = %chain, "internal error");
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, e| e.set("code", self.code()))
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        e.extend()
    }
}
