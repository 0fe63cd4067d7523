//! Japanese text for ydx.
//!
//! Two jobs, no HTTP and no database:
//! - [`search`]: the terms the catalog's SQL inverted index stores and queries, decided here
//!   so SQLite and PostgreSQL behave the same.
//! - reading files as municipalities publish them: [`decode()`] (UTF-8, BOM, Shift_JIS),
//!   [`sniff_csv`] (delimiter, header, columns), [`infer_types`] and the 和暦-aware
//!   [`parse_date`].

pub mod csv_shape;
pub mod date;
pub mod decode;
pub mod search;
pub mod types;

pub use csv_shape::{
    CsvError, CsvShape, MAX_TITLE_ROWS, column_names, filled, record_line, sniff_csv, title_rows,
};
pub use date::{Era, WarekiError, format_wareki, parse_date, parse_wareki};
pub use decode::{DecodeError, Decoded, Encoding, decode};
pub use search::{index_terms, matches, normalize, query_terms};
pub use types::{ColumnType, infer_column, infer_types};

/// Every error of this crate, so callers can use `?` across its functions.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// The embedded search dictionary could not be read (a broken build, not bad input).
    #[error("検索辞書を読み込めません（ビルドの不具合です）: {0}")]
    Dictionary(String),
    /// See [`DecodeError`].
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// See [`CsvError`].
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// See [`WarekiError`].
    #[error(transparent)]
    Wareki(#[from] WarekiError),
}
