//! Column types of tabular open data, inferred from a sample of rows.
//!
//! The catalog uses the types to offer a map (latitude/longitude), date filters and numeric
//! charts for an uploaded file without asking the uploader to describe it.

use unicode_normalization::UnicodeNormalization;

use crate::date::parse_date;

/// Only this many rows are examined, so typing a 100 000-row file costs the same as 1 000.
pub const SAMPLE_ROWS: usize = 1000;

/// A column may still get a non-text type when at most this share of its sampled cells is
/// empty (or a placeholder such as `-`); more holes than that and we cannot tell, so it is text.
pub const MAX_EMPTY_SHARE: f64 = 0.25;

/// What a column holds. Anything mixed or unrecognised is [`ColumnType::Text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// Whole numbers (`1,234` and `-5` allowed; `012` is an identifier, hence text).
    Integer,
    /// Numbers with a decimal point.
    Decimal,
    /// Dates in any form [`parse_date`] reads, 和暦 included.
    Date,
    /// Latitude in degrees: header says so and every value is within ±90.
    Latitude,
    /// Longitude in degrees: header says so and every value is within ±180.
    Longitude,
    /// true/false, 有/無, あり/なし, ○/×, はい/いいえ.
    Boolean,
    /// Everything else.
    Text,
}

/// Infers one type per column from the header names and up to [`SAMPLE_ROWS`] data rows.
///
/// `columns` are the header names (used for latitude/longitude); pass generated names when the
/// file has no header. Rows shorter than the header count their missing cells as empty.
pub fn infer_types<R, S>(columns: &[impl AsRef<str>], rows: &[R]) -> Vec<ColumnType>
where
    R: AsRef<[S]>,
    S: AsRef<str>,
{
    let sample = &rows[..rows.len().min(SAMPLE_ROWS)];
    columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let cells = sample
                .iter()
                .map(|row| row.as_ref().get(i).map_or("", |c| c.as_ref()));
            infer_column(name.as_ref(), cells)
        })
        .collect()
}

/// Types one column from its header and its sampled cells.
pub fn infer_column<'a>(name: &str, cells: impl Iterator<Item = &'a str>) -> ColumnType {
    let mut total = 0usize;
    let mut values: Vec<String> = Vec::new();
    for cell in cells {
        total += 1;
        let v: String = cell.trim().nfkc().collect();
        if !is_placeholder(&v) {
            values.push(v);
        }
    }
    let empty = total - values.len();
    if values.is_empty() || empty as f64 > total as f64 * MAX_EMPTY_SHARE {
        return ColumnType::Text;
    }
    let all = |f: fn(&str) -> bool| values.iter().all(|v| f(v));
    let axis = coordinate_axis(name);
    if let Some(axis) = axis {
        let limit = match axis {
            ColumnType::Latitude => 90.0,
            _ => 180.0,
        };
        let in_range = values
            .iter()
            .all(|v| parse_number(v).is_some_and(|x| x.abs() <= limit));
        if in_range {
            return axis;
        }
    }
    if all(is_integer) {
        ColumnType::Integer
    } else if all(|v| parse_number(v).is_some()) {
        ColumnType::Decimal
    } else if all(|v| parse_date(v).is_some()) {
        ColumnType::Date
    } else if all(is_boolean) {
        ColumnType::Boolean
    } else {
        ColumnType::Text
    }
}

/// Empty cells and the dashes Japanese tables use for "none" (after NFKC: `-`, `―`, `—`).
fn is_placeholder(v: &str) -> bool {
    matches!(v, "" | "-" | "―" | "—" | "‐" | "−")
}

/// Which coordinate a header names, from its words: 緯度/経度 anywhere (所在地_緯度,
/// 世界測地系緯度), or an ASCII word lat/latitude/ido, lon/lng/long/longitude/keido.
fn coordinate_axis(name: &str) -> Option<ColumnType> {
    let name: String = name.trim().nfkc().flat_map(char::to_lowercase).collect();
    if name.contains("緯度") {
        return Some(ColumnType::Latitude);
    }
    if name.contains("経度") {
        return Some(ColumnType::Longitude);
    }
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|word| match word {
            "lat" | "latitude" | "ido" => Some(ColumnType::Latitude),
            "lon" | "lng" | "long" | "longitude" | "keido" => Some(ColumnType::Longitude),
            _ => None,
        })
}

/// `-12`, `1,234` (commas only in groups of three). A leading zero makes it an identifier
/// (`012`, postal and municipality codes keep their zeros), hence not an integer.
fn is_integer(v: &str) -> bool {
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return false;
    }
    grouped_digits(digits)
}

fn grouped_digits(s: &str) -> bool {
    if !s.contains(',') {
        return !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    }
    let mut groups = s.split(',');
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
    first_ok && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// A plain decimal number (`34.1861`, `-0.5`, `1,234.5`); no exponents, no `.5`, and no
/// leading zero (`012.5` is a code).
fn parse_number(v: &str) -> Option<f64> {
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let leading_zero = int.len() > 1 && int.starts_with('0');
    if leading_zero || !grouped_digits(int) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if unsigned.contains('.') && frac.is_empty() {
        return None;
    }
    v.replace(',', "").parse().ok()
}

fn is_boolean(v: &str) -> bool {
    matches!(
        v.to_lowercase().as_str(),
        "true" | "false" | "有" | "無" | "あり" | "なし" | "○" | "×" | "はい" | "いいえ"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, cells: &[&str]) -> ColumnType {
        infer_column(name, cells.iter().copied())
    }

    #[test]
    fn numbers() {
        assert_eq!(col("人口", &["1,234", "56", "-7"]), ColumnType::Integer);
        assert_eq!(col("面積", &["1.5", "2", "3.25"]), ColumnType::Decimal);
        assert_eq!(col("コード", &["352012", "035203"]), ColumnType::Text);
        assert_eq!(col("人口", &["１２３", "４５"]), ColumnType::Integer);
        assert_eq!(col("x", &["1,23", "4"]), ColumnType::Text);
    }

    #[test]
    fn coordinates_need_name_and_range() {
        assert_eq!(col("緯度", &["34.1785", "33.95"]), ColumnType::Latitude);
        assert_eq!(col("経度", &["131.4737", "130.94"]), ColumnType::Longitude);
        assert_eq!(col("所在地_緯度", &["34.1785"]), ColumnType::Latitude);
        assert_eq!(col("Latitude", &["34.1785"]), ColumnType::Latitude);
        assert_eq!(col("geo_lng", &["131.4"]), ColumnType::Longitude);
        assert_eq!(col("ido", &["34"]), ColumnType::Latitude);
        assert_eq!(col("keido", &["131"]), ColumnType::Longitude);
        // Out of range: a plane-rectangular coordinate, not degrees.
        assert_eq!(col("緯度", &["-203456.12"]), ColumnType::Decimal);
        // In range but no coordinate name.
        assert_eq!(col("気温", &["34.1"]), ColumnType::Decimal);
        // "long" inside another word does not count.
        assert_eq!(col("belong", &["34.1"]), ColumnType::Decimal);
    }

    #[test]
    fn dates_booleans_text() {
        assert_eq!(
            col(
                "開設日",
                &["2024-04-01", "令和元年5月1日", "H31.4.30", "2024/4/1"]
            ),
            ColumnType::Date
        );
        assert_eq!(col("日付", &["平成32年3月31日"]), ColumnType::Text);
        assert_eq!(col("駐車場", &["有", "無", "有"]), ColumnType::Boolean);
        assert_eq!(col("名称", &["山口県庁", "12"]), ColumnType::Text);
    }

    #[test]
    fn empties_tolerated_up_to_a_share() {
        assert_eq!(col("数", &["1", "", "3", "4", "-"]), ColumnType::Text); // 40 % empty
        assert_eq!(col("数", &["1", "", "3", "4", "5"]), ColumnType::Integer); // 20 %
        assert_eq!(col("備考", &["", ""]), ColumnType::Text);
    }

    #[test]
    fn rows_are_sampled_and_short_rows_count_as_empty() {
        let mut rows: Vec<Vec<String>> = (0..SAMPLE_ROWS)
            .map(|i| vec![i.to_string(), "x".into()])
            .collect();
        rows.push(vec!["not a number".into()]);
        assert_eq!(
            infer_types(&["番号", "値"], &rows),
            vec![ColumnType::Integer, ColumnType::Text]
        );
    }
}
