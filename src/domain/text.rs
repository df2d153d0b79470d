//! Bounds on user-supplied text, so oversized strings are refused before they reach the database.

use crate::error::AppError;

/// Names, titles of agencies and people, codes.
pub const SHORT: usize = 200;
/// Task titles and indicators.
pub const MEDIUM: usize = 2_000;
/// Bodies, report texts, reasons.
pub const LONG: usize = 20_000;

/// Trims `value` and checks it is non-empty and at most `max` characters.
///
/// # Errors
/// `INVALID_INPUT` naming the field.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid(format!("{field} must not be empty")));
    }
    bounded(field, v, max).map(str::to_owned)
}

/// Like [`required`] but an absent or blank value is `None`.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => bounded(field, v, max).map(|v| Some(v.to_owned())),
    }
}

fn bounded<'a>(field: &str, v: &'a str, max: usize) -> Result<&'a str, AppError> {
    let n = v.chars().count();
    if n > max {
        return Err(AppError::invalid(format!(
            "{field} is too long ({n} characters, at most {max})"
        )));
    }
    if v.chars().any(|c| c == '\0') {
        return Err(AppError::invalid(format!(
            "{field} contains a NUL character"
        )));
    }
    Ok(v)
}

/// A plausible e-mail address (one `@`, a dot in the domain, no spaces); lettre re-checks on send.
pub fn email(field: &str, value: &str) -> Result<String, AppError> {
    let v = required(field, value, SHORT)?;
    let ok = v.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
    }) && !v.chars().any(char::is_whitespace);
    if !ok {
        return Err(AppError::invalid(format!(
            "{field} is not an e-mail address: {v:?}"
        )));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(required("title", "  督办  ", 10).unwrap(), "督办");
        assert!(required("title", "   ", 10).is_err());
        assert!(required("title", &"办".repeat(11), 10).is_err());
        assert_eq!(optional("note", Some(" "), 10).unwrap(), None);
        assert!(email("email", "liaison@example.gov.cn").is_ok());
        assert!(email("email", "no-at-sign").is_err());
        assert!(email("email", "a@b").is_err());
    }
}
