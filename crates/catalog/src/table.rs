//! Reading uploaded tables (CSV/TSV/XLSX) as municipalities publish them, and comparing two
//! versions of one.
//!
//! Decoding (UTF-8, BOM, Shift_JIS), delimiter and header detection and type inference are
//! `ydx_text`'s, and workbooks are read by [`crate::xlsx`]; this module reads every row,
//! refuses a file with a clear line-numbered error rather than storing something half-read,
//! and computes [`TableChange`] between versions.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::error::{CatalogError, Result};
use crate::model::{Column, TableChange, TableInfo};

/// A table read in full: what was learned and every data row (header excluded).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTable {
    pub info: TableInfo,
    pub rows: Vec<Vec<String>>,
}

/// Formats read as tables.
pub fn is_tabular(format: &str) -> bool {
    matches!(format, "CSV" | "TSV" | "XLSX")
}

/// Reads a file of a tabular format ([`is_tabular`]): XLSX as a workbook, anything else as
/// delimited text.
///
/// # Errors
/// See [`read_table`] and [`read_xlsx`].
pub fn read_tabular(format: &str, bytes: &[u8]) -> Result<ParsedTable> {
    match format {
        "XLSX" => read_xlsx(bytes),
        _ => read_table(bytes),
    }
}

/// Reads the table of an XLSX workbook's first visible worksheet with a value (see
/// [`crate::xlsx`] for how cells become text). The header is the first row with a value
/// below any title rows; its blank cells are named `列N` and repeated names get `_2`, `_3`…
/// as in a CSV; column types are inferred from the text as for a CSV.
///
/// # Errors
/// [`CatalogError::BadFile`], see [`crate::xlsx::read_sheet`].
pub fn read_xlsx(bytes: &[u8]) -> Result<ParsedTable> {
    let sheet = crate::xlsx::read_sheet(bytes)?;
    let names = ydx_text::column_names(&sheet.header);
    let rows: Vec<Vec<String>> = sheet.rows.into_iter().map(|(_, r)| r).collect();
    let types = ydx_text::infer_types(&names, &rows);
    let columns = names
        .into_iter()
        .zip(types)
        .map(|(name, t)| Column {
            name,
            kind: kind_name(t).to_string(),
        })
        .collect();
    Ok(ParsedTable {
        info: TableInfo {
            encoding: String::new(),
            delimiter: String::new(),
            sheet: Some(sheet.name),
            title_rows: sheet.title_rows as u32,
            note_rows: 0,
            columns,
            row_count: rows.len() as i64,
        },
        rows,
    })
}

/// The format of an upload: the one given (upper-cased), else the file name's extension.
pub fn format_of(given: Option<&str>, filename: &str) -> String {
    match given.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => f.trim_start_matches('.').to_uppercase(),
        None => filename
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_uppercase())
            .unwrap_or_default(),
    }
}

/// The MIME type CKAN would show for a format.
pub fn mimetype_of(format: &str) -> &'static str {
    match format {
        "CSV" => "text/csv",
        "TSV" => "text/tab-separated-values",
        "JSON" => "application/json",
        "GEOJSON" => "application/geo+json",
        "XLSX" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "PDF" => "application/pdf",
        "ZIP" => "application/zip",
        "TXT" => "text/plain",
        _ => "application/octet-stream",
    }
}

fn kind_name(t: ydx_text::ColumnType) -> &'static str {
    use ydx_text::ColumnType as T;
    match t {
        T::Integer => "integer",
        T::Decimal => "decimal",
        T::Date => "date",
        T::Latitude => "latitude",
        T::Longitude => "longitude",
        T::Boolean => "boolean",
        T::Text => "text",
    }
}

/// Reads a whole CSV/TSV file.
///
/// # Errors
/// [`CatalogError::BadFile`] naming the line: undecodable bytes, an unclosed quote, a row
/// with a different number of fields from the header, or an empty file.
pub fn read_table(bytes: &[u8]) -> Result<ParsedTable> {
    let decoded = ydx_text::decode(bytes).map_err(|e| CatalogError::BadFile {
        line: e.line as u64,
        message: e.to_string(),
    })?;
    let encoding = match decoded.encoding {
        ydx_text::Encoding::Utf8 => "utf-8",
        ydx_text::Encoding::Utf8Bom => "utf-8-bom",
        ydx_text::Encoding::ShiftJis => "shift_jis",
        ydx_text::Encoding::Utf16Le => "utf-16le",
        ydx_text::Encoding::Utf16Be => "utf-16be",
    };
    let text = decoded.text;
    let shape = ydx_text::sniff_csv(&text).map_err(|e| {
        let line = match &e {
            ydx_text::CsvError::Empty => 0,
            ydx_text::CsvError::RaggedRow { line, .. }
            | ydx_text::CsvError::Malformed { line, .. } => *line,
        };
        CatalogError::BadFile {
            line,
            message: e.to_string(),
        }
    })?;
    let width = shape.columns.len();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(shape.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let ragged = |line: u64, found: usize| CatalogError::BadFile {
        line,
        message: format!(
            "{line}行目の列数が{found}個です（見出しは{width}個）。区切り文字や引用符を確認してください。"
        ),
    };
    let mut rows = Vec::new();
    // Rows of the wrong length with one value each, since the last table row: notes below
    // the table (「※出典：…」) when nothing but more of them follows.
    let mut notes: Vec<(u64, usize)> = Vec::new();
    let mut first = true;
    for record in reader.records().skip(shape.title_rows) {
        let record = record.map_err(|e| CatalogError::BadFile {
            line: e.position().map_or(0, |p| p.line()),
            message: format!("CSV として読めません: {e}"),
        })?;
        if first && shape.has_header {
            first = false;
            continue;
        }
        first = false;
        let line = ydx_text::record_line(&text, &record);
        if record.len() != width {
            match ydx_text::filled(&record) {
                // A blank line at the end (or in the middle) is not a row.
                0 => continue,
                1 if notes.len() < ydx_text::MAX_TITLE_ROWS => {
                    notes.push((line, record.len()));
                    continue;
                }
                // More one-value rows than notes would be: the first of them is the fault.
                1 => {
                    let (line, found) = notes.first().copied().unwrap_or((line, record.len()));
                    return Err(ragged(line, found));
                }
                _ => return Err(ragged(line, record.len())),
            }
        }
        if let Some(&(line, found)) = notes.first() {
            return Err(ragged(line, found));
        }
        rows.push(record.iter().map(str::to_owned).collect::<Vec<_>>());
    }
    let columns = shape
        .columns
        .iter()
        .zip(&shape.types)
        .map(|(name, t)| Column {
            name: name.clone(),
            kind: kind_name(*t).to_string(),
        })
        .collect();
    let delimiter = match shape.delimiter {
        b'\t' => "\t".to_string(),
        d => char::from(d).to_string(),
    };
    Ok(ParsedTable {
        info: TableInfo {
            encoding: encoding.to_string(),
            delimiter,
            sheet: None,
            title_rows: shape.title_rows as u32,
            note_rows: notes.len() as u32,
            columns,
            row_count: rows.len() as i64,
        },
        rows,
    })
}

/// What changed from `old` to `new`.
///
/// Columns are matched by name. Rows are compared on the columns both versions have:
/// - when the first column is shared and its values are unique and non-empty in both
///   versions (an id column, as published tables usually have), rows are keyed by it: a key
///   only in `new` is added, only in `old` removed, in both with different values changed;
/// - otherwise rows have no identity, and the versions are compared as multisets of rows:
///   rows only in `new` are added, rows only in `old` removed, and nothing counts as changed
///   (an edited row shows as one removed and one added).
pub fn diff_tables(old: &ParsedTable, new: &ParsedTable) -> TableChange {
    let old_names: Vec<&str> = old.info.columns.iter().map(|c| c.name.as_str()).collect();
    let new_names: Vec<&str> = new.info.columns.iter().map(|c| c.name.as_str()).collect();
    let columns_added = new_names
        .iter()
        .filter(|n| !old_names.contains(n))
        .map(|n| n.to_string())
        .collect();
    let columns_removed = old_names
        .iter()
        .filter(|n| !new_names.contains(n))
        .map(|n| n.to_string())
        .collect();
    // Positions of the shared columns in each version, in the old order.
    let shared: Vec<(usize, usize)> = old_names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| new_names.iter().position(|m| m == n).map(|j| (i, j)))
        .collect();
    let project = |row: &[String], old_side: bool| -> u64 {
        let mut h = DefaultHasher::new();
        for &(i, j) in &shared {
            let idx = if old_side { i } else { j };
            row.get(idx).map_or("", String::as_str).hash(&mut h);
            0xffu8.hash(&mut h);
        }
        h.finish()
    };
    let keyed = shared.first().is_some_and(|&(i, j)| i == 0 && j == 0)
        && unique_keys(&old.rows)
        && unique_keys(&new.rows);
    let mut change = TableChange {
        columns_added,
        columns_removed,
        ..TableChange::default()
    };
    if keyed {
        let old_by_key: HashMap<&str, u64> = old
            .rows
            .iter()
            .map(|r| (r[0].as_str(), project(r, true)))
            .collect();
        let mut seen = 0i64;
        for r in &new.rows {
            match old_by_key.get(r[0].as_str()) {
                None => change.rows_added += 1,
                Some(&h) => {
                    seen += 1;
                    if h != project(r, false) {
                        change.rows_changed += 1;
                    }
                }
            }
        }
        change.rows_removed = old.rows.len() as i64 - seen;
    } else {
        let mut counts: HashMap<u64, i64> = HashMap::new();
        for r in &old.rows {
            *counts.entry(project(r, true)).or_default() += 1;
        }
        for r in &new.rows {
            let c = counts.entry(project(r, false)).or_default();
            if *c > 0 {
                *c -= 1;
            } else {
                change.rows_added += 1;
            }
        }
        change.rows_removed = counts.values().sum();
    }
    change
}

fn unique_keys(rows: &[Vec<String>]) -> bool {
    let mut seen = HashSet::with_capacity(rows.len());
    rows.iter().all(|r| {
        r.first()
            .is_some_and(|k| !k.trim().is_empty() && seen.insert(k.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A title line and a date line above the header (as a municipality's Excel export has
    /// them) are skipped and counted; the rows, types and error lines are the table's.
    #[test]
    fn title_rows_above_the_header_are_skipped() {
        let text = "AED設置箇所一覧,,\n令和6年4月1日現在,,\n番号,名称,人数\n1,山口,10\n2,萩,20\n";
        let t = read_table(text.as_bytes()).unwrap();
        assert_eq!(t.info.title_rows, 2);
        let names: Vec<&str> = t.info.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["番号", "名称", "人数"]);
        assert_eq!(t.info.columns[2].kind, "integer");
        assert_eq!(t.rows, [["1", "山口", "10"], ["2", "萩", "20"]]);
        // Without the table's commas, the title no longer makes the file ragged.
        let t = read_table("AED設置箇所一覧\n番号,名称\n1,山口\n".as_bytes()).unwrap();
        assert_eq!((t.info.title_rows, t.info.row_count), (1, 1));
        let bad = read_table("一覧\n番号,名称\n1,山口\n2,萩,余分\n".as_bytes()).unwrap_err();
        assert!(
            matches!(&bad, CatalogError::BadFile { line: 4, .. }),
            "{bad:?}"
        );
        // Notes below the table (one value, without the table's commas) are skipped and
        // counted; a table row after one makes it a ragged row again, named by its line.
        let text = "番号,名称\n1,山口\n2,萩\n\n※出典：山口県\n※令和6年4月1日現在\n";
        let t = read_table(text.as_bytes()).unwrap();
        assert_eq!((t.info.note_rows, t.info.row_count), (2, 2));
        assert_eq!(t.rows[1], ["2", "萩"]);
        let bad = read_table("番号,名称\n1,山口\n※注記\n2,萩\n".as_bytes()).unwrap_err();
        assert!(
            matches!(&bad, CatalogError::BadFile { line: 3, .. }),
            "{bad:?}"
        );
        // After blank lines, the line named is the row's own.
        let bad = read_table("番号,名称\n1,山口\n\n\n2,萩,余分\n".as_bytes()).unwrap_err();
        assert!(
            matches!(&bad, CatalogError::BadFile { line: 5, .. }),
            "{bad:?}"
        );
        let many = format!("番号,名称\n1,山口\n{}", "※\n".repeat(11));
        let bad = read_table(many.as_bytes()).unwrap_err();
        assert!(
            matches!(&bad, CatalogError::BadFile { line: 3, .. }),
            "{bad:?}"
        );
        // No title: nothing skipped, and nothing stored for it.
        let t = read_table("番号,名称\n1,山口\n".as_bytes()).unwrap();
        assert_eq!(t.info.title_rows, 0);
        assert_eq!((t.info.title_rows, t.info.note_rows), (0, 0));
        let stored = serde_json::to_string(&t.info).unwrap();
        assert!(!stored.contains("title_rows"), "{stored}");
        assert!(!stored.contains("note_rows"), "{stored}");
    }

    #[test]
    fn reads_and_diffs() {
        let a = read_table("番号,名称,人数\n1,山口,10\n2,萩,20\n3,防府,30\n".as_bytes()).unwrap();
        assert_eq!(a.info.row_count, 3);
        assert_eq!(a.info.columns[2].kind, "integer");
        let b = read_table("番号,名称,人数,備考\n1,山口,10,\n2,萩,25,\n4,下関,40,\n".as_bytes())
            .unwrap();
        let c = diff_tables(&a, &b);
        assert_eq!((c.rows_added, c.rows_removed, c.rows_changed), (1, 1, 1));
        assert_eq!(c.columns_added, vec!["備考".to_string()]);
        let bad = read_table("a,b\n1,2\n3,4,5\n".as_bytes()).unwrap_err();
        assert!(
            matches!(bad, CatalogError::BadFile { line: 3, .. }),
            "{bad:?}"
        );
    }

    #[test]
    fn unkeyed_diff_counts_multisets() {
        let a = read_table("名称,区分\nA,x\nA,x\nB,y\n".as_bytes()).unwrap();
        let b = read_table("名称,区分\nA,x\nB,z\n".as_bytes()).unwrap();
        let c = diff_tables(&a, &b);
        assert_eq!((c.rows_added, c.rows_removed, c.rows_changed), (1, 2, 0));
    }
}
