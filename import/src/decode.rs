//! Format and encoding detection: by content, never by file name.
//!
//! * zip (`PK\x03\x04`) → look inside: `word/document.xml` is a .docx,
//!   `xl/workbook.xml` an .xlsx;
//! * OLE2 compound file (`D0 CF 11 E0 A1 B1 1A E1`) → a Word 97–2003 .doc
//!   (what else it is, .xls or .ppt, is told when it is opened);
//! * PDF, images → unsupported;
//! * anything else is text: UTF-8 (with or without BOM), UTF-16 with BOM, or
//!   GB18030/GBK; mixed files are decoded line by line; binary garbage is
//!   rejected.

use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};

use crate::error::ImportError;

/// What the bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    Docx,
    Xlsx,
    /// A compound file (OLE2): read as .doc, refused if it is another one.
    Doc,
    Text,
}

/// Detects the format from magic bytes and, for zips, the entries inside.
pub fn detect_format(bytes: &[u8]) -> Result<Format, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| ImportError::BrokenDocument(format!("zip: {e}")))?;
        let names: Vec<&str> = zip.file_names().collect();
        if names.contains(&"word/document.xml") {
            return Ok(Format::Docx);
        }
        if names.contains(&"xl/workbook.xml") {
            return Ok(Format::Xlsx);
        }
        return Err(ImportError::UnsupportedFormat(
            "zip archive that is neither .docx nor .xlsx".into(),
        ));
    }
    if bytes.starts_with(b"%PDF") {
        return Err(ImportError::UnsupportedFormat("PDF".into()));
    }
    if bytes.starts_with(&crate::doc::CFB_MAGIC) {
        return Ok(Format::Doc);
    }
    for (magic, what) in [
        (&b"\x89PNG"[..], "PNG image"),
        (&b"\xFF\xD8\xFF"[..], "JPEG image"),
        (&b"GIF8"[..], "GIF image"),
        (&b"{\\rtf"[..], "RTF"),
    ] {
        if bytes.starts_with(magic) {
            return Err(ImportError::UnsupportedFormat(what.into()));
        }
    }
    Ok(Format::Text)
}

/// Decodes text bytes: BOMs, UTF-8, GB18030; rejects binary data.
pub fn decode_text(bytes: &[u8]) -> Result<String, ImportError> {
    let text = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        decode_utf8_or_mixed(rest)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let (s, _, had_errors) = UTF_16LE.decode(rest);
        if had_errors {
            return Err(ImportError::UnsupportedEncoding);
        }
        s.into_owned()
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let (s, _, had_errors) = UTF_16BE.decode(rest);
        if had_errors {
            return Err(ImportError::UnsupportedEncoding);
        }
        s.into_owned()
    } else {
        decode_utf8_or_mixed(bytes)?
    };
    check_not_binary(&text)?;
    Ok(text)
}

fn decode_utf8_or_mixed(bytes: &[u8]) -> Result<String, ImportError> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    // Not UTF-8 as a whole: GB18030/GBK, or a file mixing both line by line
    // (0x0A never occurs inside a GB18030 multi-byte sequence, so splitting on
    // it is safe for both). A line valid in both encodings (short GBK text can
    // happen to be valid UTF-8) is read as GBK when its byte pairs are mostly
    // common GB2312 characters, which UTF-8 Chinese read as pairs is not.
    let mut out = String::with_capacity(bytes.len());
    let mut bad_lines = 0usize;
    let mut lines = 0usize;
    for line in bytes.split(|&b| b == b'\n') {
        lines += 1;
        if lines > 1 {
            out.push('\n');
        }
        if line.is_ascii() {
            // ASCII is the same in both.
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            continue;
        }
        let (gbk, gbk_err) = GB18030.decode_without_bom_handling(line);
        match std::str::from_utf8(line) {
            Ok(s) if gbk_err || !looks_like_gb2312(line) => out.push_str(s),
            _ => {
                // Bad bytes (a truncated file, a stray byte) are tolerated on a
                // few lines, as replacement characters.
                if gbk_err {
                    // A line with a stray byte or two among readable text (a
                    // file cut mid-character) is kept; a line of junk counts.
                    let repl = gbk.chars().filter(|&c| c == '\u{fffd}').count();
                    let n = gbk.chars().count();
                    if repl > 2 || repl * 4 > n {
                        bad_lines += 1;
                    }
                }
                out.push_str(&gbk);
            }
        }
    }
    if bad_lines * 20 > lines || bad_lines > 50 {
        return Err(ImportError::UnsupportedEncoding);
    }
    Ok(out)
}

/// Are most non-ASCII byte pairs of the line GB2312 punctuation or level-1
/// (common) characters (lead 0xA1–0xD7, trail 0xA1–0xFE)? True for GBK
/// Chinese text; UTF-8 Chinese read in pairs has lead bytes 0xE4–0xE9 or
/// continuation bytes below 0xC0 paired with continuation bytes, mostly not.
fn looks_like_gb2312(line: &[u8]) -> bool {
    let (mut pairs, mut common) = (0usize, 0usize);
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        let t = line.get(i + 1).copied().unwrap_or(0);
        pairs += 1;
        if (0xA1..=0xD7).contains(&b) && (0xA1..=0xFE).contains(&t) {
            common += 1;
        }
        i += 2;
    }
    pairs > 0 && common * 10 >= pairs * 7
}

/// Binary data decoded "successfully" is full of control characters and
/// replacement characters; real plan text has almost none.
fn check_not_binary(text: &str) -> Result<(), ImportError> {
    let mut total = 0usize;
    let mut bad = 0usize;
    for c in text.chars().take(200_000) {
        total += 1;
        if c == '\u{fffd}'
            || c == '\0'
            || (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        {
            bad += 1;
        }
    }
    if total > 0 && bad * 100 > total {
        return Err(ImportError::BrokenDocument(
            "binary data (control characters) in a text document".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode_text("方案".as_bytes()).unwrap(), "方案");
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("方案".as_bytes());
        assert_eq!(decode_text(&b).unwrap(), "方案");
    }

    #[test]
    fn gbk_text() {
        let (bytes, _, _) = GB18030.encode("（市生态环境局牵头负责）");
        assert_eq!(decode_text(&bytes).unwrap(), "（市生态环境局牵头负责）");
    }

    #[test]
    fn utf16_with_bom() {
        let mut b = vec![0xFF, 0xFE];
        for u in "方案".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode_text(&b).unwrap(), "方案");
    }

    #[test]
    fn mixed_encodings_line_by_line() {
        let mut b = "第一行UTF-8内容\n".as_bytes().to_vec();
        let (gbk, _, _) = GB18030.encode("第二行是GBK编码\n");
        b.extend_from_slice(&gbk);
        let s = decode_text(&b).unwrap();
        assert!(s.contains("第一行UTF-8内容"));
        assert!(s.contains("第二行是GBK编码"));
    }

    #[test]
    fn gbk_lines_that_are_valid_utf8_are_read_as_gbk() {
        // `实施协同` in GBK is also valid UTF-8 (as Cyrillic-like letters).
        let (amb, _, _) = GB18030.encode("实施协同");
        assert!(std::str::from_utf8(&amb).is_ok());
        let mut b = GB18030
            .encode("一、总体要求\n坚持系统观念。\n")
            .0
            .into_owned();
        b.extend_from_slice(&amb);
        b.extend_from_slice(b"\n");
        let s = decode_text(&b).unwrap();
        assert!(s.contains("实施协同"), "{s}");
        // A real UTF-8 line among GBK lines stays UTF-8.
        let mut b = GB18030.encode("一、总体要求\n").0.into_owned();
        b.extend_from_slice("二、重点任务推进节能降碳\n".as_bytes());
        let s = decode_text(&b).unwrap();
        assert!(s.contains("二、重点任务推进节能降碳"), "{s}");
    }

    #[test]
    fn truncated_gbk_file_is_tolerated() {
        let text = "一、总体要求\n坚持系统观念,推进节能降碳。\n".repeat(5) + "二、重点任务";
        let (b, _, _) = GB18030.encode(&text);
        let cut = &b[..b.len() - 1];
        let s = decode_text(cut).unwrap();
        assert!(s.starts_with("一、总体要求"));
        assert!(s.contains("二、重点"));
    }

    #[test]
    fn binary_is_rejected() {
        let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert!(decode_text(&bytes).is_err());
        assert!(decode_text(&[0u8; 100]).is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(
            detect_format(b"%PDF-1.7").unwrap_err().code(),
            "UNSUPPORTED_FORMAT"
        );
        assert_eq!(
            detect_format(b"PK\x03\x04garbage").unwrap_err().code(),
            "BROKEN_DOCUMENT"
        );
        assert_eq!(
            detect_format("一、总体要求".as_bytes()).unwrap(),
            Format::Text
        );
    }
}
