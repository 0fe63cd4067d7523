//! The shape of an uploaded CSV/TSV: delimiter, header, column names and types.
//!
//! Only a sample is read ([`SAMPLE_ROWS`] data rows), so sniffing a 100 000-row file is as
//! cheap as a small one; the catalog's importer streams the rest and checks it row by row.

use std::collections::HashSet;

use crate::types::{ColumnType, SAMPLE_ROWS, infer_column, infer_types};

/// Delimiters we recognise, in order of preference when two fit equally well.
const DELIMITERS: [u8; 3] = [b',', b'\t', b';'];

/// Rows looked at when choosing the delimiter.
const DELIMITER_SAMPLE: usize = 100;

/// Leading rows that may be a title above the table (see [`title_rows`]).
pub const MAX_TITLE_ROWS: usize = 10;

/// What [`sniff_csv`] found out about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvShape {
    /// `b','`, `b'\t'` or `b';'`.
    pub delimiter: u8,
    /// Rows above the table that were taken for its title and skipped (see [`title_rows`]).
    pub title_rows: usize,
    /// Whether the first row of the table names the columns.
    pub has_header: bool,
    /// Column names: the header's (trimmed; blanks become `列N`, repeats get `_2`, `_3`…), or
    /// `列1`, `列2`… when there is no header.
    pub columns: Vec<String>,
    /// One inferred type per column, from the sampled rows.
    pub types: Vec<ColumnType>,
    /// Data rows (header excluded) that were sampled.
    pub sampled_rows: usize,
    /// True when the file has rows beyond the sample (not checked here).
    pub more_rows: bool,
}

/// Why a file is not a usable table. Lines are 1-based lines of the text, as an editor shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// No rows at all.
    #[error("ファイルが空です。")]
    Empty,
    /// A row has a different number of fields from the first row.
    #[error(
        "{line}行目の列数が{found}個です（1行目は{expected}個）。区切り文字や引用符を確認してください。"
    )]
    RaggedRow {
        /// Line where the row starts.
        line: u64,
        /// Fields in the first row.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// The CSV reader rejected the text (e.g. an unclosed quote).
    #[error("{line}行目を CSV として読めません: {message}")]
    Malformed {
        /// Line where the problem was found.
        line: u64,
        /// The reader's description.
        message: String,
    },
}

/// Detects the delimiter (comma, tab, semicolon), title rows above the table, whether there is
/// a header, and the columns' names and types, from the first rows of `text`.
///
/// Header rule: a column whose sampled values share a type (numbers, dates…) votes "header" if
/// the first row's cell is not of that type and "no header" if it is; a text column votes "no
/// header" when its first cell repeats further down. Ties go to "header" when the first row's
/// cells are all filled in, distinct and non-numeric, since published data nearly always has one.
///
/// Rows shorter or longer than the table are blank lines (skipped) or, at the end of the file,
/// notes with one value each (「※出典：…」), which the importer skips; elsewhere they are errors.
///
/// # Errors
/// [`CsvError::RaggedRow`] for the first sampled row whose field count differs from the
/// table's first row (a one-value row only when a table row follows it), [`CsvError::Empty`],
/// or [`CsvError::Malformed`].
pub fn sniff_csv(text: &str) -> Result<CsvShape, CsvError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let (delimiter, title) = choose_delimiter(text);
    let mut reader = reader(text, delimiter);
    let mut records = reader.records();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut more_rows = false;
    let mut expected = 0;
    for record in records.by_ref().take(title) {
        record.map_err(|e| malformed(&e))?;
    }
    // The first row of the wrong length with one value that no table row has followed yet:
    // a note below the table if none follows, else a ragged row.
    let mut note: Option<(u64, usize)> = None;
    for record in records.by_ref() {
        let record = record.map_err(|e| malformed(&e))?;
        if rows.len() > SAMPLE_ROWS {
            more_rows = true;
            break;
        }
        let line = record_line(text, &record);
        if rows.is_empty() {
            expected = record.len();
        } else if record.len() != expected {
            match filled(&record) {
                0 => continue,
                1 => {
                    note.get_or_insert((line, record.len()));
                    continue;
                }
                _ => {
                    return Err(CsvError::RaggedRow {
                        line,
                        expected,
                        found: record.len(),
                    });
                }
            }
        }
        if let Some((line, found)) = note {
            return Err(CsvError::RaggedRow {
                line,
                expected,
                found,
            });
        }
        rows.push(record.iter().map(str::to_owned).collect());
    }
    let Some(first) = rows.first() else {
        return Err(CsvError::Empty);
    };
    let has_header = looks_like_header(first, &rows[1..]);
    let (columns, data) = if has_header {
        (column_names(first), &rows[1..])
    } else {
        (
            (1..=expected).map(|i| format!("列{i}")).collect(),
            &rows[..],
        )
    };
    let types = infer_types(&columns, data);
    Ok(CsvShape {
        delimiter,
        title_rows: title,
        has_header,
        columns,
        types,
        sampled_rows: data.len(),
        more_rows,
    })
}

/// The line (1-based) where `record` starts in `text`, the text its reader read. The csv
/// crate's own position is where it began looking for the record, before the blank lines it
/// skips, so after a blank line it names a line too early.
pub fn record_line(text: &str, record: &csv::StringRecord) -> u64 {
    let Some(position) = record.position() else {
        return 0;
    };
    let mut line = position.line();
    let start = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let rest = text.as_bytes().get(start..).unwrap_or_default();
    for (i, &b) in rest.iter().enumerate() {
        match b {
            b'\n' => line += 1,
            // A lone CR ends a line too; in CRLF the LF counts.
            b'\r' if rest.get(i + 1) != Some(&b'\n') => line += 1,
            b'\r' => {}
            _ => break,
        }
    }
    line
}

/// How many of a row's cells hold something other than spaces: a title or note row has one.
pub fn filled<'a>(cells: impl IntoIterator<Item = &'a str>) -> usize {
    cells.into_iter().filter(|c| !c.trim().is_empty()).count()
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

fn malformed(e: &csv::Error) -> CsvError {
    CsvError::Malformed {
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    }
}

/// A delimiter's fit: rows agreeing with the table's first (per mille), fewer title rows,
/// columns; higher is better.
type Score = (usize, std::cmp::Reverse<usize>, usize);

/// Picks the delimiter whose field counts are most consistent over the first rows of the
/// table (below its title rows, see [`title_rows`]), then the one giving more columns, and
/// says how many title rows it leaves above the table. Falls back to comma (one column, no
/// title) when none splits anything.
fn choose_delimiter(text: &str) -> (u8, usize) {
    // (score, delimiter, title rows) of the best so far.
    let mut best: Option<(Score, u8, usize)> = None;
    for delimiter in DELIMITERS {
        let rows: Vec<(usize, usize)> = reader(text, delimiter)
            .records()
            .take(DELIMITER_SAMPLE)
            .map_while(Result::ok)
            .map(|r| (r.len(), filled(&r)))
            .collect();
        let title = title_rows(rows.iter().map(|&(_, filled)| filled));
        let counts: Vec<usize> = rows[title..].iter().map(|&(n, _)| n).collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        let agreeing = counts.iter().filter(|&&c| c == first).count();
        // Score: share of rows agreeing with the first (in per-mille), then fewer title rows
        // (a comma inside a TSV's numbers can make its header look like a title), then
        // column count.
        let score = (
            agreeing * 1000 / counts.len(),
            std::cmp::Reverse(title),
            first,
        );
        if best.is_none_or(|(s, _, _)| score > s) {
            best = Some((score, delimiter, title));
        }
    }
    best.map_or((b',', 0), |(_, d, title)| (d, title))
}

/// How many of the leading rows are a title above the table, given how many cells of each
/// row are filled in: municipal files often start with a line such as
/// 「AED設置箇所一覧（令和6年4月1日現在）」 or a blank one before the header. The rows before
/// the first one with two or more values, when they hold at most one value each and are at
/// most [`MAX_TITLE_ROWS`]; none when no row has two values (a one-column table).
pub fn title_rows(filled: impl IntoIterator<Item = usize>) -> usize {
    filled
        .into_iter()
        .take(MAX_TITLE_ROWS + 1)
        .position(|n| n >= 2)
        .unwrap_or(0)
}

fn looks_like_header(first: &[String], rest: &[Vec<String>]) -> bool {
    let mut score = 0i32;
    for (i, cell) in first.iter().enumerate() {
        let cells = || rest.iter().map(|r| r.get(i).map_or("", String::as_str));
        let rest_type = infer_column("", cells());
        let first_type = infer_column("", std::iter::once(cell.as_str()));
        if rest_type != ColumnType::Text {
            let conforms = first_type == rest_type
                || (rest_type == ColumnType::Decimal && first_type == ColumnType::Integer);
            score += if conforms { -1 } else { 1 };
        } else if !cell.trim().is_empty() && cells().any(|c| c == cell) {
            score -= 1;
        }
    }
    let mut seen = HashSet::new();
    let names_like = first.iter().all(|c| {
        let c = c.trim();
        !c.is_empty() && seen.insert(c) && infer_column("", std::iter::once(c)) == ColumnType::Text
    });
    score > 0 || (score == 0 && names_like)
}

/// Header cells as column names: trimmed, blanks named by position (`列N`), repeats made
/// unique (`_2`, `_3`…). Spreadsheet readers use it too, so a table gets the same column names
/// whether it was uploaded as CSV or XLSX.
pub fn column_names(header: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    header
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let base = match raw.trim() {
                "" => format!("列{}", i + 1),
                name => name.to_owned(),
            };
            let mut name = base.clone();
            let mut n = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_with_header_and_types() {
        let text = "名称,緯度,経度,開設日,定員\n\
                    山口県庁,34.1861,131.4705,昭和59年4月1日,100\n\
                    下関市役所,33.9578,130.9414,2024/4/1,\n\
                    萩市役所,34.4081,131.3990,R6.4.1,30\n\
                    周南市役所,34.0552,131.8062,2024-04-01,40\n";
        assert_eq!(
            sniff_csv(text),
            Ok(CsvShape {
                delimiter: b',',
                title_rows: 0,
                has_header: true,
                columns: ["名称", "緯度", "経度", "開設日", "定員"]
                    .map(String::from)
                    .to_vec(),
                types: vec![
                    ColumnType::Text,
                    ColumnType::Latitude,
                    ColumnType::Longitude,
                    ColumnType::Date,
                    ColumnType::Integer
                ],
                sampled_rows: 4,
                more_rows: false,
            })
        );
    }

    #[test]
    fn tab_and_semicolon() {
        let tsv = "市町\t人口\n山口市\t187,000\n下関市\t250,000\n";
        assert_eq!(sniff_csv(tsv).map(|s| s.delimiter), Ok(b'\t'));
        let ssv = "a;b;c\n1;2,5;3\n4;5,5;6\n";
        assert_eq!(sniff_csv(ssv).map(|s| s.delimiter), Ok(b';'));
    }

    #[test]
    fn no_header_when_first_row_is_data() {
        let text = "1,山口市,34.18\n2,下関市,33.95\n3,宇部市,33.95\n";
        let shape = sniff_csv(text);
        assert_eq!(shape.as_ref().map(|s| s.has_header), Ok(false));
        assert_eq!(
            shape.map(|s| s.columns),
            Ok(vec!["列1".to_owned(), "列2".to_owned(), "列3".to_owned()])
        );
    }

    #[test]
    fn text_only_table_keeps_distinct_header() {
        let text = "市町名,よみ\n山口市,やまぐちし\n下関市,しものせきし\n";
        assert_eq!(sniff_csv(text).map(|s| s.has_header), Ok(true));
    }

    #[test]
    fn ragged_row_names_its_line() {
        let mut text = String::from("a,b,c,d,e\n");
        for i in 0..15 {
            text.push_str(&format!("{i},2,3,4,5\n"));
        }
        text.push_str("x,y,z,w\n");
        let err = sniff_csv(&text);
        assert_eq!(
            err,
            Err(CsvError::RaggedRow {
                line: 17,
                expected: 5,
                found: 4
            })
        );
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("17行目"), "{message}");
    }

    #[test]
    fn quoted_newlines_and_bom() {
        let text = "\u{FEFF}名称,説明\n\"A\",\"1行目\n2行目\"\n\"B\",\"x,y\"\n";
        let shape = sniff_csv(text);
        assert_eq!(
            shape.as_ref().map(|s| (s.delimiter, s.columns.clone())),
            Ok((b',', vec!["名称".to_owned(), "説明".to_owned()]))
        );
    }

    #[test]
    fn duplicate_and_blank_header_names() {
        assert_eq!(
            column_names(&["名称".into(), " ".into(), "名称".into()]),
            vec!["名称", "列2", "名称_2"]
        );
    }

    #[test]
    fn empty_and_large_inputs() {
        assert_eq!(sniff_csv(""), Err(CsvError::Empty));
        let mut big = String::from("id,value\n");
        for i in 0..100_000 {
            big.push_str(&format!("{i},{}\n", i * 2));
        }
        let shape = sniff_csv(&big);
        assert_eq!(
            shape.map(|s| (s.sampled_rows, s.more_rows, s.types)),
            Ok((
                SAMPLE_ROWS,
                true,
                vec![ColumnType::Integer, ColumnType::Integer]
            ))
        );
    }

    /// A title line (with or without the table's commas) and a blank line above the header
    /// are skipped, the delimiter is found below them, and errors still name the file's lines.
    #[test]
    fn title_rows_above_the_table_are_skipped() {
        let table = "名称,緯度,経度\n山口県庁,34.1861,131.4705\n萩市役所,34.4081,131.3990\n";
        for (title, skipped) in [
            ("AED設置箇所一覧（令和6年4月1日現在）\n", 1),
            ("AED設置箇所一覧,,\n,,\n", 2),
            ("\"AED設置箇所一覧\"\n山口県 健康福祉部\n\n", 2),
            ("", 0),
        ] {
            let shape = sniff_csv(&format!("{title}{table}")).unwrap();
            assert_eq!(shape.title_rows, skipped, "{title:?}");
            assert_eq!(shape.delimiter, b',');
            assert!(shape.has_header);
            assert_eq!(shape.columns, ["名称", "緯度", "経度"]);
            assert_eq!(shape.sampled_rows, 2);
        }
        let tsv = "施設一覧\n名称\t定員\n保育園A\t30\n保育園B\t45\n";
        let shape = sniff_csv(tsv).unwrap();
        assert_eq!((shape.delimiter, shape.title_rows), (b'\t', 1));
        assert_eq!(shape.columns, ["名称", "定員"]);
        // A ragged row below the table's first row is still an error at its own line.
        assert_eq!(
            sniff_csv("一覧\na,b\n1,2\n3,4,5\n"),
            Err(CsvError::RaggedRow {
                line: 4,
                expected: 2,
                found: 3
            })
        );
        // Notes below the table are left out of the sample; before a table row, one is
        // a ragged row.
        let shape = sniff_csv("名称,定員\n保育園A,30\n保育園B,45\n※出典：山口県\n").unwrap();
        assert_eq!(
            (shape.sampled_rows, shape.types[1]),
            (2, ColumnType::Integer)
        );
        assert_eq!(
            sniff_csv("名称,定員\n保育園A,30\n※注\n保育園B,45\n"),
            Err(CsvError::RaggedRow {
                line: 3,
                expected: 2,
                found: 1
            })
        );
        // Lines are counted from the file, blank lines included (the csv crate's own count
        // stops at the first blank line before a record).
        assert_eq!(
            sniff_csv("a,b\r\n1,2\r\n\r\n\r\n3,4,5\r\n"),
            Err(CsvError::RaggedRow {
                line: 5,
                expected: 2,
                found: 3
            })
        );
        // A one-column table has no title to skip.
        assert_eq!(sniff_csv("名称\n山口\n萩\n").unwrap().title_rows, 0);
        // More than MAX_TITLE_ROWS single-value rows are not a title.
        let long = format!("{}a,b\n1,2\n", "x\n".repeat(MAX_TITLE_ROWS + 1));
        assert_eq!(
            sniff_csv(&long),
            Err(CsvError::RaggedRow {
                line: 12,
                expected: 1,
                found: 2
            })
        );
    }
}
