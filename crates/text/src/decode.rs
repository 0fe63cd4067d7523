//! Character encoding of uploaded files.
//!
//! Japanese municipalities publish UTF-8 (often with the BOM Excel writes), and still a lot of
//! Shift_JIS from older Excel. We detect rather than ask, because uploaders do not know which
//! one they have; when neither reads cleanly we say exactly where the first bad byte is, since
//! "文字化け" with no location is unfixable for them.

use encoding_rs::{DecoderResult, SHIFT_JIS, UTF_16BE, UTF_16LE};

/// The encoding a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 starting with EF BB BF (Excel's "CSV UTF-8"). The BOM is not in the text.
    Utf8Bom,
    /// Shift_JIS as Windows writes it (cp932 / Windows-31J: NEC and IBM extensions, ①, ㈱…).
    ShiftJis,
    /// UTF-16 little-endian with BOM (Excel's "Unicode テキスト", tab-separated).
    Utf16Le,
    /// UTF-16 big-endian with BOM.
    Utf16Be,
}

impl Encoding {
    /// The WHATWG label of the encoding, for logs and metadata.
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 | Encoding::Utf8Bom => "UTF-8",
            Encoding::ShiftJis => "Shift_JIS",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }
}

/// A file's text and the encoding it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without any byte-order mark.
    pub text: String,
    /// What the bytes were.
    pub encoding: Encoding,
}

/// The bytes are neither UTF-8 nor Shift_JIS. Points at the first bad byte under the reading
/// that got furthest, which is almost always the encoding the file was meant to be in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{line}行目（先頭から{byte_offset}バイト目）に{assumed}として読めない文字があります。\
     UTF-8 または Shift_JIS で保存し直してください。",
    assumed = assumed.label()
)]
pub struct DecodeError {
    /// 1-based line of the first bad byte.
    pub line: usize,
    /// 0-based byte offset of the first bad byte from the start of the file.
    pub byte_offset: usize,
    /// The encoding the file was most likely in (the one that read furthest).
    pub assumed: Encoding,
}

/// Decodes a file as it comes: UTF-8 with or without BOM, UTF-16 with BOM, else Shift_JIS.
///
/// UTF-8 is tried first because valid UTF-8 that is not meant as UTF-8 essentially never
/// happens with Japanese text, whereas many UTF-8 files are also valid Shift_JIS byte strings.
///
/// # Errors
/// [`DecodeError`] with the line and byte offset of the first byte neither reading accepts.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|text| Decoded {
                text: text.to_owned(),
                encoding: Encoding::Utf8Bom,
            })
            .map_err(|e| error_at(bytes, 3 + e.valid_up_to(), Encoding::Utf8Bom));
    }
    for (bom, encoding, kind) in [
        (b"\xFF\xFE", UTF_16LE, Encoding::Utf16Le),
        (b"\xFE\xFF", UTF_16BE, Encoding::Utf16Be),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return match encoding.decode_without_bom_handling_and_without_replacement(rest) {
                Some(text) => Ok(Decoded {
                    text: text.into_owned(),
                    encoding: kind,
                }),
                // Line counting below assumes an ASCII-compatible encoding; for UTF-16 the
                // offset is exact and the line is a best effort.
                None => Err(error_at(bytes, 2 + malformed_at(encoding, rest), kind)),
            };
        }
    }
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(text) => {
            return Ok(Decoded {
                text: text.to_owned(),
                encoding: Encoding::Utf8,
            });
        }
        Err(e) => e.valid_up_to(),
    };
    if let Some(text) = SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok(Decoded {
            text: text.into_owned(),
            encoding: Encoding::ShiftJis,
        });
    }
    let sjis_error = malformed_at(SHIFT_JIS, bytes);
    Err(if utf8_error >= sjis_error {
        error_at(bytes, utf8_error, Encoding::Utf8)
    } else {
        error_at(bytes, sjis_error, Encoding::ShiftJis)
    })
}

/// Byte offset of the first malformed sequence when decoding `bytes` with `encoding`.
fn malformed_at(encoding: &'static encoding_rs::Encoding, bytes: &[u8]) -> usize {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(
        decoder
            .max_utf8_buffer_length_without_replacement(bytes.len())
            .unwrap_or(bytes.len().saturating_mul(3)),
    );
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        DecoderResult::Malformed(bad, consumed_after) => {
            read.saturating_sub(usize::from(bad) + usize::from(consumed_after))
        }
        // Cannot happen with a buffer of the maximum length; point at the end.
        DecoderResult::InputEmpty | DecoderResult::OutputFull => read,
    }
}

fn error_at(bytes: &[u8], byte_offset: usize, assumed: Encoding) -> DecodeError {
    let before = bytes.get(..byte_offset).unwrap_or(bytes);
    DecodeError {
        line: 1 + before.iter().filter(|&&b| b == b'\n').count(),
        byte_offset,
        assumed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sjis(s: &str) -> Vec<u8> {
        SHIFT_JIS.encode(s).0.into_owned()
    }

    #[test]
    fn detects_each_encoding() {
        let text = "名称,住所\n山口県庁,山口市滝町1-1\n";
        let cases = [
            (text.as_bytes().to_vec(), Encoding::Utf8),
            (
                [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
                Encoding::Utf8Bom,
            ),
            (sjis(text), Encoding::ShiftJis),
        ];
        for (bytes, encoding) in cases {
            assert_eq!(
                decode(&bytes),
                Ok(Decoded {
                    text: text.to_owned(),
                    encoding
                })
            );
        }
    }

    #[test]
    fn cp932_extensions_decode() {
        // ① and ㈱ exist only in Windows' Shift_JIS (cp932).
        let bytes = sjis("①㈱髙");
        assert_eq!(decode(&bytes).map(|d| d.text), Ok("①㈱髙".to_owned()));
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "緯度\t経度".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        assert_eq!(
            decode(&bytes).map(|d| (d.text, d.encoding)),
            Ok(("緯度\t経度".to_owned(), Encoding::Utf16Le))
        );
    }

    #[test]
    fn bad_bytes_are_located() {
        // UTF-8 for two lines, then a lone 0xFF (invalid in both encodings).
        let mut bytes = "名称\n山口\n".as_bytes().to_vec();
        let offset = bytes.len() + 1;
        bytes.extend(b"a\xFFb");
        assert_eq!(
            decode(&bytes),
            Err(DecodeError {
                line: 3,
                byte_offset: offset,
                assumed: Encoding::Utf8
            })
        );

        // Shift_JIS text with a truncated double-byte character at the end of line 2.
        let mut bytes = sjis("名称\n山口県");
        bytes.push(0x81);
        let at = bytes.len() - 1;
        let err = decode(&bytes).err();
        assert_eq!(
            err.as_ref().map(|e| (e.line, e.byte_offset, e.assumed)),
            Some((2, at, Encoding::ShiftJis))
        );
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("2行目"), "{message}");

        let bom_bad = b"\xEF\xBB\xBFab\xC3";
        assert_eq!(
            decode(bom_bad).err().map(|e| (e.byte_offset, e.assumed)),
            Some((5, Encoding::Utf8Bom))
        );
    }
}
