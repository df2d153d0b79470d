//! Global object ids (the Relay spec's object identification): one opaque string per row of
//! any type, so a client cache can key every object by `id` alone and refetch it with
//! `node(id:)`.
//!
//! The id is `base64url("<Type>:<row id>")` without padding, e.g. `VGFzazoxMg` for task 12:
//! URL-safe, so the same id works in `/files/{id}` and query strings. Clients must treat it
//! as opaque; the encoding is documented only so that logs can be read.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Longest id accepted for decoding: a type name and a 19-digit number encode well below it.
const MAX_ENCODED: usize = 96;

/// The global id of row `row` of GraphQL type `type_name`.
#[must_use]
pub fn encode(type_name: &str, row: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{type_name}:{row}"))
}

/// The type name and row id inside a global id, or `None` when `id` is not one (a bare
/// integer, garbage, a non-positive row).
#[must_use]
pub fn decode(id: &str) -> Option<(String, i64)> {
    let id = id.trim().trim_end_matches('=');
    if id.is_empty() || id.len() > MAX_ENCODED {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (kind, row) = text.split_once(':')?;
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let row: i64 = row.parse().ok().filter(|r| *r > 0)?;
    Some((kind.to_owned(), row))
}

/// The GraphQL type name for a lower-case description such as `"extension request"` or
/// `"supervision_record"`: `ExtensionRequest`, `SupervisionRecord`.
#[must_use]
pub fn type_name_of(what: &str) -> String {
    what.split([' ', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map(|c| c.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let id = encode("Task", 12);
        assert_eq!(decode(&id), Some(("Task".to_owned(), 12)));
        assert!(!id.contains(['+', '/', '=']));
    }

    #[test]
    fn refuses_what_is_not_a_global_id() {
        assert_eq!(decode("12"), None);
        assert_eq!(decode(""), None);
        assert_eq!(decode(&encode("Task", 0)), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("Task:-3")), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode(":3")), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("Ta sk:3")), None);
        assert_eq!(decode(&"A".repeat(10_000)), None);
        // Padded input, as a client's generic base64 would write it, is accepted.
        assert_eq!(decode("VGFzazoxMg=="), Some(("Task".to_owned(), 12)));
    }

    #[test]
    fn type_names() {
        assert_eq!(type_name_of("task"), "Task");
        assert_eq!(type_name_of("extension request"), "ExtensionRequest");
        assert_eq!(type_name_of("supervision_record"), "SupervisionRecord");
    }
}
