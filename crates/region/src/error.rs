//! The crate's one error type.
//!
//! Every variant carries the offending input and a machine-readable reason, so the
//! web layer can write its own message in Japanese, easy Japanese or English
//! instead of showing the English `Display` text below to residents.

use thiserror::Error;

/// Everything that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum RegionError {
    /// A five-digit municipality code (市区町村コード) could not be read.
    #[error("invalid municipality code {input:?}: {reason}")]
    InvalidMunicipalityCode {
        /// The text as the user gave it.
        input: String,
        /// Why it was rejected.
        reason: CodeErrorReason,
    },
    /// A six-digit local-government code (全国地方公共団体コード) could not be read.
    #[error("invalid local-government code {input:?}: {reason}")]
    InvalidLgCode {
        /// The text as the user gave it.
        input: String,
        /// Why it was rejected.
        reason: CodeErrorReason,
    },
    /// The code is well formed but names no municipality of this region.
    #[error("no municipality with code {code} in Yamaguchi Prefecture")]
    UnknownMunicipality {
        /// The five-digit code that was looked up.
        code: String,
    },
    /// A "latitude,longitude" text could not be read.
    #[error("invalid coordinate {input:?}: {reason}")]
    InvalidCoordinate {
        /// The text as the user gave it.
        input: String,
        /// Why it was rejected.
        reason: CoordinateErrorReason,
    },
    /// Boundary data is not GeoJSON of the expected shape.
    #[error("malformed boundary GeoJSON: {reason}")]
    MalformedGeoJson {
        /// What was wrong, for the operator's log.
        reason: String,
    },
    /// A boundary file held no feature of a Yamaguchi municipality (codes 35xxx):
    /// usually the wrong prefecture's N03 file was configured.
    #[error("boundary data contains no Yamaguchi Prefecture municipality (codes 35xxx)")]
    NoYamaguchiMunicipality,
    /// A boundary file lacks some of the 19 municipalities; each is named as
    /// `(code, name_ja)`.
    #[error("boundary data lacks municipalities: {}", format_missing(.missing))]
    MissingMunicipalities {
        /// `(five-digit code, Japanese name)` of each missing municipality.
        missing: Vec<(String, String)>,
    },
    /// A feature's properties contradict the known facts (e.g. the name under a code
    /// differs), which points at data from another year or a corrupted file.
    #[error("boundary feature {code}: {reason}")]
    InconsistentFeature {
        /// The feature's five-digit code.
        code: String,
        /// What did not match.
        reason: String,
    },
}

fn format_missing(missing: &[(String, String)]) -> String {
    missing
        .iter()
        .map(|(code, name)| format!("{code} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a municipality code or local-government code was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CodeErrorReason {
    /// Nothing but whitespace was given.
    #[error("it is empty")]
    Empty,
    /// Codes have five digits (or six with the check digit).
    #[error("expected 5 or 6 digits, found {len} characters")]
    WrongLength {
        /// Number of characters after normalisation.
        len: usize,
    },
    /// Something other than 0–9 appeared.
    #[error("it contains a character that is not a digit")]
    NotDigits,
    /// The first two digits are not a prefecture code 01–47.
    #[error("the first two digits are not a prefecture code (01-47)")]
    NoSuchPrefecture,
    /// The code ends in `000`, which denotes a prefecture itself, not a municipality.
    #[error("it is a prefecture's code, not a municipality's")]
    PrefectureLevel,
    /// The sixth digit does not match the five before it: most often a typo.
    #[error("check digit should be {expected}, found {found}")]
    CheckDigitMismatch {
        /// The check digit computed from the first five digits.
        expected: u8,
        /// The sixth digit as given.
        found: u8,
    },
}

/// Why a coordinate text was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[non_exhaustive]
pub enum CoordinateErrorReason {
    /// Nothing but whitespace was given.
    #[error("it is empty")]
    Empty,
    /// Not exactly two numbers separated by a comma or whitespace.
    #[error("expected \"latitude,longitude\"")]
    NotTwoNumbers,
    /// One of the two parts is not a plain decimal number (exponents, `inf` and `NaN`
    /// are refused on purpose: nobody types them on purpose).
    #[error("\"{part}\" part is not a decimal number")]
    NotANumber {
        /// Which part failed.
        part: CoordinatePart,
    },
    /// Latitude outside −90…90.
    #[error("latitude {0} is outside -90..90")]
    LatitudeOutOfRange(f64),
    /// Longitude outside −180…180.
    #[error("longitude {0} is outside -180..180")]
    LongitudeOutOfRange(f64),
    /// The numbers are valid only in the other order: the user almost certainly
    /// typed "longitude,latitude" (the GeoJSON order) by mistake.
    #[error("latitude and longitude seem swapped (expected latitude first)")]
    LooksSwapped,
}

/// The half of a coordinate an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordinatePart {
    /// The first number.
    Latitude,
    /// The second number.
    Longitude,
}

impl std::fmt::Display for CoordinatePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Latitude => "latitude",
            Self::Longitude => "longitude",
        })
    }
}
