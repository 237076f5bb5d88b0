//! Telling a file's kind by its first bytes (magic numbers), and checking
//! that text stays text to its end.

use super::{Kind, Refused};

/// The kind of a file whose first bytes are `head` (its first chunk, or the
/// whole file when `complete`); `name` only chooses between kinds the
/// content cannot tell apart (CSV or text, the old office formats).
pub fn detect(head: &[u8], complete: bool, name: &str) -> Result<Kind, Refused> {
    if head.is_empty() {
        return Err(Refused::Empty);
    }
    let ext = extension(name);
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Kind::Png);
    }
    if head.starts_with(b"\xff\xd8\xff") {
        return Ok(Kind::Jpeg);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Ok(Kind::Gif);
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        return Ok(Kind::Webp);
    }
    if head.starts_with(b"%PDF-") {
        return Ok(Kind::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") {
        return zipped_office(head);
    }
    if head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        // An OLE compound file: Word, Excel, PowerPoint, but also installers
        // (.msi); only the office endings are taken.
        return match ext.as_str() {
            "doc" => Ok(Kind::Doc),
            "xls" => Ok(Kind::Xls),
            "ppt" => Ok(Kind::Ppt),
            _ => Err(Refused::Unknown),
        };
    }
    if is_program(head) {
        return Err(Refused::Program);
    }
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if !is_text(body, complete) {
        return Err(Refused::Unknown);
    }
    if let Some(markup) = markup(body) {
        return Err(markup);
    }
    Ok(if matches!(ext.as_str(), "csv" | "tsv") {
        Kind::Csv
    } else {
        Kind::Text
    })
}

/// The lower-case ending of a file name (`"Shot.PNG"` → `"png"`).
pub(super) fn extension(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.trim().to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Windows (MZ), Linux (ELF), macOS (Mach-O, fat) programs and `#!` scripts.
fn is_program(head: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[
        b"MZ",
        b"\x7fELF",
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
        b"#!",
    ];
    MAGIC.iter().any(|m| head.starts_with(m))
}

/// UTF-8 without NUL; an unfinished character at the end is allowed when
/// more bytes follow.
fn is_text(bytes: &[u8], complete: bool) -> bool {
    if bytes.contains(&0) {
        return false;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => !complete && e.error_len().is_none(),
    }
}

/// A text that starts as markup and is a web page or an SVG drawing.
fn markup(text: &[u8]) -> Option<Refused> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    if text[start] != b'<' {
        return None;
    }
    let lower: Vec<u8> = text[start..]
        .iter()
        .take(64 * 1024)
        .map(u8::to_ascii_lowercase)
        .collect();
    let has = |needle: &[u8]| lower.windows(needle.len()).any(|w| w == needle);
    if has(b"<svg") {
        return Some(Refused::Svg);
    }
    const HTML: &[&[u8]] = &[
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<body",
        b"<script",
        b"<iframe",
        b"<object",
        b"<embed",
        b"<meta",
        b"<style",
        b"<img",
        b"<a ",
        b"<div",
        b"<form",
        b"xmlns=\"http://www.w3.org/1999/xhtml\"",
    ];
    HTML.iter().any(|n| has(n)).then_some(Refused::Html)
}

/// A zip is an office document when it says so: OOXML by its
/// `[Content_Types].xml` and its main folder, ODF by its `mimetype` entry.
/// Other zips (archives, Java, Android or Windows app packages) are refused.
fn zipped_office(head: &[u8]) -> Result<Kind, Refused> {
    let entries = zip_entries(head);
    if let Some((name, data)) = entries.first()
        && name.as_slice() == b"mimetype"
    {
        return match data.as_slice() {
            b"application/vnd.oasis.opendocument.text" => Ok(Kind::Odt),
            b"application/vnd.oasis.opendocument.spreadsheet" => Ok(Kind::Ods),
            b"application/vnd.oasis.opendocument.presentation" => Ok(Kind::Odp),
            _ => Err(Refused::Unknown),
        };
    }
    let names: Vec<&[u8]> = entries.iter().map(|(n, _)| n.as_slice()).collect();
    if !names.contains(&b"[Content_Types].xml".as_slice()) {
        return Err(Refused::Unknown);
    }
    if names.iter().any(|n| n.ends_with(b"vbaProject.bin")) {
        return Err(Refused::Macros);
    }
    for name in names {
        let kind = if name.starts_with(b"word/") {
            Kind::Docx
        } else if name.starts_with(b"xl/") {
            Kind::Xlsx
        } else if name.starts_with(b"ppt/") {
            Kind::Pptx
        } else {
            continue;
        };
        return Ok(kind);
    }
    Err(Refused::Unknown)
}

/// The local entries of a zip found in `head`: each name, and its data when
/// it is stored uncompressed and short (the ODF `mimetype`). Walks the local
/// headers one after another; stops where one is cut off or unreadable.
fn zip_entries(head: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let u16_at = |i: usize| head.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u32_at = |i: usize| {
        head.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let mut out = Vec::new();
    let mut at = 0usize;
    while head.get(at..at + 4) == Some(b"PK\x03\x04".as_slice()) && out.len() < 64 {
        let (Some(flags), Some(method), Some(size), Some(name_len), Some(extra_len)) = (
            u16_at(at + 6),
            u16_at(at + 8),
            u32_at(at + 18),
            u16_at(at + 26),
            u16_at(at + 28),
        ) else {
            break;
        };
        let name_start = at + 30;
        let Some(name) = head.get(name_start..name_start + name_len) else {
            break;
        };
        let data_start = name_start + name_len + extra_len;
        let data = match (method, head.get(data_start..data_start + size)) {
            (0, Some(d)) if size <= 128 => d.to_vec(),
            _ => Vec::new(),
        };
        out.push((name.to_vec(), data));
        at = if flags & 0x08 != 0 {
            // The size is written after the data (flag bit 3): the next
            // entry starts at the next local header's signature.
            match head
                .get(data_start..)
                .and_then(|rest| rest.windows(4).position(|w| w == b"PK\x03\x04"))
            {
                Some(i) => data_start + i,
                None => break,
            }
        } else {
            data_start + size
        };
    }
    out
}

/// Checks that a text file stays UTF-8 without NUL across chunks: an
/// unfinished character at a chunk's end is carried to the next.
#[derive(Debug, Default)]
pub struct TextCheck {
    carry: Vec<u8>,
}

impl TextCheck {
    /// False as soon as the bytes are not text.
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        let mut joined = std::mem::take(&mut self.carry);
        joined.extend_from_slice(bytes);
        if joined.contains(&0) {
            return false;
        }
        match std::str::from_utf8(&joined) {
            Ok(_) => true,
            Err(e) if e.error_len().is_none() => {
                self.carry = joined[e.valid_up_to()..].to_vec();
                true
            }
            Err(_) => false,
        }
    }

    /// True when the text ended on a whole character.
    pub fn end(&self) -> bool {
        self.carry.is_empty()
    }
}
