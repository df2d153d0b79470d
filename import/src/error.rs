//! Errors of the importer. Every variant has a stable machine code (`code()`)
//! so the service can map it to an API error without parsing English text.

use thiserror::Error;

/// Why a document could not be imported at all. Problems that still allow a
/// (partial) import are reported as [`crate::Warning`]s instead.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The input is empty or contains only whitespace / boilerplate.
    #[error("the document is empty")]
    EmptyDocument,
    /// Text that is neither valid UTF-8 nor GB18030/GBK.
    #[error("the text encoding is not supported (expected UTF-8 or GB18030/GBK)")]
    UnsupportedEncoding,
    /// A container (zip, docx, xlsx) or text that is damaged or binary garbage.
    #[error("the document is broken: {0}")]
    BrokenDocument(String),
    /// A recognised but unsupported format (PDF, legacy .doc/.xls, images …).
    #[error("unsupported document format: {0}")]
    UnsupportedFormat(String),
    /// Input larger than [`crate::MAX_INPUT_BYTES`].
    #[error("the document is too large ({0} bytes; the limit is {1} bytes)")]
    TooLarge(usize, usize),
    /// A part of the document is too large once unpacked: a zip member that
    /// decompresses beyond [`crate::MAX_ZIP_MEMBER_BYTES`], or a sheet whose
    /// cells span more than [`crate::MAX_SHEET_CELLS`] cells.
    #[error("the document is too large: {0}")]
    TooLargeContent(String),
    /// The plan holds more tasks than [`crate::MAX_TASKS`].
    #[error("the document holds {0} tasks; the limit is {1}")]
    TooManyTasks(usize, usize),
    /// The document decoded fine but no task could be found in it.
    #[error("no tasks were found in the document")]
    NoTasks,
    /// The agency registry JSON could not be read.
    #[error("the agency registry is invalid: {0}")]
    BadRegistry(String),
}

impl ImportError {
    /// Stable, upper-snake-case code for API responses and tests.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::EmptyDocument => "EMPTY_DOCUMENT",
            ImportError::UnsupportedEncoding => "UNSUPPORTED_ENCODING",
            ImportError::BrokenDocument(_) => "BROKEN_DOCUMENT",
            ImportError::UnsupportedFormat(_) => "UNSUPPORTED_FORMAT",
            ImportError::TooLarge(_, _) | ImportError::TooLargeContent(_) => "TOO_LARGE",
            ImportError::TooManyTasks(_, _) => "TOO_MANY_TASKS",
            ImportError::NoTasks => "NO_TASKS",
            ImportError::BadRegistry(_) => "BAD_REGISTRY",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(ImportError::EmptyDocument.code(), "EMPTY_DOCUMENT");
        assert_eq!(
            ImportError::UnsupportedEncoding.code(),
            "UNSUPPORTED_ENCODING"
        );
        assert_eq!(
            ImportError::BrokenDocument("x".into()).code(),
            "BROKEN_DOCUMENT"
        );
        assert_eq!(
            ImportError::UnsupportedFormat("pdf".into()).code(),
            "UNSUPPORTED_FORMAT"
        );
        assert_eq!(ImportError::TooLarge(2, 1).code(), "TOO_LARGE");
        assert_eq!(ImportError::TooLargeContent("x".into()).code(), "TOO_LARGE");
        assert_eq!(ImportError::TooManyTasks(2, 1).code(), "TOO_MANY_TASKS");
        assert_eq!(ImportError::NoTasks.code(), "NO_TASKS");
        assert_eq!(ImportError::BadRegistry("x".into()).code(), "BAD_REGISTRY");
    }
}
