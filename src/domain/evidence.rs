//! Rules for evidence files (佐证材料): which kinds of file are accepted, judged from their
//! content (a client's declared type is not trusted), how a file name is kept, and how it is
//! given back in a download. Pure: no storage, no database.

use crate::error::{AppError, AppResult};

/// How many leading bytes [`sniff`] needs: enough for the Office formats, whose marker is an
/// entry name inside the zip (or the compound file's directory) near the start.
pub const SNIFF_BYTES: usize = 256 * 1024;

/// The accepted media types, with the name the README lists them by.
pub const ACCEPTED: &[(&str, &str)] = &[
    ("application/pdf", "PDF"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word (.docx)",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel (.xlsx)",
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PowerPoint (.pptx)",
    ),
    ("application/msword", "Word 97–2003 (.doc)"),
    ("application/vnd.ms-excel", "Excel 97–2003 (.xls)"),
    ("application/vnd.ms-powerpoint", "PowerPoint 97–2003 (.ppt)"),
    (
        "application/vnd.oasis.opendocument.text",
        "OpenDocument text (.odt)",
    ),
    (
        "application/vnd.oasis.opendocument.spreadsheet",
        "OpenDocument spreadsheet (.ods)",
    ),
    ("image/jpeg", "JPEG"),
    ("image/png", "PNG"),
    ("image/gif", "GIF"),
    ("image/webp", "WebP"),
    ("image/tiff", "TIFF"),
    ("text/plain", "plain text"),
    ("text/csv", "CSV"),
];

/// The media type of a file from its first bytes (up to [`SNIFF_BYTES`]) and, only to tell
/// CSV from other text, its name.
///
/// # Errors
/// UNSUPPORTED_MEDIA_TYPE for content of any other type (executables, archives, HTML …) or
/// an empty file.
pub fn sniff(head: &[u8], file_name: &str) -> AppResult<&'static str> {
    if head.is_empty() {
        return Err(AppError::UnsupportedMediaType("the file is empty".into()));
    }
    let found = match infer::get(head) {
        Some(t) => t.mime_type(),
        None if is_text(head) => {
            if file_name.to_ascii_lowercase().ends_with(".csv") {
                "text/csv"
            } else {
                "text/plain"
            }
        }
        None => "application/octet-stream",
    };
    ACCEPTED
        .iter()
        .find(|(m, _)| *m == found)
        .map(|(m, _)| *m)
        .ok_or_else(|| {
            AppError::UnsupportedMediaType(format!(
                "files of type {found} are not accepted as evidence; accepted: {}",
                ACCEPTED
                    .iter()
                    .map(|(_, n)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// Text in any ASCII-compatible encoding (UTF-8, GBK): no NUL and no control characters
/// other than whitespace. HTML and scripts are text too, but `infer` names them first.
fn is_text(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    !head
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C) || b == 0x7F)
        && !looks_like_markup(head)
}

/// HTML and SVG would run script if a browser were ever made to render them.
fn looks_like_markup(head: &[u8]) -> bool {
    let start: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(64)
        .map(u8::to_ascii_lowercase)
        .collect();
    [
        &b"<!doctype html"[..],
        b"<html",
        b"<svg",
        b"<?xml",
        b"<script",
    ]
    .iter()
    .any(|m| start.starts_with(m))
}

/// The file name to keep: the last segment of what the client sent (browsers on Windows
/// send `C:\…\name`), trimmed, without control characters, at most 255 characters.
///
/// # Errors
/// INVALID_INPUT when nothing usable is left.
pub fn file_name(raw: &str) -> AppResult<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(255)
        .collect();
    if clean.is_empty() || clean == "." || clean == ".." {
        return Err(AppError::invalid("the uploaded file has no usable name"));
    }
    Ok(clean)
}

/// `Content-Disposition: attachment` with the name as RFC 6266 wants it: an ASCII fallback
/// in `filename` and the UTF-8 name percent-encoded in `filename*` (RFC 8187).
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        // attr-char of RFC 8187; everything else is %XX.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_evidence_by_content_not_name() {
        assert_eq!(
            sniff(b"%PDF-1.7\n...", "report.txt").unwrap(),
            "application/pdf"
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "x.pdf").unwrap(),
            "image/png"
        );
        assert_eq!(
            sniff("会议纪要\r\n".as_bytes(), "纪要.txt").unwrap(),
            "text/plain"
        );
        assert_eq!(sniff(b"a,b\n1,2\n", "t.CSV").unwrap(), "text/csv");
        assert_eq!(
            sniff(b"\xEF\xBB\xBFa,b\n", "t.csv").unwrap(),
            "text/csv",
            "a BOM is text"
        );
    }

    #[test]
    fn refuses_other_types() {
        for (bytes, name) in [
            (&b"MZ\x90\0\x03\0\0\0\x04\0"[..], "report.pdf"),
            (b"\x7fELF\x02\x01\x01\0", "a.txt"),
            (b"<!DOCTYPE html><script>", "a.txt"),
            (b"  <svg xmlns=", "a.txt"),
            (b"PK\x03\x04\x14\0\0\0\0\0", "a.docx"),
            (b"ab\0cd", "a.txt"),
            (b"", "a.txt"),
        ] {
            let e = sniff(bytes, name).unwrap_err();
            assert_eq!(e.code(), "UNSUPPORTED_MEDIA_TYPE", "{name}: {bytes:?}");
        }
    }

    #[test]
    fn file_names() {
        assert_eq!(
            file_name("C:\\Users\\x\\会议纪要.pdf").unwrap(),
            "会议纪要.pdf"
        );
        assert_eq!(file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(file_name(" a\u{0}b.txt ").unwrap(), "ab.txt");
        assert!(file_name("dir/").is_err());
        assert!(file_name("..").is_err());
        assert_eq!(file_name(&"名".repeat(300)).unwrap().chars().count(), 255);
    }

    #[test]
    fn content_disposition_keeps_the_name() {
        assert_eq!(
            content_disposition("会议 纪要\".pdf"),
            "attachment; filename=\"__ ___.pdf\"; \
             filename*=UTF-8''%E4%BC%9A%E8%AE%AE%20%E7%BA%AA%E8%A6%81%22.pdf"
        );
        assert_eq!(
            content_disposition("a.pdf"),
            "attachment; filename=\"a.pdf\"; filename*=UTF-8''a.pdf"
        );
    }
}
