//! Municipality codes (市区町村コード, five digits) and local-government codes
//! (全国地方公共団体コード, the same five digits plus a check digit).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::error::{CodeErrorReason, RegionError};
use crate::text::normalize;

/// A well-formed five-digit municipality code such as `35203` (山口市).
///
/// Being well formed does not mean the municipality exists; ask
/// [`Region::municipality`](crate::Region::municipality) for that. Stored as five
/// ASCII digits so it is `Copy` and cheap to pass around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MunicipalityCode([u8; 5]);

impl MunicipalityCode {
    /// The five digits, e.g. `"35203"`.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this never fails; fall back to
        // "" rather than panic to satisfy the workspace lints.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The two-digit prefecture part, e.g. `"35"`.
    pub fn prefecture_code(&self) -> &str {
        &self.as_str()[..2]
    }

    /// The six-digit local-government code with its check digit, e.g. `"352039"`:
    /// what national systems (e.g. the Digital Agency's standard datasets) expect.
    pub fn lg_code(&self) -> String {
        let mut out = String::with_capacity(6);
        out.push_str(self.as_str());
        out.push(char::from(b'0' + check_digit(&self.0)));
        out
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MunicipalityCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::str::FromStr for MunicipalityCode {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_municipality_code(s)
    }
}

/// Check digit of 全国地方公共団体コード over five ASCII digits.
///
/// The rule (総務省): weights 6,5,4,3,2, sum modulo 11, and the check digit is the
/// last digit of `11 − remainder`. So remainder 1 gives 0 and remainder 0 gives
/// **1** (11 → "1"), as in 宇部市 35202 → 352021 and 新宿区 13104 → 131041.
fn check_digit(digits: &[u8; 5]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    // `sum % 11` is at most 10, so the result is 1..=11 and `% 10` fits in u8.
    ((11 - sum % 11) % 10) as u8
}

/// Computes the check digit (0–9) of a five-digit municipality code.
///
/// Exposed so that forms can suggest the right sixth digit when a user's differs.
/// Accepts the same spellings as [`parse_municipality_code`] (full-width digits,
/// surrounding spaces); a six-digit input is rejected since it already has one.
pub fn lg_code_check_digit(code: &str) -> Result<u8, RegionError> {
    let normalized = normalize(code);
    let digits =
        five_digits(&normalized).map_err(|reason| RegionError::InvalidMunicipalityCode {
            input: code.to_owned(),
            reason,
        })?;
    Ok(check_digit(&digits))
}

/// Reads a municipality code given either as five digits (`35203`) or as the
/// six-digit local-government code (`352039`), whose check digit is verified.
///
/// Users copy these codes from spreadsheets and PDFs, so full-width digits and
/// surrounding whitespace are accepted (NFKC). The prefecture part must be 01–47
/// and a prefecture's own code (`35000`) is refused, because callers want a
/// municipality.
pub fn parse_municipality_code(input: &str) -> Result<MunicipalityCode, RegionError> {
    let normalized = normalize(input);
    let len = normalized.chars().count();
    let five_err = |reason| RegionError::InvalidMunicipalityCode {
        input: input.to_owned(),
        reason,
    };
    match len {
        6 => parse_lg_code_normalized(input, &normalized),
        _ => five_digits(&normalized)
            .map(MunicipalityCode)
            .map_err(five_err),
    }
}

/// Reads a six-digit local-government code (全国地方公共団体コード) strictly: the
/// five-digit form is refused, the check digit must match.
///
/// Use this where a form field asks for the six-digit code specifically.
pub fn parse_lg_code(input: &str) -> Result<MunicipalityCode, RegionError> {
    let normalized = normalize(input);
    parse_lg_code_normalized(input, &normalized)
}

fn parse_lg_code_normalized(
    input: &str,
    normalized: &str,
) -> Result<MunicipalityCode, RegionError> {
    let err = |reason| RegionError::InvalidLgCode {
        input: input.to_owned(),
        reason,
    };
    if normalized.is_empty() {
        return Err(err(CodeErrorReason::Empty));
    }
    let bytes = normalized.as_bytes();
    if !bytes.iter().all(u8::is_ascii_digit) {
        return Err(err(CodeErrorReason::NotDigits));
    }
    if bytes.len() != 6 {
        return Err(err(CodeErrorReason::WrongLength {
            len: normalized.chars().count(),
        }));
    }
    let mut head = [0u8; 5];
    head.copy_from_slice(&bytes[..5]);
    let code = validate_five(head).map_err(err)?;
    let expected = check_digit(&code.0);
    let found = bytes[5] - b'0';
    if expected != found {
        return Err(err(CodeErrorReason::CheckDigitMismatch { expected, found }));
    }
    Ok(code)
}

fn five_digits(normalized: &str) -> Result<[u8; 5], CodeErrorReason> {
    if normalized.is_empty() {
        return Err(CodeErrorReason::Empty);
    }
    let bytes = normalized.as_bytes();
    if !bytes.iter().all(u8::is_ascii_digit) {
        return Err(CodeErrorReason::NotDigits);
    }
    let mut digits = [0u8; 5];
    if bytes.len() != 5 {
        return Err(CodeErrorReason::WrongLength { len: bytes.len() });
    }
    digits.copy_from_slice(bytes);
    validate_five(digits).map(|c| c.0)
}

fn validate_five(digits: [u8; 5]) -> Result<MunicipalityCode, CodeErrorReason> {
    let pref = (digits[0] - b'0') * 10 + (digits[1] - b'0');
    if !(1..=47).contains(&pref) {
        return Err(CodeErrorReason::NoSuchPrefecture);
    }
    if &digits[2..] == b"000" {
        return Err(CodeErrorReason::PrefectureLevel);
    }
    Ok(MunicipalityCode(digits))
}

/// The six-digit code of a prefecture itself (e.g. `"350001"` for 山口県):
/// two-digit prefecture code, `000`, check digit.
#[cfg(test)]
pub(crate) fn prefecture_lg_code(pref: &str) -> Option<String> {
    let bytes = pref.as_bytes();
    if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let digits = [bytes[0], bytes[1], b'0', b'0', b'0'];
    Some(format!("{pref}000{}", check_digit(&digits)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_published_codes() {
        for (code, lg) in [
            ("35203", "352039"),
            ("35201", "352012"),
            ("35202", "352021"),
            ("35204", "352047"),
            ("35502", "355020"),
            ("35215", "352152"),
            ("13104", "131041"),
            ("01100", "011002"),
        ] {
            let parsed = parse_municipality_code(code).unwrap();
            assert_eq!(parsed.lg_code(), lg, "{code}");
            assert_eq!(parse_municipality_code(lg).unwrap(), parsed);
        }
        assert_eq!(prefecture_lg_code("35").as_deref(), Some("350001"));
        assert_eq!(prefecture_lg_code("01").as_deref(), Some("010006"));
    }

    #[test]
    fn rejections_say_why() {
        let reason = |s: &str| match parse_municipality_code(s) {
            Err(
                RegionError::InvalidMunicipalityCode { reason, .. }
                | RegionError::InvalidLgCode { reason, .. },
            ) => reason,
            other => panic!("{s:?}: {other:?}"),
        };
        assert_eq!(reason("  "), CodeErrorReason::Empty);
        assert_eq!(reason("3520"), CodeErrorReason::WrongLength { len: 4 });
        assert_eq!(reason("35a03"), CodeErrorReason::NotDigits);
        assert_eq!(reason("99203"), CodeErrorReason::NoSuchPrefecture);
        assert_eq!(reason("35000"), CodeErrorReason::PrefectureLevel);
        assert_eq!(
            reason("352038"),
            CodeErrorReason::CheckDigitMismatch {
                expected: 9,
                found: 8
            }
        );
        assert!(matches!(
            parse_municipality_code("352038"),
            Err(RegionError::InvalidLgCode { .. })
        ));
        assert!(matches!(
            parse_lg_code("35203"),
            Err(RegionError::InvalidLgCode {
                reason: CodeErrorReason::WrongLength { len: 5 },
                ..
            })
        ));
    }

    #[test]
    fn full_width_and_spaces_are_accepted() {
        assert_eq!(
            parse_municipality_code(" ３５２０３\u{3000}")
                .unwrap()
                .as_str(),
            "35203"
        );
        assert_eq!(lg_code_check_digit("３５２０３").unwrap(), 9);
    }
}
