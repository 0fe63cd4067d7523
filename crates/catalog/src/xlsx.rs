//! Reading an XLSX workbook as one table.
//!
//! The table is the first visible worksheet that has any value, read as text so that the rest
//! of the catalog (type inference, the data API, diffs, standard-dataset checks) treats it
//! exactly like a CSV:
//! - the first row with a value is the header, unless rows with one value each (a title, a
//!   date line) stand above a wider table: those are skipped as CSV title rows are; rows and
//!   columns outside the used area, and rows with no value, are dropped; short rows are
//!   padded with empty cells;
//! - numbers as Excel shows them in General format (15 significant digits; whole numbers
//!   without `.0`), dates as `YYYY-MM-DD`, date-times as `YYYY-MM-DDTHH:MM:SS`, times as
//!   `HH:MM:SS`, durations as `H:MM:SS`, booleans as `TRUE`/`FALSE`, formulas as the value
//!   Excel last computed and saved, text as written (a cell holding only spaces is empty);
//! - an error value (`#N/A`, `#DIV/0!`…) refuses the file, naming the cell: publishing the
//!   error text, or silently an empty cell, would hide a broken formula.
//!
//! The worksheet is streamed cell by cell and only cells with a value are kept, so a stray
//! value far from the table cannot make the reader allocate the whole sheet grid; a table
//! over [`MAX_CELLS`] cells is refused. Before anything is unzipped, a workbook whose parts
//! would unzip to more than [`MAX_UNZIPPED_BYTES`] (a "zip bomb") is refused, and so is a
//! shared-string table that claims more strings than it could hold (calamine reserves memory
//! for the number claimed, so a small file could otherwise ask for terabytes).

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx, XlsxError};

use crate::error::{CatalogError, Result};

/// Cells (rows × columns of the used area) a table may have. A CSV at the upload limit
/// holds at most about this many; a workbook compresses far better, so it needs its own cap.
pub const MAX_CELLS: usize = 50_000_000;

/// What the parts of a workbook may unzip to, in all. The zip reader refuses a part that
/// grows past the size it declares, so the declared sizes are checked before reading.
pub const MAX_UNZIPPED_BYTES: u64 = 1 << 30;

/// The first bytes of an OLE2 compound file: old `.xls` workbooks, and encrypted `.xlsx`.
const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The table of one worksheet, as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The worksheet's name (shown instead of an encoding and a delimiter).
    pub name: String,
    /// The header row's cells as written (blank ones empty), as wide as the table.
    pub header: Vec<String>,
    /// Rows with a value above the table taken for its title and skipped (see
    /// [`ydx_text::title_rows`]).
    pub title_rows: usize,
    /// The worksheet row (1-based, as Excel numbers it) of the header.
    pub header_row: u64,
    /// Data rows: the worksheet row number and the cells, as wide as the table.
    pub rows: Vec<(u64, Vec<String>)>,
}

fn bad(line: u64, message: String) -> CatalogError {
    CatalogError::BadFile { line, message }
}

/// Reads the table of the first visible worksheet that has a value.
///
/// # Errors
/// [`CatalogError::BadFile`] with a Japanese message: not an XLSX file (including an old
/// `.xls`), an encrypted workbook, a workbook with no value in any visible worksheet, an
/// error value in a cell (the line is its row), or a table over [`MAX_CELLS`].
pub fn read_sheet(bytes: &[u8]) -> Result<Sheet> {
    if bytes.is_empty() {
        return Err(bad(0, "ファイルが空です。".into()));
    }
    check_package(bytes, MAX_UNZIPPED_BYTES)?;
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| open_error(bytes, &e))?;
    let names: Vec<String> = book
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect();
    for name in names {
        if let Some(sheet) = read_worksheet(&mut book, &name)? {
            return Ok(sheet);
        }
    }
    Err(bad(
        0,
        "ワークブックのどの（表示されている）シートにも値がありません。表を入力したシートを含めて保存してください。"
            .into(),
    ))
}

/// Refuses a workbook whose parts declare more than `max_unzipped` bytes in all, or whose
/// shared-string table claims more strings than its declared size could hold (at least 9
/// bytes each, `<si></si>`). Anything that is not a readable zip is left to calamine, which
/// says what is wrong with it.
pub fn check_package(bytes: &[u8], max_unzipped: u64) -> Result<()> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut total = 0u64;
    let mut strings = Vec::new();
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index_raw(i) else {
            return Ok(());
        };
        total = total.saturating_add(part.size());
        if part
            .name()
            .is_ok_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"))
        {
            strings.push((i, part.size()));
        }
    }
    if total > max_unzipped {
        return Err(bad(
            0,
            format!(
                "この XLSX ファイルは展開すると {} MB になり、読める上限（{} MB）を超えます。不要なシートや書式を削除するか、CSV として保存してからアップロードしてください。",
                total.div_ceil(1 << 20),
                max_unzipped >> 20
            ),
        ));
    }
    for (i, size) in strings {
        let mut head = Vec::new();
        let Ok(part) = zip.by_index(i) else {
            return Ok(());
        };
        if part.take(4096).read_to_end(&mut head).is_err() {
            return Ok(());
        }
        if unique_count(&head).is_some_and(|n| n > size / 9 + 1) {
            return Err(bad(
                0,
                "XLSX ファイルの文字列の表（sharedStrings.xml）が壊れていて読めません。Excel で開いて保存し直してから、もう一度アップロードしてください。"
                    .into(),
            ));
        }
    }
    Ok(())
}

/// The `uniqueCount` attribute of the shared-string table's root element, as calamine reads
/// it (a number that does not fit is ignored there too).
fn unique_count(head: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(head);
    let at = text.find("uniqueCount")? + "uniqueCount".len();
    let rest = text[at..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let digits = &rest[1..];
    let end = digits.find(quote)?;
    digits[..end].trim().parse().ok()
}

fn open_error(bytes: &[u8], e: &XlsxError) -> CatalogError {
    match e {
        XlsxError::Password => bad(
            0,
            "パスワードで保護（暗号化）された Excel ファイルは読めません。保護を解除して保存し直してから、もう一度アップロードしてください。"
                .into(),
        ),
        _ if bytes.starts_with(&OLE2_MAGIC) => bad(
            0,
            "古い Excel 形式（.xls）のファイルです。Excel で「Excel ブック（.xlsx）」か CSV として保存し直してから、もう一度アップロードしてください。"
                .into(),
        ),
        _ => bad(
            0,
            format!(
                "XLSX（Excel ブック）として読めません。ファイルが壊れていないか、形式が XLSX で正しいか確かめてください。（{e}）"
            ),
        ),
    }
}

/// The table of one worksheet, or `None` when it has no value.
fn read_worksheet(book: &mut Xlsx<Cursor<&[u8]>>, name: &str) -> Result<Option<Sheet>> {
    let mut reader = match book.worksheet_cells_reader(name) {
        Ok(r) => r,
        // A worksheet with no cells at all (`<sheetData/>`) reads as "not a worksheet".
        Err(XlsxError::NotAWorksheet(_)) => return Ok(None),
        Err(e) => return Err(sheet_error(name, &e)),
    };
    // Row → (column, text), only cells with a value.
    let mut cells: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    let mut count = 0usize;
    while let Some(cell) = reader.next_cell().map_err(|e| sheet_error(name, &e))? {
        let (row, col) = cell.get_position();
        let Some(text) = cell_text(cell.get_value(), name, row, col)? else {
            continue;
        };
        count += 1;
        if count > MAX_CELLS {
            return Err(too_large(name));
        }
        cells.entry(row).or_default().push((col, text));
    }
    // A title above the table (「AED設置箇所一覧」 in A1, a date line…) is not its header.
    let title_rows = ydx_text::title_rows(cells.values().map(Vec::len));
    let table: Vec<(u32, Vec<(u32, String)>)> = cells.into_iter().skip(title_rows).collect();
    let Some(&(first_row, _)) = table.first() else {
        return Ok(None);
    };
    let (min_col, max_col) = table
        .iter()
        .flat_map(|(_, row)| row.iter().map(|&(col, _)| col))
        .fold((u32::MAX, 0), |(lo, hi), col| (lo.min(col), hi.max(col)));
    let width = (max_col - min_col) as usize + 1;
    if table.len().saturating_mul(width) > MAX_CELLS {
        return Err(too_large(name));
    }
    let mut rows = table.into_iter().map(|(row, row_cells)| {
        let mut out = vec![String::new(); width];
        for (col, text) in row_cells {
            out[(col - min_col) as usize] = text;
        }
        (u64::from(row) + 1, out)
    });
    let header = rows.next().map(|(_, r)| r).unwrap_or_default();
    Ok(Some(Sheet {
        name: name.to_string(),
        header,
        title_rows,
        header_row: u64::from(first_row) + 1,
        rows: rows.collect(),
    }))
}

fn sheet_error(name: &str, e: &XlsxError) -> CatalogError {
    bad(
        0,
        format!("シート「{name}」を読めません。ファイルが壊れていないか確かめてください。（{e}）"),
    )
}

fn too_large(name: &str) -> CatalogError {
    bad(
        0,
        format!(
            "シート「{name}」の表が大きすぎます（{MAX_CELLS}セルまで）。表から離れたセルに値が残っていないか確かめるか、CSV に分けてアップロードしてください。"
        ),
    )
}

/// A cell as text; `None` for an empty cell (or one holding only spaces).
fn cell_text(value: &DataRef<'_>, sheet: &str, row: u32, col: u32) -> Result<Option<String>> {
    let text = match value {
        DataRef::Empty => return Ok(None),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(dt) => datetime_text(dt),
        DataRef::Error(e) => {
            return Err(bad(
                u64::from(row) + 1,
                format!(
                    "シート「{sheet}」のセル {} が Excel のエラー値（{e}）です。数式を直すか値を消してから、もう一度アップロードしてください。",
                    cell_name(row, col)
                ),
            ));
        }
    };
    Ok((!text.trim().is_empty()).then_some(text))
}

/// A number as Excel's General format shows it: 15 significant digits, no exponent, and
/// whole numbers without a decimal point (`3`, not `3.0`; `0.3`, not `0.30000000000000004`).
fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    if rounded == rounded.trunc() && rounded.abs() < 1e15 {
        // `as` is exact here: a whole number below 2^53.
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

/// Dates as `YYYY-MM-DD`, date-times as `YYYY-MM-DDTHH:MM:SS`, times of day as `HH:MM:SS`
/// and durations (`[h]:mm:ss`) as `H:MM:SS`, rounded to the second.
fn datetime_text(dt: &ExcelDateTime) -> String {
    let serial = dt.as_f64();
    if dt.is_duration() {
        let total = (serial * 86_400.0).round() as i64;
        let sign = if total < 0 { "-" } else { "" };
        let total = total.abs();
        return format!(
            "{sign}{}:{:02}:{:02}",
            total / 3600,
            total / 60 % 60,
            total % 60
        );
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let exact = time::Month::try_from(mo)
        .ok()
        .and_then(|m| time::Date::from_calendar_date(i32::from(y), m, d).ok())
        .zip(time::Time::from_hms(h, mi, s).ok())
        .map(|(date, t)| {
            let at = time::PrimitiveDateTime::new(date, t);
            if ms >= 500 {
                at.saturating_add(time::Duration::SECOND)
            } else {
                at
            }
        });
    let Some(at) = exact else {
        // Excel's 1900-02-29, which does not exist: shown as Excel shows it.
        return format!("{y:04}-{mo:02}-{d:02}");
    };
    let (date, t) = (at.date(), at.time());
    let time_text = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    if (0.0..1.0).contains(&serial) {
        time_text
    } else if t == time::Time::MIDNIGHT {
        format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    } else {
        format!(
            "{:04}-{:02}-{:02}T{time_text}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    }
}

/// `C5` for row 4, column 2 (both 0-based).
fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(row + 1).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn numbers_as_excel_shows_them() {
        assert_eq!(number_text(3.0), "3");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(34.1861), "34.1861");
        assert_eq!(number_text(131.4705), "131.4705");
        assert_eq!(number_text(187_000.0), "187000");
        assert_eq!(number_text(-12.5), "-12.5");
        assert_eq!(number_text(1e20), "100000000000000000000");
    }

    #[test]
    fn dates_times_durations() {
        let at = |v: f64| ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false);
        assert_eq!(datetime_text(&at(45383.0)), "2024-04-01");
        assert_eq!(datetime_text(&at(45383.5)), "2024-04-01T12:00:00");
        // 13:00 stored as a float a hair below the hour still reads 13:00:00.
        assert_eq!(
            datetime_text(&at(45383.0 + 13.0 / 24.0 - 1e-9)),
            "2024-04-01T13:00:00"
        );
        assert_eq!(datetime_text(&at(0.375)), "09:00:00");
        let in_1904 = ExcelDateTime::new(1.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(datetime_text(&in_1904), "1904-01-02");
        let duration = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(datetime_text(&duration), "36:00:00");
    }

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(4, 2), "C5");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(0, 16_383), "XFD1");
    }
}
