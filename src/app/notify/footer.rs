//! The line at the end of every mail: where to choose which mails come, and
//! in which language, in the recipient's language.

use crate::domain::mail::NewMail;
use crate::locale::{Locale, t};

/// The footer's words; the Dutch is in `src/locale/nl/notifications.toml`.
const LINE: &str = "Choose which mails you get, and their language:";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `mail` for `to`, with the footer pointing at `link`.
pub fn with_footer(mail: &NewMail, to: Vec<String>, locale: Locale, link: &str) -> NewMail {
    let line = t(locale, LINE);
    let text = format!("{}\n\n-- \n{line}\n{link}\n", mail.text.trim_end());
    let footer = format!(
        "<p style=\"color:#555;font-size:0.9em;border-top:1px solid #ccc;padding-top:0.5em\">{} <a href=\"{}\">{}</a></p>\n",
        escape(&line),
        escape(link),
        escape(link)
    );
    let html = match mail.html.rfind("</body>") {
        Some(i) => format!("{}{footer}{}", &mail.html[..i], &mail.html[i..]),
        None => format!("{}{footer}", mail.html),
    };
    NewMail {
        kind: mail.kind.clone(),
        recipients: to,
        subject: mail.subject.clone(),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_footer_goes_before_the_end_of_the_body_in_the_language() {
        let mail = NewMail {
            kind: "state".into(),
            recipients: vec![],
            subject: "s".into(),
            text: "Hello\n".into(),
            html: "<html><body><p>Hello</p></body></html>".into(),
        };
        let out = with_footer(
            &mail,
            vec!["a@example.org".into()],
            Locale::Nl,
            "https://x/settings?a=1&b=2",
        );
        assert!(out.text.starts_with("Hello\n\n-- \n"), "{}", out.text);
        assert!(out.text.ends_with("https://x/settings?a=1&b=2\n"), "{}", out.text);
        assert!(!out.text.contains('⟦'), "{}", out.text);
        assert!(
            out.html.contains("href=\"https://x/settings?a=1&amp;b=2\""),
            "{}",
            out.html
        );
        assert!(out.html.ends_with("</p>\n</body></html>"), "{}", out.html);
        assert_eq!(out.recipients, ["a@example.org"]);
    }
}
