//! Attachments: what a file is, told by its content (never by the name or
//! the type a browser sent), and the intake that checks a file as it streams
//! in, chunk by chunk. Accepted: images (PNG, JPEG, GIF, WebP), PDF, plain
//! text and CSV (UTF-8 without NUL), and office documents (OOXML, ODF, the
//! old OLE formats). Web pages, SVG drawings, programs and anything unknown
//! are refused, with a message that names what is accepted.

mod detect;
mod name;
#[cfg(test)]
mod tests;

use sha2::{Digest, Sha256};

pub use detect::{TextCheck, detect};
pub use name::{content_disposition, safe_name};

use super::Msg;

/// The most bytes one stored chunk holds (DESIGN §15).
pub const CHUNK: usize = 256 * 1024;

/// An accepted kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
    Text,
    Csv,
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Ods,
    Odp,
    Doc,
    Xls,
    Ppt,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Png,
        Kind::Jpeg,
        Kind::Gif,
        Kind::Webp,
        Kind::Pdf,
        Kind::Text,
        Kind::Csv,
        Kind::Docx,
        Kind::Xlsx,
        Kind::Pptx,
        Kind::Odt,
        Kind::Ods,
        Kind::Odp,
        Kind::Doc,
        Kind::Xls,
        Kind::Ppt,
    ];

    /// The type it is served as: never HTML or SVG, text always UTF-8.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Gif => "image/gif",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
            Kind::Text => "text/plain; charset=utf-8",
            Kind::Csv => "text/csv; charset=utf-8",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            Kind::Odt => "application/vnd.oasis.opendocument.text",
            Kind::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Kind::Odp => "application/vnd.oasis.opendocument.presentation",
            Kind::Doc => "application/msword",
            Kind::Xls => "application/vnd.ms-excel",
            Kind::Ppt => "application/vnd.ms-powerpoint",
        }
    }

    /// The file name endings that fit it, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Png => &["png"],
            Kind::Jpeg => &["jpg", "jpeg", "jfif"],
            Kind::Gif => &["gif"],
            Kind::Webp => &["webp"],
            Kind::Pdf => &["pdf"],
            Kind::Text => &["txt", "log", "md", "text"],
            Kind::Csv => &["csv", "tsv"],
            Kind::Docx => &["docx"],
            Kind::Xlsx => &["xlsx"],
            Kind::Pptx => &["pptx"],
            Kind::Odt => &["odt"],
            Kind::Ods => &["ods"],
            Kind::Odp => &["odp"],
            Kind::Doc => &["doc"],
            Kind::Xls => &["xls"],
            Kind::Ppt => &["ppt"],
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, Kind::Text | Kind::Csv)
    }

    /// Images a page may show as a small preview (`<img>` never runs script).
    pub fn is_image(self) -> bool {
        matches!(self, Kind::Png | Kind::Jpeg | Kind::Gif | Kind::Webp)
    }
}

/// Why a file is refused, as a message for the person who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Empty,
    Html,
    Svg,
    Program,
    Macros,
    Unknown,
    TooLarge,
}

impl Refused {
    /// The message for `name`; `limit` is the largest size, as configured ("10 MB").
    pub fn message(self, name: &str, limit: &str) -> Msg {
        match self {
            Refused::Empty => crate::msg!("{name} is empty: choose the file again", name),
            Refused::Html => crate::msg!(
                "{name} is a web page (HTML), which is not accepted. Accepted are images (PNG, JPEG, GIF, WebP), PDF, plain text and CSV, and office documents (Word, Excel, PowerPoint, OpenDocument).",
                name
            ),
            Refused::Svg => crate::msg!(
                "{name} is an SVG drawing, which is not accepted. Accepted are images (PNG, JPEG, GIF, WebP), PDF, plain text and CSV, and office documents (Word, Excel, PowerPoint, OpenDocument).",
                name
            ),
            Refused::Program => crate::msg!(
                "{name} is a program or script, which is not accepted. Accepted are images (PNG, JPEG, GIF, WebP), PDF, plain text and CSV, and office documents (Word, Excel, PowerPoint, OpenDocument).",
                name
            ),
            Refused::Macros => crate::msg!(
                "{name} contains macros, which are not accepted: save it as a document without macros",
                name
            ),
            Refused::Unknown => crate::msg!(
                "The type of {name} is not accepted. Accepted are images (PNG, JPEG, GIF, WebP), PDF, plain text and CSV, and office documents (Word, Excel, PowerPoint, OpenDocument).",
                name
            ),
            Refused::TooLarge => crate::msg!(
                "{name} is larger than {limit}, the most an attachment may be",
                name,
                limit
            ),
        }
    }
}

/// A file checked as it streams in: counts and hashes its bytes, cuts them
/// into chunks of [`CHUNK`] bytes to store, tells its kind from the first
/// chunk and keeps checking text to the end. Holds at most one chunk plus
/// what was pushed last.
pub struct Intake {
    limit: u64,
    size: u64,
    buf: Vec<u8>,
    kind: Option<Kind>,
    name: String,
    text: TextCheck,
    sha: Sha256,
}

/// A file that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub kind: Kind,
    /// The name to store and offer: safe, with an ending that fits its kind.
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

impl Intake {
    /// `name` is the file name as the browser sent it; `limit` the most bytes.
    pub fn new(name: &str, limit: u64) -> Intake {
        Intake {
            limit,
            size: 0,
            buf: Vec::new(),
            kind: None,
            name: name.to_string(),
            text: TextCheck::default(),
            sha: Sha256::new(),
        }
    }

    /// Bytes so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Takes the next bytes; the chunks now full, to store in order.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, Refused> {
        self.size += bytes.len() as u64;
        if self.size > self.limit {
            return Err(Refused::TooLarge);
        }
        self.buf.extend_from_slice(bytes);
        let mut full = Vec::new();
        while self.buf.len() >= CHUNK {
            let rest = self.buf.split_off(CHUNK);
            let chunk = std::mem::replace(&mut self.buf, rest);
            self.check(&chunk, false)?;
            full.push(chunk);
        }
        Ok(full)
    }

    /// The end of the file: its last chunk (empty when none is left) and what it is.
    pub fn finish(mut self) -> Result<(Vec<u8>, Checked), Refused> {
        let last = std::mem::take(&mut self.buf);
        if self.size == 0 {
            return Err(Refused::Empty);
        }
        if !last.is_empty() {
            self.check(&last, true)?;
        }
        let kind = self.kind.ok_or(Refused::Empty)?;
        if kind.is_text() && !self.text.end() {
            return Err(Refused::Unknown);
        }
        let checked = Checked {
            kind,
            name: safe_name(&self.name, kind),
            size: self.size,
            sha256: hex::encode(self.sha.finalize()),
        };
        Ok((last, checked))
    }

    fn check(&mut self, chunk: &[u8], last: bool) -> Result<(), Refused> {
        let kind = match self.kind {
            Some(k) => k,
            None => *self.kind.insert(detect(chunk, last, &self.name)?),
        };
        if kind.is_text() && !self.text.feed(chunk) {
            return Err(Refused::Unknown);
        }
        self.sha.update(chunk);
        Ok(())
    }
}
