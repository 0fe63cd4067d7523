//! Normalisation of what people type or paste.

use unicode_normalization::UnicodeNormalization;

/// NFKC (full-width digits and punctuation become ASCII), plus the few look-alikes
/// NFKC keeps (minus sign, ideographic comma), trimmed.
pub(crate) fn normalize(input: &str) -> String {
    input
        .nfkc()
        .map(|c| match c {
            '\u{2212}' | '\u{2010}' | '\u{2011}' | '\u{2013}' | '\u{30FC}' => '-',
            '\u{3001}' => ',',
            other => other,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}
