//! 自治体標準オープンデータセット (the Digital Agency's standard open datasets for local
//! governments): schemas, validation of an uploaded CSV against one, and repairs offered
//! for the faults municipal files usually have.
//!
//! The column lists follow the Digital Agency's published 推奨データセット column
//! definitions as recalled for the 2023–2024 revision (正式版): the split address columns
//! (`所在地_連結表記`, `所在地_都道府県`…) and the contact columns of that revision, with the
//! earlier version's names (`住所`, `方書`, disaster types without the `災害種別_` prefix)
//! accepted as aliases because many published files still use them. They have not been
//! checked column by column against the official spreadsheets; see [`SPEC_URL`]. Which
//! columns are marked required is our reading of the definitions' 必須 marks: the code,
//! ID, names, address and coordinates, and for evacuation sites the disaster-type columns.
//!
//! Validation never changes the file. Each fault that has an unambiguous fix comes with a
//! [`Repair`] the publisher may accept; [`apply_repairs`] then writes a new file with only
//! the accepted ones applied. The report is what the publisher reads, so every issue has
//! a Japanese and an English message and the file line it is on.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use ydx_region::{LocateOptions, Method, Region};
use ydx_text::Encoding;

/// The Digital Agency's page for the standard datasets (column definitions and rules).
pub const SPEC_URL: &str =
    "https://www.digital.go.jp/resources/open_data/municipal-standard-data-set-test";

/// At most this many issues are listed in a report; counts in the summary stay exact. A
/// 100 000-row file with one bad column would otherwise produce a report nobody can read.
pub const MAX_ISSUES: usize = 1000;

/// Rows shown as before/after examples in each repair.
const REPAIR_EXAMPLES: usize = 5;

/// What a column must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    Text,
    /// 全国地方公共団体コード: six digits, the last a check digit (see [`lg_check_digit`]).
    LgCode,
    Integer,
    Decimal,
    /// Degrees (WGS 84), decimal notation.
    Latitude,
    Longitude,
    /// `YYYY-MM-DD`.
    Date,
    /// `hh:mm` (or `hh:mm:ss`), 24-hour.
    Time,
    /// A Japanese phone number with hyphens: `083-922-3111`.
    Phone,
    /// `753-8501` (or seven digits).
    PostalCode,
    /// `http://` or `https://`.
    Url,
    Email,
    /// `1` for yes, empty for no (the disaster-type columns).
    Flag,
}

/// One column of a standard dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ColumnSpec {
    pub name: &'static str,
    /// Other headers accepted for this column (names of the earlier version).
    pub aliases: &'static [&'static str],
    /// The column must be present; its cells must be filled unless it is a
    /// [`ColumnType::Flag`], where empty means "no".
    pub required: bool,
    pub kind: ColumnType,
}

/// A standard dataset's definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Schema {
    /// The id a dataset's `standard` field holds.
    pub id: &'static str,
    pub title_ja: &'static str,
    pub title_en: &'static str,
    pub columns: &'static [ColumnSpec],
}

const fn col(name: &'static str, required: bool, kind: ColumnType) -> ColumnSpec {
    ColumnSpec {
        name,
        aliases: &[],
        required,
        kind,
    }
}

const fn alias(
    name: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    kind: ColumnType,
) -> ColumnSpec {
    ColumnSpec {
        name,
        aliases,
        required,
        kind,
    }
}

use ColumnType as T;

/// AED設置箇所一覧.
pub const AED: Schema = Schema {
    id: "aed",
    title_ja: "AED設置箇所一覧",
    title_en: "AED locations",
    columns: &[
        col("全国地方公共団体コード", true, T::LgCode),
        col("ID", true, T::Text),
        col("地方公共団体名", true, T::Text),
        col("名称", true, T::Text),
        col("名称_カナ", false, T::Text),
        col("名称_英字", false, T::Text),
        col("所在地_全国地方公共団体コード", false, T::LgCode),
        alias("所在地_連結表記", &["住所", "所在地"], true, T::Text),
        col("所在地_都道府県", false, T::Text),
        col("所在地_市区町村", false, T::Text),
        col("所在地_町字", false, T::Text),
        col("所在地_番地以下", false, T::Text),
        alias("建物名等(方書)", &["方書"], false, T::Text),
        col("緯度", true, T::Latitude),
        col("経度", true, T::Longitude),
        col("設置位置", true, T::Text),
        col("電話番号", false, T::Phone),
        col("内線番号", false, T::Text),
        col("連絡先メールアドレス", false, T::Email),
        col("連絡先FormURL", false, T::Url),
        col("連絡先備考（その他、SNSなど）", false, T::Text),
        col("郵便番号", false, T::PostalCode),
        col("法人番号", false, T::Text),
        col("団体名", false, T::Text),
        col("利用可能曜日", false, T::Text),
        col("開始時間", false, T::Time),
        col("終了時間", false, T::Time),
        col("利用可能日時特記事項", false, T::Text),
        col("小児対応設備の有無", false, T::Text),
        col("URL", false, T::Url),
        alias("画像", &["写真データ"], false, T::Text),
        alias("画像_ライセンス", &["写真ライセンス"], false, T::Text),
        col("備考", false, T::Text),
    ],
};

/// 指定緊急避難場所一覧.
pub const EVACUATION_SITE: Schema = Schema {
    id: "evacuation_site",
    title_ja: "指定緊急避難場所一覧",
    title_en: "Designated emergency evacuation sites",
    columns: &[
        col("全国地方公共団体コード", true, T::LgCode),
        col("ID", true, T::Text),
        col("地方公共団体名", true, T::Text),
        col("名称", true, T::Text),
        col("名称_カナ", false, T::Text),
        col("名称_英字", false, T::Text),
        col("所在地_全国地方公共団体コード", false, T::LgCode),
        alias("所在地_連結表記", &["住所", "所在地"], true, T::Text),
        col("所在地_都道府県", false, T::Text),
        col("所在地_市区町村", false, T::Text),
        col("所在地_町字", false, T::Text),
        col("所在地_番地以下", false, T::Text),
        alias("建物名等(方書)", &["方書"], false, T::Text),
        col("緯度", true, T::Latitude),
        col("経度", true, T::Longitude),
        col("標高", false, T::Decimal),
        col("電話番号", false, T::Phone),
        col("内線番号", false, T::Text),
        col("連絡先メールアドレス", false, T::Email),
        col("連絡先FormURL", false, T::Url),
        col("連絡先備考（その他、SNSなど）", false, T::Text),
        col("郵便番号", false, T::PostalCode),
        col("法人番号", false, T::Text),
        col("団体名", false, T::Text),
        alias("災害種別_洪水", &["洪水"], true, T::Flag),
        alias(
            "災害種別_崖崩れ、土石流及び地滑り",
            &["崖崩れ、土石流及び地滑り", "災害種別_土砂災害"],
            true,
            T::Flag,
        ),
        alias("災害種別_高潮", &["高潮"], true, T::Flag),
        alias("災害種別_地震", &["地震"], true, T::Flag),
        alias("災害種別_津波", &["津波"], true, T::Flag),
        alias("災害種別_大規模な火事", &["大規模な火事"], true, T::Flag),
        alias("災害種別_内水氾濫", &["内水氾濫"], true, T::Flag),
        alias("災害種別_火山現象", &["火山現象"], true, T::Flag),
        col("指定避難所との住所同一", false, T::Flag),
        col("想定収容人数", false, T::Integer),
        col("対象となる町会・自治会", false, T::Text),
        col("URL", false, T::Url),
        col("画像", false, T::Text),
        col("画像_ライセンス", false, T::Text),
        col("備考", false, T::Text),
    ],
};

/// 公共施設一覧.
pub const PUBLIC_FACILITY: Schema = Schema {
    id: "public_facility",
    title_ja: "公共施設一覧",
    title_en: "Public facilities",
    columns: &[
        col("全国地方公共団体コード", true, T::LgCode),
        col("ID", true, T::Text),
        col("地方公共団体名", true, T::Text),
        col("名称", true, T::Text),
        col("名称_カナ", false, T::Text),
        col("名称_英字", false, T::Text),
        col("名称_通称", false, T::Text),
        col("POIコード", false, T::Text),
        col("種類", false, T::Text),
        col("所在地_全国地方公共団体コード", false, T::LgCode),
        alias("所在地_連結表記", &["住所", "所在地"], true, T::Text),
        col("所在地_都道府県", false, T::Text),
        col("所在地_市区町村", false, T::Text),
        col("所在地_町字", false, T::Text),
        col("所在地_番地以下", false, T::Text),
        alias("建物名等(方書)", &["方書"], false, T::Text),
        col("緯度", true, T::Latitude),
        col("経度", true, T::Longitude),
        col("電話番号", false, T::Phone),
        col("内線番号", false, T::Text),
        col("連絡先メールアドレス", false, T::Email),
        col("連絡先FormURL", false, T::Url),
        col("連絡先備考（その他、SNSなど）", false, T::Text),
        col("郵便番号", false, T::PostalCode),
        col("法人番号", false, T::Text),
        col("団体名", false, T::Text),
        col("利用可能曜日", false, T::Text),
        col("開始時間", false, T::Time),
        col("終了時間", false, T::Time),
        col("利用可能日時特記事項", false, T::Text),
        col("URL", false, T::Url),
        col("画像", false, T::Text),
        col("画像_ライセンス", false, T::Text),
        col("備考", false, T::Text),
    ],
};

/// Every schema the catalog knows.
pub const SCHEMAS: [&Schema; 3] = [&AED, &EVACUATION_SITE, &PUBLIC_FACILITY];

/// The schema with this id.
pub fn schema(id: &str) -> Option<&'static Schema> {
    SCHEMAS.into_iter().find(|s| s.id == id)
}

/// Check digit of a 全国地方公共団体コード over its first five digits: weights 6,5,4,3,2,
/// remainder of the sum by 11, and the last digit of `11 − remainder` (so remainder 0 gives
/// 1 and remainder 1 gives 0). `None` unless `five` is five ASCII digits.
pub fn lg_check_digit(five: &str) -> Option<char> {
    if five.len() != 5 || !five.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = five
        .bytes()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from_digit((11 - sum % 11) % 10, 10)
}

// ---------------------------------------------------------------------------------------
// The report.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The file does not conform.
    Error,
    /// Probably wrong, but allowed.
    Warning,
    /// For information (e.g. extra columns, which the standard allows).
    Info,
}

/// What is wrong, as a stable code the web layer can filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueCode {
    /// The bytes are neither UTF-8 nor Shift_JIS.
    Unreadable,
    /// An XLSX upload that cannot be read as a table (corrupt, encrypted, empty, an error
    /// value in a cell…); the value is the reader's message.
    Workbook,
    /// Not UTF-8 (the standard's encoding).
    Encoding,
    /// The CSV reader stopped (e.g. an unclosed quote).
    Malformed,
    EmptyFile,
    MissingColumn,
    UnknownColumn,
    DuplicateColumn,
    /// A row has a different number of fields from the header.
    FieldCount,
    /// Rows with a title (or a date line) stand above the header; the standard puts the
    /// header in the first row. The value is how many.
    TitleRows,
    /// Rows with one value and the wrong number of fields end the file (notes such as
    /// 「※出典：…」); the standard's file holds the table only. The value is how many.
    NoteRows,
    RequiredEmpty,
    /// Full-width digits or surrounding spaces in a typed cell.
    FullWidth,
    LgCodeIncomplete,
    LgCodeCheckDigit,
    LgCodeFormat,
    LgCodeOtherPrefecture,
    NotInteger,
    NotDecimal,
    NotNumber,
    LatitudeRange,
    LongitudeRange,
    LatLonSwapped,
    OutsidePrefecture,
    DateNotIso,
    NotDate,
    TimeFormat,
    PhoneLeadingZero,
    PhoneFormat,
    PostalCodeLeadingZero,
    PostalCodeFormat,
    UrlFormat,
    EmailFormat,
    FlagValue,
    DuplicateId,
}

/// One problem, where it is and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// The line of the file the row starts on (the header is line 1), as a spreadsheet or
    /// editor shows it (for an XLSX upload, the worksheet row); `None` for the file as a
    /// whole.
    pub row: Option<u64>,
    /// The schema's name of the column (not the alias the file used).
    pub column: Option<String>,
    pub code: IssueCode,
    pub severity: Severity,
    /// The cell as written, when the issue is about a cell.
    pub value: Option<String>,
    pub message_ja: String,
    pub message_en: String,
    /// The [`Repair::id`] that would fix it, if one is offered.
    pub repair: Option<String>,
}

/// How one column of the schema fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnSummary {
    pub name: String,
    pub kind: ColumnType,
    pub required: bool,
    /// The header the file used for it, when present (may be an alias).
    pub header: Option<String>,
    pub filled: u64,
    pub errors: u64,
    pub warnings: u64,
}

/// Counts for the whole file; what the quality score looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationSummary {
    pub standard: String,
    pub rows: u64,
    pub errors: u64,
    pub warnings: u64,
    pub missing_required: Vec<String>,
    /// Headers the schema does not define (allowed, listed for the publisher).
    pub unknown_columns: Vec<String>,
    pub columns: Vec<ColumnSummary>,
}

impl ValidationSummary {
    /// The file follows the standard: no errors (warnings allowed).
    pub fn conforms(&self) -> bool {
        self.errors == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairKind {
    /// Re-save a Shift_JIS (cp932) or UTF-16 file as UTF-8.
    ConvertEncoding,
    /// Exchange latitude and longitude in the rows where they are the wrong way round.
    SwapLatLon,
    /// Complete 全国地方公共団体コード: add the check digit to a five-digit code, or the
    /// leading zero a spreadsheet dropped.
    LgCode,
    /// Put back the leading 0 a spreadsheet dropped from phone numbers and postal codes.
    LeadingZero,
    /// Rewrite 和暦 and other date forms as `YYYY-MM-DD`.
    IsoDate,
    /// Full-width digits and stray spaces in typed cells to half-width.
    HalfWidth,
    /// Delete the title rows above the header, so the header is the first row.
    RemoveTitleRows,
    /// Delete the note rows below the table (「※出典：…」 without the table's commas).
    RemoveNoteRows,
}

/// A fix offered to the publisher. Applied only when accepted ([`apply_repairs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repair {
    /// Stable for the same file and schema: `encoding`, `swap_lat_lon`, or
    /// `<kind>:<column>` such as `iso_date:開始日`.
    pub id: String,
    pub kind: RepairKind,
    pub column: Option<String>,
    /// File lines changed (empty for the encoding, which changes the whole file).
    pub rows: Vec<u64>,
    /// The first few changes, to show before accepting.
    pub examples: Vec<RepairExample>,
    pub description_ja: String,
    pub description_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairExample {
    pub row: u64,
    pub before: String,
    pub after: String,
}

/// The result of checking a file against a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// "utf-8", "utf-8-bom", "shift_jis", "utf-16le", "utf-16be" (as `TableInfo`),
    /// "xlsx" for a workbook, or "unknown" when the bytes could not be read.
    pub encoding: String,
    /// Data rows (header excluded).
    pub rows: u64,
    /// At most [`MAX_ISSUES`], in the order found: the file, the header, then the rows.
    pub issues: Vec<Issue>,
    /// Issues found but not listed because of [`MAX_ISSUES`].
    pub issues_omitted: u64,
    pub summary: ValidationSummary,
    pub repairs: Vec<Repair>,
}

/// Why [`apply_repairs`] wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum StandardError {
    #[error(transparent)]
    Decode(#[from] ydx_text::DecodeError),
    #[error("{line}行目を CSV として読めません: {message}")]
    Malformed { line: u64, message: String },
    /// The id is not among the repairs this file's report offers (the file or schema
    /// changed since the report, or the id was mistyped).
    #[error("修正「{0}」はこのファイルには提案されていません。検証し直してください。")]
    UnknownRepair(String),
    #[error("CSV を書き出せません: {0}")]
    Write(String),
    /// Repairs rewrite a text file; a workbook is fixed in Excel and uploaded again.
    #[error(
        "Excel ファイル（XLSX）には自動修正を適用できません。Excel で直してから新しい版をアップロードしてください。"
    )]
    Workbook,
}

/// Checks a file against a schema. Never fails: a file that cannot be read is a report
/// with that one issue.
pub fn validate(schema: &Schema, raw: &[u8]) -> ValidationReport {
    analyse(schema, raw).report
}

/// Checks an upload of `format` against a schema: an XLSX workbook is checked on the table
/// [`crate::xlsx::read_sheet`] reads from it (issue rows are worksheet rows), anything else as
/// CSV/TSV ([`validate`]). Never fails, like [`validate`].
///
/// A workbook's report offers no repairs, since [`apply_repairs`] writes text: the issues
/// a repair would fix are still listed, with no repair attached. The encoding issue cannot
/// arise, and Excel's dates already read as `YYYY-MM-DD`.
pub fn validate_upload(schema: &Schema, format: &str, raw: &[u8]) -> ValidationReport {
    if format != "XLSX" {
        return validate(schema, raw);
    }
    let (mut analysis, mut out, repairs) = start(schema);
    analysis.report.encoding = "xlsx".to_owned();
    let mut report = match crate::xlsx::read_sheet(raw) {
        Err(e) => {
            let message = match e {
                crate::CatalogError::BadFile { message, .. } => message,
                other => other.to_string(),
            };
            out.push(issue(None, None, IssueCode::Workbook, Some(&message), None));
            finish(schema, analysis, out, repairs, &[], &[]).report
        }
        Ok(sheet) => {
            if sheet.title_rows > 0 {
                out.push(issue(
                    None,
                    None,
                    IssueCode::TitleRows,
                    Some(&sheet.title_rows.to_string()),
                    None,
                ));
            }
            let mut lines = Vec::with_capacity(sheet.rows.len() + 1);
            lines.push(sheet.header_row);
            analysis.records.reserve(sheet.rows.len() + 1);
            analysis.records.push(sheet.header);
            for (line, row) in sheet.rows {
                lines.push(line);
                analysis.records.push(row);
            }
            check_records(schema, analysis, out, repairs, &lines).report
        }
    };
    report.repairs.clear();
    for i in &mut report.issues {
        i.repair = None;
    }
    report
}

/// [`apply_repairs`] for an upload of `format`.
///
/// # Errors
/// [`StandardError::Workbook`] for XLSX, else those of [`apply_repairs`].
pub fn apply_repairs_to(
    schema: &Schema,
    format: &str,
    raw: &[u8],
    accepted: &[impl AsRef<str>],
) -> Result<Vec<u8>, StandardError> {
    if format == "XLSX" {
        return Err(StandardError::Workbook);
    }
    apply_repairs(schema, raw, accepted)
}

/// Writes the file again with the accepted repairs applied and nothing else changed in
/// content (quoting may be normalised). The output is UTF-8 when the encoding repair is
/// accepted or the file already was; a Shift_JIS file whose conversion was not accepted
/// stays Shift_JIS. A file converted from Shift_JIS gets a BOM, because the Excel its
/// publisher uses reads BOM-less UTF-8 CSV as Shift_JIS.
///
/// # Errors
/// [`StandardError::UnknownRepair`] for an id the file's report does not offer, or the
/// read/write errors.
pub fn apply_repairs(
    schema: &Schema,
    raw: &[u8],
    accepted: &[impl AsRef<str>],
) -> Result<Vec<u8>, StandardError> {
    let decoded = ydx_text::decode(raw)?;
    let analysis = analyse(schema, raw);
    if let Some((line, message)) = analysis.malformed {
        return Err(StandardError::Malformed { line, message });
    }
    let offered: Vec<&str> = analysis
        .report
        .repairs
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    for id in accepted {
        if !offered.contains(&id.as_ref()) {
            return Err(StandardError::UnknownRepair(id.as_ref().to_owned()));
        }
    }
    let is_accepted = |id: &str| accepted.iter().any(|a| a.as_ref() == id);

    let mut records = analysis.records;
    for fix in &analysis.fixes {
        if is_accepted(&fix.repair)
            && let Some(cell) = records
                .get_mut(fix.record)
                .and_then(|r| r.get_mut(fix.field))
        {
            cell.clone_from(&fix.value);
        }
    }
    if is_accepted(SWAP_ID)
        && let Some((lat, lon)) = analysis.lat_lon_fields
    {
        for &i in &analysis.swapped {
            if let Some(r) = records.get_mut(i)
                && lat < r.len()
                && lon < r.len()
            {
                r.swap(lat, lon);
            }
        }
    }

    let mut writer = csv::WriterBuilder::new()
        .delimiter(analysis.delimiter)
        .flexible(true)
        .terminator(if analysis.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    let title: &[Vec<String>] = if is_accepted(TITLE_ID) {
        &[]
    } else {
        &analysis.title
    };
    let notes: &[Vec<String>] = if is_accepted(NOTES_ID) {
        &[]
    } else {
        &analysis.notes
    };
    for r in title.iter().chain(&records).chain(notes) {
        writer
            .write_record(r)
            .map_err(|e| StandardError::Write(e.to_string()))?;
    }
    let text = writer
        .into_inner()
        .map_err(|e| StandardError::Write(e.to_string()))?;
    let text = String::from_utf8(text).map_err(|e| StandardError::Write(e.to_string()))?;

    let convert = is_accepted(ENCODING_ID);
    Ok(match decoded.encoding {
        Encoding::Utf8 => text.into_bytes(),
        Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Encoding::ShiftJis if convert => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Encoding::Utf16Le | Encoding::Utf16Be if convert => text.into_bytes(),
        Encoding::ShiftJis => encoding_rs::SHIFT_JIS.encode(&text).0.into_owned(),
        Encoding::Utf16Le => std::iter::once(0xFEFF_u16)
            .chain(text.encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect(),
        Encoding::Utf16Be => std::iter::once(0xFEFF_u16)
            .chain(text.encode_utf16())
            .flat_map(u16::to_be_bytes)
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------
// Analysis, shared by `validate` and `apply_repairs` so both see the same fixes.

const ENCODING_ID: &str = "encoding";
const SWAP_ID: &str = "swap_lat_lon";
const TITLE_ID: &str = "remove_title_rows";
const NOTES_ID: &str = "remove_note_rows";

/// A cell change a repair would make.
struct Fix {
    /// Index into `records` (0 is the header).
    record: usize,
    field: usize,
    repair: String,
    value: String,
}

struct Analysis {
    report: ValidationReport,
    /// The table's records, header first (title rows excluded).
    records: Vec<Vec<String>>,
    /// Title rows above the header, kept unless their removal is accepted.
    title: Vec<Vec<String>>,
    /// Note rows below the table, kept unless their removal is accepted.
    notes: Vec<Vec<String>>,
    fixes: Vec<Fix>,
    /// Records (indices) whose coordinates are the wrong way round.
    swapped: Vec<usize>,
    lat_lon_fields: Option<(usize, usize)>,
    delimiter: u8,
    crlf: bool,
    malformed: Option<(u64, String)>,
}

/// Collects issues with per-column counts and the cap on listed issues.
struct Collector {
    issues: Vec<Issue>,
    omitted: u64,
    errors: u64,
    warnings: u64,
    per_column: HashMap<String, (u64, u64)>,
}

impl Collector {
    fn push(&mut self, issue: Issue) {
        match issue.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Info => {}
        }
        if let Some(c) = &issue.column {
            let entry = self.per_column.entry(c.clone()).or_default();
            match issue.severity {
                Severity::Error => entry.0 += 1,
                Severity::Warning => entry.1 += 1,
                Severity::Info => {}
            }
        }
        if self.issues.len() < MAX_ISSUES {
            self.issues.push(issue);
        } else {
            self.omitted += 1;
        }
    }
}

/// Builds an issue, with its messages.
fn issue(
    row: Option<u64>,
    column: Option<&str>,
    code: IssueCode,
    value: Option<&str>,
    repair: Option<String>,
) -> Issue {
    let (ja, en) = messages(code, column.unwrap_or(""), value.unwrap_or(""));
    Issue {
        row,
        column: column.map(str::to_owned),
        code,
        severity: severity(code),
        value: value.map(str::to_owned),
        message_ja: ja,
        message_en: en,
        repair,
    }
}

fn severity(code: IssueCode) -> Severity {
    use IssueCode as C;
    match code {
        C::UnknownColumn => Severity::Info,
        C::LgCodeOtherPrefecture | C::PhoneFormat => Severity::Warning,
        _ => Severity::Error,
    }
}

fn messages(code: IssueCode, column: &str, value: &str) -> (String, String) {
    use IssueCode as C;
    let (ja, en) = match code {
        C::Unreadable => (
            format!("ファイルを文字として読めません: {value}"),
            format!("The file cannot be read as text: {value}"),
        ),
        C::Workbook => (
            format!("Excel ファイル（XLSX）を表として読めません: {value}"),
            format!("The Excel file (XLSX) cannot be read as a table: {value}"),
        ),
        C::Encoding => (
            format!("文字コードが{value}です。標準データセットは UTF-8 で公開します。"),
            format!("The file is in {value}; standard datasets are published in UTF-8."),
        ),
        C::Malformed => (
            format!("CSV として読めません: {value}"),
            format!("Not readable as CSV: {value}"),
        ),
        C::EmptyFile => (
            "ファイルが空です。".to_owned(),
            "The file is empty.".to_owned(),
        ),
        C::MissingColumn => (
            format!("必須の列「{column}」がありません。"),
            format!("The required column \"{column}\" is missing."),
        ),
        C::UnknownColumn => (
            format!("列「{value}」は標準にない列です（追加の列は使えます）。"),
            format!("Column \"{value}\" is not in the standard (extra columns are allowed)."),
        ),
        C::DuplicateColumn => (
            format!("列「{column}」が2回以上あります（「{value}」）。"),
            format!("Column \"{column}\" appears more than once (\"{value}\")."),
        ),
        C::FieldCount => (
            format!("この行の列数が見出しと違います（{value}）。"),
            format!("This row has a different number of fields from the header ({value})."),
        ),
        C::NoteRows => (
            format!(
                "表の下に注記などの行が{value}行あります。標準データセットのファイルには表だけを入れます。注記はデータセットの説明に書いてください。"
            ),
            format!(
                "{value} note row(s) follow the table; a standard dataset's file holds the table only. Put notes in the dataset's description."
            ),
        ),
        C::TitleRows => (
            format!(
                "見出しの上に表題などの行が{value}行あります。標準データセットでは1行目を見出し（列名）にします。表題の行を削除してください。"
            ),
            format!(
                "{value} title row(s) stand above the header; standard datasets have the header (column names) in the first row. Delete the title rows."
            ),
        ),
        C::RequiredEmpty => (
            format!("必須の「{column}」が空です。"),
            format!("The required \"{column}\" is empty."),
        ),
        C::FullWidth => (
            format!("「{value}」に全角の数字や余分な空白があります。半角で書いてください。"),
            format!("\"{value}\" has full-width digits or extra spaces; use half-width."),
        ),
        C::LgCodeIncomplete => (
            format!(
                "「{value}」は6桁の全国地方公共団体コードではありません（検査数字または先頭の0が欠けています）。"
            ),
            format!(
                "\"{value}\" is not a six-digit local government code (check digit or leading zero missing)."
            ),
        ),
        C::LgCodeCheckDigit => (
            format!("「{value}」の検査数字（6桁目）が合いません。"),
            format!("The check digit (6th digit) of \"{value}\" is wrong."),
        ),
        C::LgCodeFormat => (
            format!("「{value}」は全国地方公共団体コード（数字6桁）ではありません。"),
            format!("\"{value}\" is not a local government code (six digits)."),
        ),
        C::LgCodeOtherPrefecture => (
            format!("「{value}」は山口県外の団体のコードです。"),
            format!("\"{value}\" is the code of a body outside Yamaguchi Prefecture."),
        ),
        C::NotInteger => (
            format!("「{value}」は整数ではありません。"),
            format!("\"{value}\" is not a whole number."),
        ),
        C::NotDecimal | C::NotNumber => (
            format!("「{value}」は数値ではありません。"),
            format!("\"{value}\" is not a number."),
        ),
        C::LatitudeRange => (
            format!("緯度「{value}」が範囲外です（-90〜90）。"),
            format!("Latitude \"{value}\" is out of range (-90 to 90)."),
        ),
        C::LongitudeRange => (
            format!("経度「{value}」が範囲外です（-180〜180）。"),
            format!("Longitude \"{value}\" is out of range (-180 to 180)."),
        ),
        C::LatLonSwapped => (
            format!("緯度と経度が逆のようです（{value}）。"),
            format!("Latitude and longitude look swapped ({value})."),
        ),
        C::OutsidePrefecture => (
            format!("位置（{value}）が山口県の外です。"),
            format!("The position ({value}) is outside Yamaguchi Prefecture."),
        ),
        C::DateNotIso => (
            format!("日付「{value}」を YYYY-MM-DD の形で書いてください。"),
            format!("Write the date \"{value}\" as YYYY-MM-DD."),
        ),
        C::NotDate => (
            format!("「{value}」は日付として読めません（YYYY-MM-DD）。"),
            format!("\"{value}\" is not a date (YYYY-MM-DD)."),
        ),
        C::TimeFormat => (
            format!("「{value}」は時刻（hh:mm）ではありません。"),
            format!("\"{value}\" is not a time (hh:mm)."),
        ),
        C::PhoneLeadingZero => (
            format!("電話番号「{value}」の先頭の0が欠けています。"),
            format!("The phone number \"{value}\" has lost its leading 0."),
        ),
        C::PhoneFormat => (
            format!("電話番号「{value}」の形が標準と違います（例: 083-922-3111）。"),
            format!("The phone number \"{value}\" is not in the usual form (e.g. 083-922-3111)."),
        ),
        C::PostalCodeLeadingZero => (
            format!("郵便番号「{value}」の先頭の0が欠けています。"),
            format!("The postal code \"{value}\" has lost its leading 0."),
        ),
        C::PostalCodeFormat => (
            format!("郵便番号「{value}」の形が違います（例: 753-8501）。"),
            format!("The postal code \"{value}\" is not in the form 753-8501."),
        ),
        C::UrlFormat => (
            format!("「{value}」は http:// または https:// で始まる URL ではありません。"),
            format!("\"{value}\" is not a URL starting with http:// or https://."),
        ),
        C::EmailFormat => (
            format!("「{value}」はメールアドレスではありません。"),
            format!("\"{value}\" is not an email address."),
        ),
        C::FlagValue => (
            format!("「{value}」ではなく、該当する場合は 1、しない場合は空欄にしてください。"),
            format!("Use 1 for yes and leave empty for no, not \"{value}\"."),
        ),
        C::DuplicateId => (
            format!("ID「{value}」が他の行と重複しています。"),
            format!("ID \"{value}\" is used by another row too."),
        ),
    };
    (ja, en)
}

/// The verdict on one cell.
enum Verdict {
    Ok,
    /// Wrong as written; `fixed` is what the repair of `kind` would write.
    Fixable {
        code: IssueCode,
        kind: RepairKind,
        fixed: String,
    },
    Bad(IssueCode),
}

/// NFKC and trim: full-width digits, hyphens and spaces as spreadsheets produce them.
fn half_width(s: &str) -> String {
    let mut t: String = s.nfkc().collect();
    // NFKC leaves these dashes alone; in numbers they are all hyphens.
    t = t.replace(['－', '−', '‐', '―', 'ー'], "-");
    t.trim().to_owned()
}

fn check_cell(kind: ColumnType, raw: &str) -> Verdict {
    if kind == ColumnType::Text {
        return Verdict::Ok;
    }
    let v = if matches!(kind, ColumnType::Url | ColumnType::Email) {
        raw.trim().to_owned()
    } else {
        half_width(raw)
    };
    let verdict = check_normalised(kind, &v);
    match verdict {
        Verdict::Ok if v != raw => Verdict::Fixable {
            code: IssueCode::FullWidth,
            kind: RepairKind::HalfWidth,
            fixed: v,
        },
        other => other,
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn check_normalised(kind: ColumnType, v: &str) -> Verdict {
    use ColumnType as K;
    use IssueCode as C;
    let fixable = |code, kind, fixed: String| Verdict::Fixable { code, kind, fixed };
    match kind {
        K::Text => Verdict::Ok,
        K::LgCode => check_lg_code(v),
        K::Integer => {
            if v.strip_prefix('-').is_some_and(all_digits) || all_digits(v) {
                Verdict::Ok
            } else {
                Verdict::Bad(C::NotInteger)
            }
        }
        K::Decimal | K::Latitude | K::Longitude => {
            if parse_decimal(v).is_some() {
                Verdict::Ok
            } else if kind == K::Decimal {
                Verdict::Bad(C::NotDecimal)
            } else {
                Verdict::Bad(C::NotNumber)
            }
        }
        K::Date => {
            if is_iso_date(v) {
                Verdict::Ok
            } else if let Some(d) = ydx_text::parse_date(v) {
                fixable(C::DateNotIso, RepairKind::IsoDate, iso(d))
            } else {
                Verdict::Bad(C::NotDate)
            }
        }
        K::Time => {
            if is_time(v) {
                Verdict::Ok
            } else {
                Verdict::Bad(C::TimeFormat)
            }
        }
        K::Phone => check_phone(v),
        K::PostalCode => {
            let bytes = v.as_bytes();
            let dashed = |head: usize| {
                bytes.len() == head + 5
                    && bytes.get(head) == Some(&b'-')
                    && all_digits(&v[..head])
                    && all_digits(&v[head + 1..])
            };
            if (v.len() == 7 && all_digits(v)) || dashed(3) {
                Verdict::Ok
            } else if (v.len() == 6 && all_digits(v)) || dashed(2) {
                fixable(
                    C::PostalCodeLeadingZero,
                    RepairKind::LeadingZero,
                    format!("0{v}"),
                )
            } else {
                Verdict::Bad(C::PostalCodeFormat)
            }
        }
        K::Url => {
            let lower = v.to_ascii_lowercase();
            let ok = ["http://", "https://"]
                .iter()
                .any(|p| lower.starts_with(p) && lower.len() > p.len())
                && !v.contains(char::is_whitespace);
            if ok {
                Verdict::Ok
            } else {
                Verdict::Bad(C::UrlFormat)
            }
        }
        K::Email => {
            let ok = v.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }) && !v.contains(char::is_whitespace);
            if ok {
                Verdict::Ok
            } else {
                Verdict::Bad(C::EmailFormat)
            }
        }
        K::Flag => {
            if v == "1" {
                Verdict::Ok
            } else {
                Verdict::Bad(C::FlagValue)
            }
        }
    }
}

fn check_lg_code(v: &str) -> Verdict {
    use IssueCode as C;
    if !all_digits(v) {
        return Verdict::Bad(C::LgCodeFormat);
    }
    let fix = |fixed: String| Verdict::Fixable {
        code: C::LgCodeIncomplete,
        kind: RepairKind::LgCode,
        fixed,
    };
    let with_check = |five: &str| lg_check_digit(five).map(|c| format!("{five}{c}"));
    match v.len() {
        6 => {
            if lg_check_digit(&v[..5]).is_some_and(|c| v.ends_with(c)) {
                Verdict::Ok
            } else {
                Verdict::Bad(C::LgCodeCheckDigit)
            }
        }
        5 => {
            // A Yamaguchi five-digit code (35xxx) is missing its check digit. Otherwise a
            // spreadsheet may have dropped the leading zero of a six-digit code (01xxxx–
            // 09xxxx); take that reading only when its check digit agrees.
            let padded = format!("0{v}");
            let padded_ok = lg_check_digit(&padded[..5]).is_some_and(|c| padded.ends_with(c));
            if !v.starts_with("35") && padded_ok {
                fix(padded)
            } else {
                with_check(v).map_or(Verdict::Bad(C::LgCodeFormat), fix)
            }
        }
        4 => with_check(&format!("0{v}")).map_or(Verdict::Bad(C::LgCodeFormat), fix),
        _ => Verdict::Bad(C::LgCodeFormat),
    }
}

fn check_phone(v: &str) -> Verdict {
    use IssueCode as C;
    let allowed = v
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')'));
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if !allowed {
        return Verdict::Bad(C::PhoneFormat);
    }
    let first_digit = v.chars().find(char::is_ascii_digit);
    match first_digit {
        Some('0') if (10..=11).contains(&digits) => Verdict::Ok,
        Some(d) if d != '0' && (9..=10).contains(&digits) && v.starts_with(d) => Verdict::Fixable {
            code: C::PhoneLeadingZero,
            kind: RepairKind::LeadingZero,
            fixed: format!("0{v}"),
        },
        _ => Verdict::Bad(C::PhoneFormat),
    }
}

fn parse_decimal(v: &str) -> Option<f64> {
    let body = v.strip_prefix(['-', '+']).unwrap_or(v);
    let ok = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|&b| b == b'.').count() <= 1
        && body.bytes().any(|b| b.is_ascii_digit());
    if ok { v.parse().ok() } else { None }
}

fn is_iso_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && ydx_text::parse_date(v).is_some()
}

fn iso(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `h:mm`, `hh:mm` or `hh:mm:ss`; 24:00 is allowed as a closing time.
fn is_time(v: &str) -> bool {
    let parts: Vec<&str> = v.split(':').collect();
    let num = |s: &str, max: u32, width: &[usize]| {
        width.contains(&s.len()) && all_digits(s) && s.parse::<u32>().is_ok_and(|n| n <= max)
    };
    match parts.as_slice() {
        [h, m] => num(h, 24, &[1, 2]) && num(m, 59, &[2]) && (*h != "24" || *m == "00"),
        [h, m, s] => {
            num(h, 24, &[1, 2])
                && num(m, 59, &[2])
                && num(s, 59, &[2])
                && (*h != "24" || (*m == "00" && *s == "00"))
        }
        _ => false,
    }
}

/// Where a point is: in (or within snapping distance of) the prefecture or not.
fn in_prefecture(region: Option<&Region>, lat: f64, lon: f64) -> bool {
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return false;
    }
    match region {
        Some(r) => !matches!(
            r.locate(lat, lon, &LocateOptions::default()).method,
            Method::Outside
        ),
        // Without boundaries, the prefecture's bounding box (islands included).
        None => (33.70..=34.85).contains(&lat) && (130.75..=132.50).contains(&lon),
    }
}

fn encoding_label(e: Encoding) -> &'static str {
    match e {
        Encoding::Utf8 => "utf-8",
        Encoding::Utf8Bom => "utf-8-bom",
        Encoding::ShiftJis => "shift_jis",
        Encoding::Utf16Le => "utf-16le",
        Encoding::Utf16Be => "utf-16be",
    }
}

/// Whether an extra column's header names a date: 設置日, 更新日, 開設年月日, 日付…, but not
/// 曜日 (days of the week).
fn looks_like_date_header(name: &str) -> bool {
    let key = header_key(name);
    (key.ends_with('日') && !key.ends_with("曜日"))
        || key.contains("日付")
        || key.contains("年月日")
}

/// Header text as compared with the schema: NFKC (full-width brackets, half-width kana),
/// without spaces, so `建物名等（方書）` and `建物名等(方書)` match.
fn header_key(s: &str) -> String {
    s.trim_start_matches('\u{FEFF}')
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .collect()
}

struct Repairs {
    by_id: BTreeMap<String, Repair>,
    order: Vec<String>,
}

impl Repairs {
    fn note(
        &mut self,
        id: &str,
        kind: RepairKind,
        column: Option<&str>,
        row: u64,
        before: &str,
        after: &str,
    ) {
        let repair = self.by_id.entry(id.to_owned()).or_insert_with(|| {
            self.order.push(id.to_owned());
            Repair {
                id: id.to_owned(),
                kind,
                column: column.map(str::to_owned),
                rows: Vec::new(),
                examples: Vec::new(),
                description_ja: String::new(),
                description_en: String::new(),
            }
        });
        if repair.rows.last() != Some(&row) {
            repair.rows.push(row);
        }
        if repair.examples.len() < REPAIR_EXAMPLES {
            repair.examples.push(RepairExample {
                row,
                before: before.to_owned(),
                after: after.to_owned(),
            });
        }
    }

    fn finish(mut self, rows: u64) -> Vec<Repair> {
        let mut out = Vec::new();
        for id in &self.order {
            if let Some(mut r) = self.by_id.remove(id) {
                let (ja, en) = describe(&r, rows);
                r.description_ja = ja;
                r.description_en = en;
                out.push(r);
            }
        }
        out
    }
}

fn describe(r: &Repair, rows: u64) -> (String, String) {
    let n = r.rows.len();
    let c = r.column.as_deref().unwrap_or("");
    match r.kind {
        RepairKind::ConvertEncoding => (
            "ファイルを UTF-8 に変換します（内容は変わりません）。".to_owned(),
            "Convert the file to UTF-8 (the content stays the same).".to_owned(),
        ),
        RepairKind::RemoveNoteRows => (
            format!("表の下の注記などの行（{n}行）を削除します。"),
            format!("Delete the {n} note row(s) below the table."),
        ),
        RepairKind::RemoveTitleRows => (
            format!("見出しの上の表題などの行（{n}行）を削除し、見出しを1行目にします。"),
            format!(
                "Delete the {n} title row(s) above the header, so the header is the first row."
            ),
        ),
        RepairKind::SwapLatLon => (
            format!("{n}行（全{rows}行中）で緯度と経度を入れ替えます。"),
            format!("Swap latitude and longitude in {n} of {rows} rows."),
        ),
        RepairKind::LgCode => (
            format!("「{c}」の{n}件を6桁の全国地方公共団体コード（検査数字付き）にします。"),
            format!("Complete {n} values of \"{c}\" to the six-digit code with check digit."),
        ),
        RepairKind::LeadingZero => (
            format!("「{c}」の{n}件に、欠けた先頭の0を補います。"),
            format!("Restore the dropped leading 0 in {n} values of \"{c}\"."),
        ),
        RepairKind::IsoDate => (
            format!("「{c}」の{n}件の日付（和暦など）を YYYY-MM-DD にします。"),
            format!("Rewrite {n} dates in \"{c}\" (Japanese era etc.) as YYYY-MM-DD."),
        ),
        RepairKind::HalfWidth => (
            format!("「{c}」の{n}件の全角数字・余分な空白を半角にします。"),
            format!("Make {n} values in \"{c}\" half-width and remove extra spaces."),
        ),
    }
}

fn repair_id(kind: RepairKind, column: &str) -> String {
    let prefix = match kind {
        RepairKind::ConvertEncoding => return ENCODING_ID.to_owned(),
        RepairKind::SwapLatLon => return SWAP_ID.to_owned(),
        RepairKind::RemoveTitleRows => return TITLE_ID.to_owned(),
        RepairKind::RemoveNoteRows => return NOTES_ID.to_owned(),
        RepairKind::LgCode => "lg_code",
        RepairKind::LeadingZero => "leading_zero",
        RepairKind::IsoDate => "iso_date",
        RepairKind::HalfWidth => "half_width",
    };
    format!("{prefix}:{column}")
}

/// An empty analysis, collector and repair list for `schema`.
fn start(schema: &Schema) -> (Analysis, Collector, Repairs) {
    let out = Collector {
        issues: Vec::new(),
        omitted: 0,
        errors: 0,
        warnings: 0,
        per_column: HashMap::new(),
    };
    let repairs = Repairs {
        by_id: BTreeMap::new(),
        order: Vec::new(),
    };
    let analysis = Analysis {
        report: ValidationReport {
            encoding: "unknown".to_owned(),
            rows: 0,
            issues: Vec::new(),
            issues_omitted: 0,
            summary: ValidationSummary {
                standard: schema.id.to_owned(),
                rows: 0,
                errors: 0,
                warnings: 0,
                missing_required: Vec::new(),
                unknown_columns: Vec::new(),
                columns: Vec::new(),
            },
            repairs: Vec::new(),
        },
        records: Vec::new(),
        title: Vec::new(),
        notes: Vec::new(),
        fixes: Vec::new(),
        swapped: Vec::new(),
        lat_lon_fields: None,
        delimiter: b',',
        crlf: false,
        malformed: None,
    };
    (analysis, out, repairs)
}

fn analyse(schema: &Schema, raw: &[u8]) -> Analysis {
    let (mut analysis, mut out, mut repairs) = start(schema);
    let decoded = match ydx_text::decode(raw) {
        Ok(d) => d,
        Err(e) => {
            out.push(issue(
                None,
                None,
                IssueCode::Unreadable,
                Some(&e.to_string()),
                None,
            ));
            return finish(schema, analysis, out, repairs, &[], &[]);
        }
    };
    analysis.report.encoding = encoding_label(decoded.encoding).to_owned();
    if matches!(
        decoded.encoding,
        Encoding::ShiftJis | Encoding::Utf16Le | Encoding::Utf16Be
    ) {
        let label = decoded.encoding.label();
        out.push(issue(
            None,
            None,
            IssueCode::Encoding,
            Some(label),
            Some(ENCODING_ID.to_owned()),
        ));
        repairs.note(
            ENCODING_ID,
            RepairKind::ConvertEncoding,
            None,
            0,
            label,
            "UTF-8",
        );
        if let Some(r) = repairs.by_id.get_mut(ENCODING_ID) {
            r.rows.clear();
        }
    }
    let text = decoded.text;
    analysis.crlf = text.contains("\r\n");
    let shape = ydx_text::sniff_csv(&text);
    analysis.delimiter = shape.as_ref().map_or(b',', |s| s.delimiter);
    let title_rows = shape.as_ref().map_or(0, |s| s.title_rows);

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(analysis.delimiter)
        .from_reader(text.as_bytes());
    let mut lines: Vec<u64> = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                lines.push(ydx_text::record_line(&text, &r));
                analysis.records.push(r.iter().map(str::to_owned).collect());
            }
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                out.push(issue(
                    Some(line),
                    None,
                    IssueCode::Malformed,
                    Some(&e.to_string()),
                    None,
                ));
                analysis.malformed = Some((line, e.to_string()));
                break;
            }
        }
    }
    // Title rows above the header: reported, offered for removal, and the table below them
    // checked as if they were gone.
    if title_rows > 0 && analysis.records.len() > title_rows {
        analysis.title = analysis.records.drain(..title_rows).collect();
        let title_lines: Vec<u64> = lines.drain(..title_rows).collect();
        out.push(issue(
            None,
            None,
            IssueCode::TitleRows,
            Some(&title_rows.to_string()),
            Some(TITLE_ID.to_owned()),
        ));
        for (row, line) in analysis.title.iter().zip(title_lines) {
            repairs.note(
                TITLE_ID,
                RepairKind::RemoveTitleRows,
                None,
                line,
                &values(row),
                "",
            );
        }
    }
    // Notes below the table (as the importer skips them): reported and offered likewise.
    let width = analysis.records.first().map_or(0, Vec::len);
    let values_in = |r: &Vec<String>| ydx_text::filled(r.iter().map(String::as_str));
    let is_blank = |r: &Vec<String>| values_in(r) == 0;
    let is_note = |r: &Vec<String>| r.len() != width && values_in(r) == 1;
    let tail: Vec<usize> = (1..analysis.records.len())
        .rev()
        .take_while(|&i| is_blank(&analysis.records[i]) || is_note(&analysis.records[i]))
        .filter(|&i| is_note(&analysis.records[i]))
        .collect();
    if !tail.is_empty() && tail.len() <= ydx_text::MAX_TITLE_ROWS {
        let from = tail[tail.len() - 1];
        analysis.notes = analysis.records.split_off(from);
        let note_lines = lines.split_off(from.min(lines.len()));
        out.push(issue(
            None,
            None,
            IssueCode::NoteRows,
            Some(&tail.len().to_string()),
            Some(NOTES_ID.to_owned()),
        ));
        for (row, line) in analysis.notes.iter().zip(note_lines) {
            if is_note(row) {
                repairs.note(
                    NOTES_ID,
                    RepairKind::RemoveNoteRows,
                    None,
                    line,
                    &values(row),
                    "",
                );
            }
        }
    }
    check_records(schema, analysis, out, repairs, &lines)
}

/// The values of a row, joined by a space (a title or note row as the publisher sees it).
fn values(row: &[String]) -> String {
    let filled: Vec<&str> = row
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    filled.join(" ")
}

/// Checks the header and rows read into `analysis.records`; `lines[i]` is where record `i`
/// starts in the file (the line of a text file, the row of a worksheet).
fn check_records(
    schema: &Schema,
    mut analysis: Analysis,
    mut out: Collector,
    mut repairs: Repairs,
    lines: &[u64],
) -> Analysis {
    let Some(header) = analysis.records.first().cloned() else {
        out.push(issue(None, None, IssueCode::EmptyFile, None, None));
        return finish(schema, analysis, out, repairs, &[], &[]);
    };

    // Which field holds which schema column.
    let mut field_of: Vec<Option<usize>> = vec![None; schema.columns.len()];
    let mut unknown = Vec::new();
    // Extra columns that hold dates (設置日, 更新日…): 和暦 there gets the ISO repair too,
    // as a warning, since the standard does not define the column.
    let mut extra_dates: Vec<(usize, String)> = Vec::new();
    for (field, name) in header.iter().enumerate() {
        let key = header_key(name);
        let found = schema.columns.iter().position(|c| {
            header_key(c.name) == key || c.aliases.iter().any(|a| header_key(a) == key)
        });
        match found {
            Some(i) => match field_of.get(i).copied().flatten() {
                Some(_) => out.push(issue(
                    Some(1),
                    Some(schema.columns[i].name),
                    IssueCode::DuplicateColumn,
                    Some(name),
                    None,
                )),
                None => field_of[i] = Some(field),
            },
            None => {
                unknown.push(name.clone());
                if looks_like_date_header(name) {
                    extra_dates.push((field, name.clone()));
                }
                out.push(issue(
                    Some(1),
                    None,
                    IssueCode::UnknownColumn,
                    Some(name),
                    None,
                ));
            }
        }
    }
    analysis.report.summary.unknown_columns = unknown;
    for (spec, field) in schema.columns.iter().zip(&field_of) {
        if spec.required && field.is_none() {
            analysis
                .report
                .summary
                .missing_required
                .push(spec.name.to_owned());
            out.push(issue(
                None,
                Some(spec.name),
                IssueCode::MissingColumn,
                None,
                None,
            ));
        }
    }

    let region = Region::bundled().ok();
    let lat_col = schema
        .columns
        .iter()
        .position(|c| c.kind == ColumnType::Latitude);
    let lon_col = schema
        .columns
        .iter()
        .position(|c| c.kind == ColumnType::Longitude);
    let lat_field = lat_col.and_then(|i| field_of.get(i).copied().flatten());
    let lon_field = lon_col.and_then(|i| field_of.get(i).copied().flatten());
    analysis.lat_lon_fields = lat_field.zip(lon_field);
    let id_field = schema
        .columns
        .iter()
        .position(|c| c.name == "ID")
        .and_then(|i| field_of.get(i).copied().flatten());
    let mut filled = vec![0u64; schema.columns.len()];
    let mut ids: HashMap<String, u64> = HashMap::new();

    for (index, record) in analysis.records.iter().enumerate().skip(1) {
        let line = lines.get(index).copied().unwrap_or(0);
        if record.iter().all(|c| c.trim().is_empty()) {
            // A blank line at the end of an Excel export is not a row.
            continue;
        }
        analysis.report.rows += 1;
        if record.len() != header.len() {
            out.push(issue(
                Some(line),
                None,
                IssueCode::FieldCount,
                Some(&format!("{} / {}", record.len(), header.len())),
                None,
            ));
        }
        let mut coords: [Option<f64>; 2] = [None, None];
        for (ci, spec) in schema.columns.iter().enumerate() {
            let Some(field) = field_of.get(ci).copied().flatten() else {
                continue;
            };
            let raw_cell = record.get(field).map_or("", String::as_str);
            if raw_cell.trim().is_empty() {
                if spec.required && spec.kind != ColumnType::Flag {
                    out.push(issue(
                        Some(line),
                        Some(spec.name),
                        IssueCode::RequiredEmpty,
                        None,
                        None,
                    ));
                }
                continue;
            }
            if let Some(f) = filled.get_mut(ci) {
                *f += 1;
            }
            let verdict = check_cell(spec.kind, raw_cell);
            let value_now = match &verdict {
                Verdict::Fixable { fixed, .. } => fixed.clone(),
                _ => half_width(raw_cell),
            };
            match verdict {
                Verdict::Ok => {}
                Verdict::Fixable { code, kind, fixed } => {
                    let id = repair_id(kind, spec.name);
                    repairs.note(&id, kind, Some(spec.name), line, raw_cell, &fixed);
                    analysis.fixes.push(Fix {
                        record: index,
                        field,
                        repair: id.clone(),
                        value: fixed,
                    });
                    out.push(issue(
                        Some(line),
                        Some(spec.name),
                        code,
                        Some(raw_cell),
                        Some(id),
                    ));
                }
                Verdict::Bad(code) => {
                    out.push(issue(
                        Some(line),
                        Some(spec.name),
                        code,
                        Some(raw_cell),
                        None,
                    ));
                }
            }
            if spec.kind == ColumnType::LgCode
                && value_now.len() == 6
                && !value_now.starts_with("35")
                && all_digits(&value_now)
            {
                out.push(issue(
                    Some(line),
                    Some(spec.name),
                    IssueCode::LgCodeOtherPrefecture,
                    Some(raw_cell),
                    None,
                ));
            }
            match spec.kind {
                ColumnType::Latitude => coords[0] = parse_decimal(&value_now),
                ColumnType::Longitude => coords[1] = parse_decimal(&value_now),
                _ => {}
            }
            if Some(field) == id_field {
                let key = raw_cell.trim().to_owned();
                if let std::collections::hash_map::Entry::Vacant(e) = ids.entry(key) {
                    e.insert(line);
                } else {
                    out.push(issue(
                        Some(line),
                        Some(spec.name),
                        IssueCode::DuplicateId,
                        Some(raw_cell),
                        None,
                    ));
                }
            }
        }
        for (field, name) in &extra_dates {
            let raw_cell = record.get(*field).map_or("", String::as_str);
            if raw_cell.trim().is_empty() {
                continue;
            }
            if let Verdict::Fixable { code, kind, fixed } = check_cell(ColumnType::Date, raw_cell) {
                let id = repair_id(kind, name);
                repairs.note(&id, kind, Some(name), line, raw_cell, &fixed);
                analysis.fixes.push(Fix {
                    record: index,
                    field: *field,
                    repair: id.clone(),
                    value: fixed,
                });
                let mut found = issue(Some(line), Some(name), code, Some(raw_cell), Some(id));
                found.severity = Severity::Warning;
                out.push(found);
            }
        }
        if let [Some(lat), Some(lon)] = coords {
            let shown = format!("{lat}, {lon}");
            let lat_name = lat_col.map(|i| schema.columns[i].name);
            if in_prefecture(region, lat, lon) {
                // In place.
            } else if in_prefecture(region, lon, lat) {
                analysis.swapped.push(index);
                let (Some(lat_field), Some(lon_field)) = (lat_field, lon_field) else {
                    continue;
                };
                let before = format!(
                    "{}, {}",
                    record.get(lat_field).map_or("", String::as_str),
                    record.get(lon_field).map_or("", String::as_str)
                );
                let after = format!(
                    "{}, {}",
                    record.get(lon_field).map_or("", String::as_str),
                    record.get(lat_field).map_or("", String::as_str)
                );
                repairs.note(SWAP_ID, RepairKind::SwapLatLon, None, line, &before, &after);
                out.push(issue(
                    Some(line),
                    lat_name,
                    IssueCode::LatLonSwapped,
                    Some(&shown),
                    Some(SWAP_ID.to_owned()),
                ));
            } else if !(-90.0..=90.0).contains(&lat) {
                out.push(issue(
                    Some(line),
                    lat_name,
                    IssueCode::LatitudeRange,
                    Some(&lat.to_string()),
                    None,
                ));
            } else if !(-180.0..=180.0).contains(&lon) {
                let lon_name = lon_col.map(|i| schema.columns[i].name);
                out.push(issue(
                    Some(line),
                    lon_name,
                    IssueCode::LongitudeRange,
                    Some(&lon.to_string()),
                    None,
                ));
            } else {
                out.push(issue(
                    Some(line),
                    lat_name,
                    IssueCode::OutsidePrefecture,
                    Some(&shown),
                    None,
                ));
            }
        }
    }
    let headers: Vec<Option<String>> = field_of
        .iter()
        .map(|f| f.and_then(|f| header.get(f).cloned()))
        .collect();
    finish(schema, analysis, out, repairs, &headers, &filled)
}

fn finish(
    schema: &Schema,
    mut analysis: Analysis,
    out: Collector,
    repairs: Repairs,
    headers: &[Option<String>],
    filled: &[u64],
) -> Analysis {
    let rows = analysis.report.rows;
    let summary = &mut analysis.report.summary;
    summary.rows = rows;
    summary.errors = out.errors;
    summary.warnings = out.warnings;
    summary.columns = schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let (errors, warnings) = out.per_column.get(spec.name).copied().unwrap_or_default();
            ColumnSummary {
                name: spec.name.to_owned(),
                kind: spec.kind,
                required: spec.required,
                header: headers.get(i).cloned().flatten(),
                filled: filled.get(i).copied().unwrap_or(0),
                errors,
                warnings,
            }
        })
        .collect();
    analysis.report.issues = out.issues;
    analysis.report.issues_omitted = out.omitted;
    analysis.report.repairs = repairs.finish(rows);
    analysis
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "全国地方公共団体コード,ID,地方公共団体名,名称,所在地_連結表記,緯度,経度,設置位置,電話番号,郵便番号,開始時間";

    /// An AED file with rows at 山口県庁 (34.1859, 131.4706) and 防府市役所 (34.0514, 131.5627).
    fn aed(rows: &[&str]) -> String {
        let mut text = format!("{HEADER}\n");
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        text
    }

    const GOOD1: &str = "352039,3520390001,山口市,山口県庁,山口県山口市滝町1-1,34.1859,131.4706,1階ロビー,083-922-3111,753-8501,08:30";
    const GOOD2: &str = "352039,3520390002,山口市,防府市役所,山口県防府市寿町7-1,34.0514,131.5627,玄関,0835-25-2111,747-8501,9:00";

    fn codes(report: &ValidationReport) -> Vec<IssueCode> {
        report.issues.iter().map(|i| i.code).collect()
    }

    fn repair_ids(report: &ValidationReport) -> Vec<&str> {
        report.repairs.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn check_digit_follows_the_rule() {
        assert_eq!(lg_check_digit("35203"), Some('9')); // 山口市 352039
        assert_eq!(lg_check_digit("35202"), Some('1')); // remainder 0 → 1 (宇部市 352021)
        assert_eq!(lg_check_digit("13104"), Some('1')); // 新宿区 131041
        assert_eq!(lg_check_digit("01100"), Some('2')); // 札幌市 011002
        assert_eq!(lg_check_digit("35000"), Some('1')); // 山口県 350001
        assert_eq!(lg_check_digit("3520"), None);
        assert_eq!(lg_check_digit("3520a"), None);
        // Remainder 1 gives 0: find one and check it.
        let five = (0..100_000)
            .map(|n| format!("{n:05}"))
            .find(|f| {
                let sum: u32 = f
                    .bytes()
                    .zip([6, 5, 4, 3, 2])
                    .map(|(d, w)| u32::from(d - b'0') * w)
                    .sum();
                sum % 11 == 1
            })
            .unwrap();
        assert_eq!(lg_check_digit(&five), Some('0'));
    }

    #[test]
    fn a_good_file_conforms() {
        let report = validate(&AED, aed(&[GOOD1, GOOD2]).as_bytes());
        assert_eq!(report.encoding, "utf-8");
        assert_eq!(report.rows, 2);
        assert!(report.summary.conforms(), "{:#?}", report.issues);
        assert!(report.repairs.is_empty());
        let col = report
            .summary
            .columns
            .iter()
            .find(|c| c.name == "緯度")
            .unwrap();
        assert_eq!(
            (col.filled, col.errors, col.header.as_deref()),
            (2, 0, Some("緯度"))
        );
    }

    #[test]
    fn missing_required_and_unknown_columns() {
        let text = "全国地方公共団体コード,ID,名称,緯度,経度,設置位置,独自の列\n352039,1,山口県庁,34.1859,131.4706,ロビー,x\n";
        let report = validate(&AED, text.as_bytes());
        assert_eq!(
            report.summary.missing_required,
            vec!["地方公共団体名", "所在地_連結表記"]
        );
        assert_eq!(report.summary.unknown_columns, vec!["独自の列"]);
        assert!(!report.summary.conforms());
        let missing = report
            .issues
            .iter()
            .find(|i| i.code == IssueCode::MissingColumn)
            .unwrap();
        assert_eq!(missing.row, None);
        assert!(missing.message_ja.contains("地方公共団体名"));
        let unknown = report
            .issues
            .iter()
            .find(|i| i.code == IssueCode::UnknownColumn)
            .unwrap();
        assert_eq!(unknown.severity, Severity::Info);
    }

    #[test]
    fn older_column_names_are_accepted() {
        // The earlier version's 住所, and disaster types without the prefix, as many files have.
        let text = "全国地方公共団体コード,ID,地方公共団体名,名称,住所,緯度,経度,洪水,崖崩れ、土石流及び地滑り,高潮,地震,津波,大規模な火事,内水氾濫,火山現象\n\
                    352039,1,山口市,山口県庁,山口市滝町1-1,34.1859,131.4706,1,,1,1,,1,,\n";
        let report = validate(&EVACUATION_SITE, text.as_bytes());
        assert!(report.summary.conforms(), "{:#?}", report.issues);
        let flood = report
            .summary
            .columns
            .iter()
            .find(|c| c.name == "災害種別_洪水")
            .unwrap();
        assert_eq!(flood.header.as_deref(), Some("洪水"));
    }

    #[test]
    fn cell_checks_report_the_file_line() {
        let text = aed(&[
            GOOD1,
            "352038,3520390002,山口市,,山口市,34.1859,131.4706,玄関,083-922-3111,753-8501,25:00",
            "352039,3520390001,山口市,県庁,山口市,north,131.4706,玄関,電話なし,7538501,08:30",
        ]);
        let report = validate(&AED, text.as_bytes());
        let at = |line: u64| -> Vec<IssueCode> {
            report
                .issues
                .iter()
                .filter(|i| i.row == Some(line))
                .map(|i| i.code)
                .collect()
        };
        assert_eq!(
            at(3),
            vec![
                IssueCode::LgCodeCheckDigit,
                IssueCode::RequiredEmpty,
                IssueCode::TimeFormat
            ]
        );
        assert_eq!(
            at(4),
            vec![
                IssueCode::DuplicateId,
                IssueCode::NotNumber,
                IssueCode::PhoneFormat
            ]
        );
        assert_eq!(report.summary.errors, 5);
        assert_eq!(report.summary.warnings, 1);
        let issue = report
            .issues
            .iter()
            .find(|i| i.code == IssueCode::TimeFormat)
            .unwrap();
        assert_eq!(issue.column.as_deref(), Some("開始時間"));
        assert_eq!(issue.value.as_deref(), Some("25:00"));
    }

    #[test]
    fn points_outside_the_prefecture() {
        // 広島市役所 (34.3853, 132.4553) is outside Yamaguchi and not a swapped pair either.
        let row = "352039,1,山口市,広島,広島市,34.3853,132.4553,玄関,,,";
        let report = validate(&AED, aed(&[row]).as_bytes());
        assert_eq!(codes(&report), vec![IssueCode::OutsidePrefecture]);
        assert!(report.repairs.is_empty());
    }

    #[test]
    fn shift_jis_is_offered_conversion() {
        let text = aed(&[GOOD1, GOOD2]);
        let sjis = encoding_rs::SHIFT_JIS.encode(&text).0.into_owned();
        let report = validate(&AED, &sjis);
        assert_eq!(report.encoding, "shift_jis");
        assert_eq!(codes(&report), vec![IssueCode::Encoding]);
        assert_eq!(repair_ids(&report), vec!["encoding"]);
        assert!(!report.summary.conforms());

        let fixed = apply_repairs(&AED, &sjis, &["encoding"]).unwrap();
        assert!(
            fixed.starts_with(b"\xEF\xBB\xBF"),
            "Excel needs the BOM to read UTF-8"
        );
        assert_eq!(std::str::from_utf8(&fixed[3..]).unwrap(), text);
        assert!(validate(&AED, &fixed).summary.conforms());

        // Not accepted: the file stays Shift_JIS, byte for byte.
        assert_eq!(apply_repairs(&AED, &sjis, &[] as &[&str]).unwrap(), sjis);
    }

    #[test]
    fn swapped_coordinates_are_offered_a_swap() {
        let swapped1 = GOOD1.replace("34.1859,131.4706", "131.4706,34.1859");
        let swapped2 = GOOD2.replace("34.0514,131.5627", "131.5627,34.0514");
        let text = aed(&[&swapped1, &swapped2]);
        let report = validate(&AED, text.as_bytes());
        assert_eq!(
            codes(&report),
            vec![IssueCode::LatLonSwapped, IssueCode::LatLonSwapped]
        );
        assert_eq!(repair_ids(&report), vec!["swap_lat_lon"]);
        let repair = &report.repairs[0];
        assert_eq!(repair.rows, vec![2, 3]);
        assert_eq!(repair.examples[0].after, "34.1859, 131.4706");
        assert!(repair.description_ja.contains("2行"));

        let fixed = apply_repairs(&AED, text.as_bytes(), &["swap_lat_lon"]).unwrap();
        assert_eq!(String::from_utf8(fixed).unwrap(), aed(&[GOOD1, GOOD2]));
    }

    #[test]
    fn dropped_leading_zeros_and_check_digits() {
        // (A postal code from outside Yamaguchi, where the leading 0 exists.)
        let good = GOOD1.replace("753-8501", "060-0001");
        let row = good
            .replacen("352039,", "35203,", 1)
            .replace("083-922", "83-922")
            .replace("060-0001", "60-0001");
        let text = aed(&[&row, GOOD2]);
        let report = validate(&AED, text.as_bytes());
        assert_eq!(
            codes(&report),
            vec![
                IssueCode::LgCodeIncomplete,
                IssueCode::PhoneLeadingZero,
                IssueCode::PostalCodeLeadingZero
            ]
        );
        assert_eq!(
            repair_ids(&report),
            vec![
                "lg_code:全国地方公共団体コード",
                "leading_zero:電話番号",
                "leading_zero:郵便番号"
            ]
        );
        assert_eq!(
            report.issues[0].repair.as_deref(),
            Some("lg_code:全国地方公共団体コード")
        );

        // Only the accepted repairs are applied.
        let fixed =
            apply_repairs(&AED, text.as_bytes(), &["lg_code:全国地方公共団体コード"]).unwrap();
        let fixed = String::from_utf8(fixed).unwrap();
        assert!(
            fixed.contains("\n352039,3520390001,山口市,山口県庁"),
            "{fixed}"
        );
        assert!(fixed.contains(",83-922-3111,60-0001,"), "{fixed}");

        let all: Vec<&str> = repair_ids(&report);
        let fixed = apply_repairs(&AED, text.as_bytes(), &all).unwrap();
        assert_eq!(String::from_utf8(fixed).unwrap(), aed(&[&good, GOOD2]));
    }

    #[test]
    fn leading_zero_of_another_prefecture_code() {
        // 札幌市 011002 saved from Excel as 11002: the zero goes back, with a warning that it is
        // not a Yamaguchi code.
        assert!(matches!(
            check_lg_code("11002"),
            Verdict::Fixable { ref fixed, .. } if fixed == "011002"
        ));
        assert!(matches!(
            check_lg_code("35201"),
            Verdict::Fixable { ref fixed, .. } if fixed == "352012"
        ));
        assert!(matches!(check_lg_code("3520"), Verdict::Fixable { .. }));
        assert!(matches!(
            check_lg_code("1234567"),
            Verdict::Bad(IssueCode::LgCodeFormat)
        ));
    }

    /// A schema with a date column, as some standard datasets have.
    const WITH_DATE: Schema = Schema {
        id: "test",
        title_ja: "テスト",
        title_en: "Test",
        columns: &[col("ID", true, T::Text), col("開設日", true, T::Date)],
    };

    #[test]
    fn wareki_dates_become_iso() {
        let text = "ID,開設日\n1,令和6年4月1日\n2,2024-04-02\n3,R6.4.3\n4,平成32年1月1日\n";
        let report = validate(&WITH_DATE, text.as_bytes());
        assert_eq!(
            codes(&report),
            vec![
                IssueCode::DateNotIso,
                IssueCode::DateNotIso,
                IssueCode::NotDate
            ]
        );
        assert_eq!(repair_ids(&report), vec!["iso_date:開設日"]);
        assert_eq!(report.repairs[0].rows, vec![2, 4]);
        // 平成32年 does not exist (the era ended in 平成31年): no guess is offered.
        assert_eq!(report.issues[2].repair, None);

        let fixed = apply_repairs(&WITH_DATE, text.as_bytes(), &["iso_date:開設日"]).unwrap();
        assert_eq!(
            String::from_utf8(fixed).unwrap(),
            "ID,開設日\n1,2024-04-01\n2,2024-04-02\n3,2024-04-03\n4,平成32年1月1日\n"
        );
    }

    #[test]
    fn wareki_in_an_extra_date_column_is_a_warning_with_a_repair() {
        let text = aed(&[GOOD1])
            .replacen("開始時間", "開始時間,設置日", 1)
            .replacen("08:30", "08:30,令和5年10月1日", 1);
        let report = validate(&AED, text.as_bytes());
        assert!(report.summary.conforms(), "{:#?}", report.issues);
        assert_eq!(repair_ids(&report), vec!["iso_date:設置日"]);
        let fixed = apply_repairs(&AED, text.as_bytes(), &["iso_date:設置日"]).unwrap();
        assert!(
            String::from_utf8(fixed)
                .unwrap()
                .contains(",08:30,2023-10-01\n")
        );
    }

    #[test]
    fn full_width_digits_are_offered_half_width() {
        let row = GOOD1.replace("34.1859", "３４．１８５９");
        let report = validate(&AED, aed(&[&row]).as_bytes());
        assert_eq!(codes(&report), vec![IssueCode::FullWidth]);
        assert_eq!(repair_ids(&report), vec!["half_width:緯度"]);
    }

    #[test]
    fn flags_are_one_or_empty() {
        assert!(matches!(check_cell(T::Flag, "1"), Verdict::Ok));
        assert!(matches!(
            check_cell(T::Flag, "○"),
            Verdict::Bad(IssueCode::FlagValue)
        ));
        assert!(matches!(
            check_cell(T::Url, "www.example.jp"),
            Verdict::Bad(IssueCode::UrlFormat)
        ));
        assert!(matches!(check_cell(T::Email, "a@example.jp"), Verdict::Ok));
        assert!(matches!(
            check_cell(T::Email, "a@b"),
            Verdict::Bad(IssueCode::EmailFormat)
        ));
        assert!(matches!(check_cell(T::Integer, "120"), Verdict::Ok));
        assert!(matches!(
            check_cell(T::Integer, "約120"),
            Verdict::Bad(IssueCode::NotInteger)
        ));
    }

    #[test]
    fn unknown_repairs_are_refused_and_bad_bytes_reported() {
        let text = aed(&[GOOD1]);
        assert!(matches!(
            apply_repairs(&AED, text.as_bytes(), &["swap_lat_lon"]),
            Err(StandardError::UnknownRepair(id)) if id == "swap_lat_lon"
        ));
        let report = validate(&AED, b"\xFF\xFE\xFF");
        assert_eq!(report.encoding, "unknown");
        let report = validate(&AED, b"ID,\"unclosed\n1,2");
        assert!(!report.summary.conforms());
    }

    #[test]
    fn crlf_and_quotes_survive_a_repair() {
        let text = format!(
            "{HEADER}\r\n{}\r\n",
            GOOD1
                .replace("山口県庁", "\"山口県庁, 本館\"")
                .replace("352039,", "35203,")
        );
        let fixed =
            apply_repairs(&AED, text.as_bytes(), &["lg_code:全国地方公共団体コード"]).unwrap();
        assert_eq!(
            String::from_utf8(fixed).unwrap(),
            text.replacen("\r\n35203,", "\r\n352039,", 1)
        );
    }

    #[test]
    fn issues_are_capped_but_counted() {
        let row = GOOD1.replace("08:30", "x");
        let rows: Vec<&str> = std::iter::repeat_n(row.as_str(), MAX_ISSUES + 10).collect();
        let report = validate(&AED, aed(&rows).as_bytes());
        assert_eq!(report.issues.len(), MAX_ISSUES);
        assert_eq!(report.issues_omitted, 10 + (MAX_ISSUES as u64 + 9));
        assert_eq!(report.summary.errors, 2 * (MAX_ISSUES as u64 + 10) - 1);
    }

    #[test]
    fn schemas_are_consistent() {
        for s in SCHEMAS {
            assert_eq!(schema(s.id).map(|x| x.id), Some(s.id));
            let mut keys: Vec<String> = s
                .columns
                .iter()
                .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
                .map(header_key)
                .collect();
            let n = keys.len();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), n, "{}: a header maps to two columns", s.id);
            assert!(s.columns.iter().any(|c| c.kind == T::Latitude));
        }
    }
}
