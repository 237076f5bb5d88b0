use super::*;

/// A zip's local entries, stored (method 0), as office programs write them.
fn zip(entries: &[(&str, &[u8])], descriptor: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in entries {
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&(if descriptor { 8u16 } else { 0 }).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&[0; 8]); // time, date, crc
        let size = if descriptor { 0 } else { data.len() as u32 };
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        if descriptor {
            out.extend_from_slice(b"PK\x07\x08");
            out.extend_from_slice(&[0; 12]);
        }
    }
    out.extend_from_slice(b"PK\x01\x02 central directory follows");
    out
}

fn ooxml(main: &str) -> Vec<u8> {
    zip(
        &[
            ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types/>"),
            ("_rels/.rels", b"<Relationships/>"),
            (main, b"<document/>"),
        ],
        false,
    )
}

fn odf(mime: &str) -> Vec<u8> {
    zip(
        &[
            ("mimetype", mime.as_bytes()),
            ("content.xml", b"<office:document-content/>"),
        ],
        false,
    )
}

#[test]
fn images_and_pdf_are_told_by_their_magic_bytes() {
    let cases: &[(&[u8], Kind)] = &[
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Kind::Png),
        (b"\xff\xd8\xff\xe0\0\x10JFIF", Kind::Jpeg),
        (b"\xff\xd8\xff\xe1\0\x10Exif", Kind::Jpeg),
        (b"GIF89a\x01\0\x01\0", Kind::Gif),
        (b"GIF87a\x01\0\x01\0", Kind::Gif),
        (b"RIFF\x24\0\0\0WEBPVP8 ", Kind::Webp),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", Kind::Pdf),
    ];
    for (bytes, kind) in cases {
        // The name never decides: a PNG called .txt is a PNG.
        assert_eq!(detect(bytes, true, "whatever.txt"), Ok(*kind), "{bytes:?}");
    }
    // A RIFF that is not WebP (a WAV sound) is not an image.
    assert_eq!(detect(b"RIFF\x24\0\0\0WAVEfmt ", true, "a.webp"), Err(Refused::Unknown));
}

#[test]
fn text_is_utf8_without_nul_and_csv_by_its_name() {
    assert_eq!(
        detect(b"Saved the quote, got error 500\n", true, "log.txt"),
        Ok(Kind::Text)
    );
    assert_eq!(detect("één, twee\n".as_bytes(), true, "notes"), Ok(Kind::Text));
    assert_eq!(
        detect(b"\xef\xbb\xbfname;amount\nA;1\n", true, "export.CSV"),
        Ok(Kind::Csv)
    );
    assert_eq!(detect(b"a\tb\n", true, "x.tsv"), Ok(Kind::Csv));
    assert_eq!(detect(b"text with a \0 NUL", true, "a.txt"), Err(Refused::Unknown));
    assert_eq!(detect(b"latin-1 caf\xe9", true, "a.txt"), Err(Refused::Unknown));
    // An unfinished character at the end of a first chunk is fine, not at the end of the file.
    let cut = &"café".as_bytes()[..4];
    assert_eq!(detect(cut, false, "a.txt"), Ok(Kind::Text));
    assert_eq!(detect(cut, true, "a.txt"), Err(Refused::Unknown));
}

#[test]
fn web_pages_and_svg_are_refused_whatever_their_name() {
    for page in [
        "<!DOCTYPE html><html><body>hi</body></html>",
        "  \n<html><script>alert(1)</script></html>",
        "<HTML>",
        "<script>alert(document.cookie)</script>",
        "<iframe src=x>",
        "<div onclick=x>",
        "<p>text</p><img src=x onerror=alert(1)>",
        "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">",
    ] {
        assert_eq!(detect(page.as_bytes(), true, "shot.png"), Err(Refused::Html), "{page}");
    }
    for svg in [
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE svg><SVG>",
        "\u{feff}<svg/onload=alert(1)>",
    ] {
        assert_eq!(detect(svg.as_bytes(), true, "shot.png"), Err(Refused::Svg), "{svg}");
    }
    // Text that only mentions markup later on (a CSV of mail bodies) is text.
    assert_eq!(
        detect(b"subject;body\nHi;<html>x</html>\n", true, "m.csv"),
        Ok(Kind::Csv)
    );
    // XML that is no page is text.
    assert_eq!(
        detect(b"<?xml version=\"1.0\"?><Layout/>", true, "a.xml"),
        Ok(Kind::Text)
    );
}

#[test]
fn programs_are_refused() {
    for program in [
        &b"MZ\x90\0\x03\0\0\0"[..],
        b"\x7fELF\x02\x01\x01",
        b"\xcf\xfa\xed\xfe\x07\0\0\x01",
        b"\xca\xfe\xba\xbe\0\0\0\x02",
        b"#!/bin/sh\nrm -rf /\n",
    ] {
        assert_eq!(
            detect(program, true, "report.pdf"),
            Err(Refused::Program),
            "{program:?}"
        );
    }
}

#[test]
fn unknown_binaries_and_plain_zips_are_refused() {
    assert_eq!(detect(b"\x1f\x8b\x08\0", true, "a.gz"), Err(Refused::Unknown));
    assert_eq!(detect(b"\0\0\0\x18ftypmp42", true, "a.mp4"), Err(Refused::Unknown));
    assert_eq!(detect(&[0xff, 0xfe, 0x41, 0], true, "utf16.txt"), Err(Refused::Unknown));
    let archive = zip(&[("photos/1.jpg", b"\xff\xd8\xff"), ("readme.txt", b"hi")], false);
    assert_eq!(detect(&archive, true, "a.docx"), Err(Refused::Unknown));
    // An OPC package that is no office document (a Visual Studio extension).
    let vsix = zip(
        &[
            ("[Content_Types].xml", b"<Types/>"),
            ("extension.vsixmanifest", b"<x/>"),
        ],
        false,
    );
    assert_eq!(detect(&vsix, true, "a.vsix"), Err(Refused::Unknown));
    assert_eq!(detect(b"", true, "a.txt"), Err(Refused::Empty));
}

#[test]
fn office_documents_are_told_by_what_their_zip_holds() {
    assert_eq!(detect(&ooxml("word/document.xml"), true, "x.bin"), Ok(Kind::Docx));
    assert_eq!(detect(&ooxml("xl/workbook.xml"), true, "x"), Ok(Kind::Xlsx));
    assert_eq!(detect(&ooxml("ppt/presentation.xml"), true, "x"), Ok(Kind::Pptx));
    let streamed = zip(
        &[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<d/>")],
        true,
    );
    assert_eq!(detect(&streamed, true, "x.docx"), Ok(Kind::Docx));
    let macros = zip(
        &[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<d/>"),
            ("word/vbaProject.bin", b"\xd0\xcf"),
        ],
        false,
    );
    assert_eq!(detect(&macros, true, "x.docm"), Err(Refused::Macros));
    assert_eq!(
        detect(&odf("application/vnd.oasis.opendocument.text"), true, "x"),
        Ok(Kind::Odt)
    );
    assert_eq!(
        detect(&odf("application/vnd.oasis.opendocument.spreadsheet"), true, "x"),
        Ok(Kind::Ods)
    );
    assert_eq!(
        detect(&odf("application/vnd.oasis.opendocument.presentation"), true, "x"),
        Ok(Kind::Odp)
    );
    assert_eq!(
        detect(&odf("application/vnd.oasis.opendocument.graphics"), true, "x"),
        Err(Refused::Unknown)
    );
    // A zip cut off in its first header is no document.
    assert_eq!(detect(b"PK\x03\x04\x14\0", false, "x.docx"), Err(Refused::Unknown));
}

#[test]
fn old_office_files_need_their_own_ending() {
    let ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0";
    assert_eq!(detect(ole, true, "Budget.XLS"), Ok(Kind::Xls));
    assert_eq!(detect(ole, true, "plan.doc"), Ok(Kind::Doc));
    assert_eq!(detect(ole, true, "deck.ppt"), Ok(Kind::Ppt));
    // An installer is an OLE file too.
    assert_eq!(detect(ole, true, "setup.msi"), Err(Refused::Unknown));
    assert_eq!(detect(ole, true, "doc"), Err(Refused::Unknown));
}

#[test]
fn no_kind_is_served_as_html_or_svg() {
    for k in Kind::ALL {
        let t = k.content_type();
        assert!(
            !t.contains("html") && !t.contains("svg") && !t.contains("xml+"),
            "{k:?}: {t}"
        );
        assert!(!k.extensions().is_empty());
        assert_eq!(k.is_text(), t.starts_with("text/"), "{k:?}");
    }
}

#[test]
fn text_stays_text_across_chunks() {
    let mut check = TextCheck::default();
    let bytes = "naïve café".as_bytes();
    let (a, b) = bytes.split_at(3); // in the middle of ï
    assert!(check.feed(a));
    assert!(!check.end());
    assert!(check.feed(b));
    assert!(check.end());
    let mut check = TextCheck::default();
    assert!(check.feed(b"fine"));
    assert!(!check.feed(b"then \0"));
    let mut check = TextCheck::default();
    assert!(!check.feed(b"\xff\xfe"));
}

#[test]
fn the_intake_cuts_chunks_hashes_and_enforces_the_limit() {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.resize(CHUNK * 2 + 100, 7);
    let mut intake = Intake::new("C:\\Users\\kim\\shot.png", 10 * CHUNK as u64);
    let mut chunks = Vec::new();
    for piece in png.chunks(10_000) {
        chunks.extend(intake.push(piece).unwrap());
    }
    assert_eq!(intake.size(), png.len() as u64);
    let (last, checked) = intake.finish().unwrap();
    chunks.push(last);
    assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [CHUNK, CHUNK, 100]);
    assert_eq!(chunks.concat(), png);
    assert_eq!(checked.kind, Kind::Png);
    assert_eq!(checked.name, "shot.png");
    assert_eq!(checked.size, png.len() as u64);
    use sha2::Digest;
    assert_eq!(checked.sha256, hex::encode(sha2::Sha256::digest(&png)));

    // Exactly one chunk: the last is empty.
    let mut intake = Intake::new("a.txt", CHUNK as u64);
    assert_eq!(intake.push(&vec![b'a'; CHUNK]).unwrap().len(), 1);
    let (last, checked) = intake.finish().unwrap();
    assert!(last.is_empty());
    assert_eq!(checked.kind, Kind::Text);

    // One byte over the limit is refused as it arrives.
    let mut intake = Intake::new("big.pdf", 1000);
    intake.push(b"%PDF-1.4").unwrap();
    assert_eq!(intake.push(&[b'x'; 993]).unwrap_err(), Refused::TooLarge);

    // Text that turns binary after its first chunk.
    let mut intake = Intake::new("a.txt", 10 * CHUNK as u64);
    intake.push(&vec![b'a'; CHUNK]).unwrap();
    intake.push(b"\0").unwrap();
    assert_eq!(intake.finish().unwrap_err(), Refused::Unknown);
    assert_eq!(Intake::new("a.txt", 10).finish().unwrap_err(), Refused::Empty);
}

#[test]
fn names_are_made_safe_and_fit_their_kind() {
    assert_eq!(safe_name("shot.png", Kind::Png), "shot.png");
    assert_eq!(safe_name("Shot.PNG", Kind::Png), "Shot.PNG");
    assert_eq!(safe_name("/home/kim/shot.png", Kind::Png), "shot.png");
    assert_eq!(safe_name("C:\\fakepath\\shot.png", Kind::Png), "shot.png");
    assert_eq!(safe_name("shot.png", Kind::Jpeg), "shot.png.jpg");
    assert_eq!(safe_name("page.html", Kind::Text), "page.html.txt");
    assert_eq!(safe_name("notes", Kind::Text), "notes.txt");
    assert_eq!(safe_name("..", Kind::Pdf), "attachment.pdf");
    assert_eq!(safe_name("", Kind::Pdf), "attachment.pdf");
    assert_eq!(safe_name(".bashrc", Kind::Text), "bashrc.txt");
    assert_eq!(safe_name("a\r\nb\"c<d>.pdf", Kind::Pdf), "a__b_c_d_.pdf");
    assert_eq!(safe_name("rapport über 2026.pdf", Kind::Pdf), "rapport über 2026.pdf");
    let long = format!("{}.pdf", "x".repeat(300));
    let safe = safe_name(&long, Kind::Pdf);
    assert_eq!(safe.chars().count(), 120);
    assert!(safe.ends_with("x.pdf"));
    let safe = safe_name(&"é".repeat(300), Kind::Png);
    assert_eq!(safe.chars().count(), 120);
    assert!(safe.ends_with(".png"));
}

#[test]
fn downloads_are_offered_as_attachments_with_a_utf8_name() {
    assert_eq!(
        content_disposition("shot.png"),
        "attachment; filename=\"shot.png\"; filename*=UTF-8''shot.png"
    );
    assert_eq!(
        content_disposition("rapport über 2026.pdf"),
        "attachment; filename=\"rapport _ber 2026.pdf\"; filename*=UTF-8''rapport%20%C3%BCber%202026.pdf"
    );
    // Whatever a stored name holds, the header stays one well-formed line.
    let h = content_disposition("a\"b\\c\r\nd;e");
    assert!(!h.contains('\r') && !h.contains('\n'));
    assert!(h.starts_with("attachment; filename=\"a_b_c__d;e\""), "{h}");
}

#[test]
fn every_refusal_names_the_file_and_what_is_accepted() {
    for r in [Refused::Html, Refused::Svg, Refused::Program, Refused::Unknown] {
        let m = r.message("x.png", "10 MB").to_string();
        assert!(
            m.contains("x.png") && m.contains("PNG, JPEG, GIF, WebP") && m.contains("PDF"),
            "{m}"
        );
    }
    let m = Refused::TooLarge.message("big.pdf", "10 MB").to_string();
    assert_eq!(m, "big.pdf is larger than 10 MB, the most an attachment may be");
    assert!(
        Refused::Empty
            .message("e.txt", "1 MB")
            .to_string()
            .contains("e.txt is empty")
    );
    assert!(Refused::Macros.message("m.docm", "1 MB").to_string().contains("macros"));
}
