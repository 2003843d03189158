//! Whatever is typed is stored as it will print: every text a document may
//! show passes through here where it is entered (cases and their actions,
//! enterprises and their import, people, patrol logs, category names), so a
//! character no document font can draw is refused with the field named, not
//! found later when a notice cannot be issued.

use crate::docs::pdf;
use crate::error::{Error, Result};

/// Refuses `text` if it holds a character no document font can draw, naming
/// `field` and each such character with its code point.
pub fn check(field: &str, text: &str) -> Result<()> {
    let bad = pdf::unprintable(text);
    if bad.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = bad.iter().map(|c| format!("“{c}”(U+{:04X})", u32::from(*c))).collect();
    let listed = listed.join("、");
    Err(Error::invalid(
        field,
        format!("{field} 含有文书无法打印的字符：{listed}，请删除或改用其他写法"),
        format!("{field} contains characters no document font can print: {listed}; remove or replace them"),
    ))
}

/// Typed text as it should be stored: see [`pdf::normalise`].
pub fn normalise(text: &str) -> String {
    pdf::normalise(text)
}

/// `text` normalised for storage (see [`pdf::normalise`]: composed, without
/// variation selectors or zero-width joiners), or a refusal naming `field`
/// and what still cannot print.
pub fn printable(field: &str, text: &str) -> Result<String> {
    let text = pdf::normalise(text);
    check(field, &text)?;
    Ok(text)
}

/// Like [`printable`] for an optional text.
pub fn printable_opt(field: &str, text: Option<&str>) -> Result<Option<String>> {
    text.map(|t| printable(field, t)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_with_a_selector_is_stored_without_it() {
        assert_eq!(printable("description", "带电部位外露😱\u{FE0F}").expect("prints"), "带电部位外露😱");
    }

    #[test]
    fn a_private_use_character_is_refused_naming_the_field_and_the_code_point() {
        let Err(Error::Invalid { field, reason }) = printable("title", "配电箱\u{E000}") else {
            panic!("refused");
        };
        assert_eq!(field, "title");
        assert!(reason.zh.contains('\u{E000}') && reason.zh.contains("U+E000"), "{}", reason.zh);
        assert!(reason.en.contains("U+E000"), "{}", reason.en);
    }
}
