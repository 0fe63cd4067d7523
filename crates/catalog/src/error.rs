//! The catalog's one error type, and per-field validation errors in CKAN's shape.

use std::collections::BTreeMap;

use serde::Serialize;
use ydx_storage::{BlobError, StorageError};

/// One problem with one field: a stable `code` the web layer translates, and an English
/// `message` for logs and API clients that do not translate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub code: &'static str,
    pub message: String,
}

/// Problems per field (CKAN's "Validation Error" body: field → list of messages).
/// A `BTreeMap` so the order is stable in responses and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors {
    pub fields: BTreeMap<String, Vec<FieldError>>,
}

impl ValidationErrors {
    pub fn add(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.fields
            .entry(field.to_string())
            .or_default()
            .push(FieldError {
                code,
                message: message.into(),
            });
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Whether `field` has an error with `code` (for tests and for the web layer).
    pub fn has(&self, field: &str, code: &str) -> bool {
        self.fields
            .get(field)
            .is_some_and(|v| v.iter().any(|e| e.code == code))
    }

    /// `Ok` when nothing was added, else the errors as a [`CatalogError::Validation`].
    pub fn into_result(self) -> Result<(), CatalogError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(CatalogError::Validation(self))
        }
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for (field, errors) in &self.fields {
            for e in errors {
                if !first {
                    f.write_str("; ")?;
                }
                first = false;
                write!(f, "{field}: {}", e.message)?;
            }
        }
        Ok(())
    }
}

/// Everything that can go wrong in the catalog. The web layer maps these to CKAN's error
/// types: NotFound → "Not Found Error" 404, Forbidden → "Authorization Error" 403,
/// Validation/BadFile/TooLarge → "Validation Error" 409, BadQuery → "Search Query Error" 400;
/// Busy → 409 on the other APIs and pages.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The record does not exist, or the caller may not see it (we do not reveal which).
    #[error("{kind} {id:?} not found")]
    NotFound { kind: &'static str, id: String },
    /// The caller may see the record but not do this to it.
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("invalid fields: {0}")]
    Validation(ValidationErrors),
    /// An uploaded file cannot be read; `line` is 1-based (0 when no line applies). Nothing
    /// of the upload was stored.
    #[error("line {line}: {message}")]
    BadFile { line: u64, message: String },
    /// An upload is over the configured limit; nothing was stored.
    #[error("the file is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// A search or data-API query the catalog cannot run (unknown column, sort field…).
    #[error("bad query: {0}")]
    BadQuery(String),
    /// The resource has no table to query (not CSV/TSV/XLSX, or a link).
    #[error("resource {0:?} has no tabular data")]
    NotTabular(String),
    /// The record is held by work in progress (a harvest run of the source) and cannot be
    /// changed that way until it has finished; nothing was changed.
    #[error("busy: {0}")]
    Busy(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// A stored JSON column could not be read back (a bug or a hand-edited database).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        CatalogError::Storage(e.into())
    }
}

impl From<serde_json::Error> for CatalogError {
    fn from(e: serde_json::Error) -> Self {
        CatalogError::Corrupt(e.to_string())
    }
}

impl CatalogError {
    pub(crate) fn not_found(kind: &'static str, id: &str) -> CatalogError {
        CatalogError::NotFound {
            kind,
            id: id.chars().take(200).collect(),
        }
    }
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;
