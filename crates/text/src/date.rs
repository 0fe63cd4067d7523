//! Dates as Japanese public data writes them: ISO, slashes, 年月日 and 和暦 (Japanese eras).
//!
//! Municipal CSVs mix `2024-04-01`, `2024/4/1`, `2024年4月1日`, `令和6年4月1日` and `R6.4.1`,
//! often in full-width digits. All of them parse to a [`time::Date`].
//!
//! Era years are checked against the era's real span: `平成32年3月31日` (written in plans
//! published before the 2019 era change) is **rejected** by [`parse_wareki`] with
//! [`WarekiError::OutsideEra`], which still carries the Gregorian date it would mean, so a
//! caller that wants to accept such dates can do so knowingly. A column containing such values
//! is therefore typed as text, not date.

use time::{Date, Month};
use unicode_normalization::UnicodeNormalization;

/// A Japanese era (元号) this crate understands. Meiji and earlier are out of scope: open data
/// rarely carries them and their Gregorian mapping before 1873 is not a calendar shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Era {
    /// 大正 (T): 1912-07-30 ..= 1926-12-24.
    Taisho,
    /// 昭和 (S): 1926-12-25 ..= 1989-01-07.
    Showa,
    /// 平成 (H): 1989-01-08 ..= 2019-04-30.
    Heisei,
    /// 令和 (R): from 2019-05-01.
    Reiwa,
}

impl Era {
    /// All eras, oldest first.
    pub const ALL: [Era; 4] = [Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The era's name in kanji, as used in 令和6年.
    pub fn kanji(self) -> &'static str {
        match self {
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The one-letter abbreviation used in forms and spreadsheets (R6.4.1).
    pub fn letter(self) -> char {
        match self {
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// First day of the era.
    pub fn first_day(self) -> Date {
        let (y, m, d) = match self {
            Era::Taisho => (1912, Month::July, 30),
            Era::Showa => (1926, Month::December, 25),
            Era::Heisei => (1989, Month::January, 8),
            Era::Reiwa => (2019, Month::May, 1),
        };
        // The table above holds valid dates; MIN is unreachable.
        Date::from_calendar_date(y, m, d).unwrap_or(Date::MIN)
    }

    /// Last day of the era, `None` for the current one.
    pub fn last_day(self) -> Option<Date> {
        match self {
            Era::Taisho => Some(Era::Showa),
            Era::Showa => Some(Era::Heisei),
            Era::Heisei => Some(Era::Reiwa),
            Era::Reiwa => None,
        }
        .and_then(|next| next.first_day().previous_day())
    }

    /// The era a date falls in, `None` before 大正.
    pub fn of(date: Date) -> Option<Era> {
        Era::ALL
            .into_iter()
            .rev()
            .find(|era| date >= era.first_day())
    }

    fn from_name(name: &str) -> Option<Era> {
        Era::ALL
            .into_iter()
            .find(|e| name == e.kanji() || name.eq_ignore_ascii_case(&e.letter().to_string()))
    }
}

/// Why a 和暦 string is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WarekiError {
    /// The text is not `<era><year>年<month>月<day>日` or `<letter><year>.<month>.<day>`.
    #[error("和暦の日付として読めません（例: 令和6年4月1日、R6.4.1）")]
    Format,
    /// Month/day do not exist (e.g. 2月30日).
    #[error("存在しない日付です")]
    NoSuchDay,
    /// The date exists but not in that era, e.g. 平成32年 (= 2020, after 平成 ended) or
    /// 令和元年4月1日 (before 令和 began). `date` is what the text would mean if the era ran on.
    #[error("{era}{year}年は{era}の期間外です（{date} に当たります）", era = era.kanji())]
    OutsideEra {
        /// The era named in the text.
        era: Era,
        /// The era year as written.
        year: i32,
        /// The Gregorian date the text would denote.
        date: Date,
    },
}

/// Parses any date format found in Japanese open data; `None` if it is not a date.
///
/// Accepts (digits may be full-width, surrounding spaces ignored): `2024-04-01`, `2024-4-1`,
/// `2024/4/1`, `2024.4.1`, `2024年4月1日`, and every form [`parse_wareki`] accepts.
/// Not accepted: times (`2024-04-01T10:00`), `20240401` (indistinguishable from a number),
/// two-digit years, and 和暦 outside the era (see the module docs).
pub fn parse_date(s: &str) -> Option<Date> {
    let s: String = s.trim().nfkc().collect();
    if s.is_empty() || s.len() > 40 {
        return None;
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        let (y, m, d) = split_ymd(&s)?;
        if !(4..=4).contains(&y.len()) {
            return None;
        }
        return make_date(y.parse().ok()?, m, d);
    }
    parse_wareki(&s).ok()
}

/// Parses a 和暦 date: `令和6年4月1日`, `令和元年5月1日`, `R6.4.1`, `H31/4/30`, `㍻31年4月30日`,
/// with full-width digits allowed. Validates the era's span (see [`WarekiError::OutsideEra`]).
///
/// # Errors
/// [`WarekiError`] says whether the text is not 和暦 at all, names a day that does not exist,
/// or names a day outside its era.
pub fn parse_wareki(s: &str) -> Result<Date, WarekiError> {
    let s: String = s.trim().nfkc().collect();
    let name_len = s
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit() || *c == '元')
        .map(|(i, _)| i)
        .ok_or(WarekiError::Format)?;
    let era = Era::from_name(s[..name_len].trim()).ok_or(WarekiError::Format)?;
    let rest = &s[name_len..];
    let (year_str, m, d) = split_ymd(rest).ok_or(WarekiError::Format)?;
    let year: i32 = if year_str == "元" {
        1
    } else if (1..=2).contains(&year_str.len()) {
        year_str.parse().map_err(|_| WarekiError::Format)?
    } else {
        return Err(WarekiError::Format);
    };
    if year == 0 {
        return Err(WarekiError::Format);
    }
    let gregorian = era.first_day().year() - 1 + year;
    let date = make_date(gregorian, m, d).ok_or(WarekiError::NoSuchDay)?;
    let in_era = date >= era.first_day() && era.last_day().is_none_or(|last| date <= last);
    if in_era {
        Ok(date)
    } else {
        Err(WarekiError::OutsideEra { era, year, date })
    }
}

/// Formats a date as 和暦 (`令和6年4月1日`, first year as 元年); `None` before 大正.
pub fn format_wareki(date: Date) -> Option<String> {
    let era = Era::of(date)?;
    let year = date.year() - era.first_day().year() + 1;
    let year = if year == 1 {
        "元".to_owned()
    } else {
        year.to_string()
    };
    Some(format!(
        "{}{}年{}月{}日",
        era.kanji(),
        year,
        u8::from(date.month()),
        date.day()
    ))
}

/// Splits `Y<sep>M<sep>D[日]` where sep is one of `-/.` used consistently, or `年`/`月`.
/// Returns the year text unparsed (it may be 元) and the month and day.
fn split_ymd(s: &str) -> Option<(&str, u8, u8)> {
    let (y, rest, sep2): (&str, &str, char) = if let Some((y, rest)) = s.split_once('年') {
        (y, rest, '月')
    } else {
        let sep = s.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
        let (y, rest) = s.split_once(sep)?;
        (y, rest, sep)
    };
    let (m, d) = rest.split_once(sep2)?;
    let d = if sep2 == '月' {
        d.strip_suffix('日')?
    } else {
        d
    };
    let y = y.trim();
    let year_ok = y == "元" || (!y.is_empty() && y.bytes().all(|b| b.is_ascii_digit()));
    if !year_ok {
        return None;
    }
    Some((y, small_number(m.trim())?, small_number(d.trim())?))
}

/// A 1–2 digit number (month or day).
fn small_number(s: &str) -> Option<u8> {
    if (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn make_date(year: i32, month: u8, day: u8) -> Option<Date> {
    let month = Month::try_from(month).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u8, d: u8) -> Date {
        make_date(y, m, d).unwrap_or(Date::MIN)
    }

    #[test]
    fn gregorian_forms() {
        for s in [
            "2024-04-01",
            "2024-4-1",
            "2024/4/1",
            "2024/04/01",
            "2024.4.1",
            "2024年4月1日",
            "２０２４年４月１日",
            " 2024/4/1 ",
        ] {
            assert_eq!(parse_date(s), Some(ymd(2024, 4, 1)), "{s}");
        }
        for s in [
            "20240401",
            "2024-04-01T10:00",
            "24/4/1",
            "2024/4-1",
            "2024-02-30",
            "2024年4月1",
            "",
            "abc",
            "1234",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn wareki_forms() {
        let cases = [
            ("令和6年4月1日", ymd(2024, 4, 1)),
            ("令和元年5月1日", ymd(2019, 5, 1)),
            ("平成31年4月30日", ymd(2019, 4, 30)),
            ("昭和64年1月7日", ymd(1989, 1, 7)),
            ("平成元年1月8日", ymd(1989, 1, 8)),
            ("大正15年12月24日", ymd(1926, 12, 24)),
            ("R6.4.1", ymd(2024, 4, 1)),
            ("r6.4.1", ymd(2024, 4, 1)),
            ("H31.4.30", ymd(2019, 4, 30)),
            ("R06/04/01", ymd(2024, 4, 1)),
            ("㍻31年4月30日", ymd(2019, 4, 30)),
            ("令和６年４月１日", ymd(2024, 4, 1)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_wareki(s), Ok(want), "{s}");
            assert_eq!(parse_date(s), Some(want), "{s}");
        }
    }

    #[test]
    fn wareki_outside_era_is_rejected_with_the_date_it_would_mean() {
        assert_eq!(
            parse_wareki("平成32年3月31日"),
            Err(WarekiError::OutsideEra {
                era: Era::Heisei,
                year: 32,
                date: ymd(2020, 3, 31)
            })
        );
        assert!(matches!(
            parse_wareki("平成31年5月1日"),
            Err(WarekiError::OutsideEra { .. })
        ));
        assert!(matches!(
            parse_wareki("令和元年4月30日"),
            Err(WarekiError::OutsideEra { .. })
        ));
        assert!(matches!(
            parse_wareki("昭和64年1月8日"),
            Err(WarekiError::OutsideEra { .. })
        ));
        assert!(matches!(
            parse_wareki("平成元年1月7日"),
            Err(WarekiError::OutsideEra { .. })
        ));
        assert_eq!(parse_date("平成32年3月31日"), None);
        assert_eq!(parse_wareki("令和6年2月30日"), Err(WarekiError::NoSuchDay));
        assert_eq!(parse_wareki("令和0年1月1日"), Err(WarekiError::Format));
        assert_eq!(parse_wareki("明治5年1月1日"), Err(WarekiError::Format));
        assert_eq!(parse_wareki("X6.4.1"), Err(WarekiError::Format));
    }

    #[test]
    fn format_uses_gannen() {
        assert_eq!(
            format_wareki(ymd(2019, 5, 1)).as_deref(),
            Some("令和元年5月1日")
        );
        assert_eq!(
            format_wareki(ymd(2019, 4, 30)).as_deref(),
            Some("平成31年4月30日")
        );
        assert_eq!(format_wareki(ymd(1900, 1, 1)), None);
    }
}
