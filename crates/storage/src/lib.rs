//! The storage layer every ydx engine stands on.
//!
//! ydx runs on an embedded SQLite database by default and on PostgreSQL for deployments that
//! outgrow one machine. Engines write their queries once, in the SQL both backends accept
//! (`$1` placeholders, `ON CONFLICT`, `RETURNING`, no vendor functions), and run them through
//! [`with_db!`], which monomorphises the same code for each backend's native driver. Where the
//! SQL must differ (DDL, search, upserts with backend-only syntax) an engine matches on
//! [`Db`] and writes one branch per backend, so the difference is visible in the code.
//!
//! Each engine owns its tables and ships its migrations per backend ([`EngineMigrations`]);
//! [`Db::migrate`] applies what is missing at start-up, each migration in its own transaction.

mod blob;
mod migrate;
mod recent;
pub mod testing;

pub use blob::{BlobError, BlobId, BlobStore, FsBlobStore};
pub use migrate::{EngineMigrations, Migration};
pub use recent::Recent;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use sqlx;

/// Errors of the storage layer. Engines wrap this in their own error type.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A row the caller asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write; the message names the constraint.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database URL in the configuration cannot be used.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    BadUrl(String),
    /// Anything else the database said.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// A migration failed; nothing of it was applied.
    #[error("migration {engine}/{version} ({name}) failed: {source}")]
    Migration {
        engine: &'static str,
        version: i64,
        name: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StorageError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StorageError::Conflict(db.constraint().unwrap_or(db.message()).to_string())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StorageError::Conflict(db.constraint().unwrap_or(db.message()).to_string())
            }
            _ => StorageError::Database(e),
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A connection pool to one of the supported backends.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same block of sqlx code against whichever backend a [`Db`] holds.
///
/// Inside the block `$pool` is a `&SqlitePool` or a `&PgPool`; the block is compiled once per
/// backend, so it may only use SQL and types that both accept.
#[macro_export]
macro_rules! with_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// A write transaction on either backend.
///
/// On SQLite it starts with `BEGIN IMMEDIATE`, so two writers queue on the database lock
/// instead of one failing when it upgrades from read to write. Dropping a `Tx` without
/// [`Tx::commit`] rolls it back, so a failed request leaves the database as it was. Engines
/// pass `&mut Tx` between their functions (a catalog write and its audit entry share one).
#[derive(Debug)]
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Runs the same block of sqlx code inside a [`Tx`], whichever backend it is on.
///
/// `$conn` is bound to `&mut SqliteConnection` or `&mut PgConnection`; reborrow it with
/// `&mut *conn` for each query.
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $conn: &mut $crate::sqlx::SqliteConnection = &mut *t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $conn: &mut $crate::sqlx::PgConnection = &mut *t;
                $body
            }
        }
    };
}

impl Db {
    /// Connects to `url`: `sqlite://PATH` (created if missing; WAL, foreign keys on) or
    /// `postgres://…`.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|_| StorageError::BadUrl(url.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-32000");
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .min_connections(1)
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StorageError::BadUrl(redact_url(url)))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Begins a write transaction (see [`Tx`]).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        with_db!(self, |p| {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }

    /// Applies every migration of `engines` that this database has not seen yet.
    pub async fn migrate(&self, engines: &[&EngineMigrations]) -> Result<Vec<String>> {
        migrate::run(self, engines).await
    }

    /// Writes a consistent copy of a SQLite database to `dest` while the server keeps running
    /// (`VACUUM INTO` reads one snapshot). PostgreSQL deployments use `pg_dump` instead.
    pub async fn backup_sqlite_to(&self, dest: &std::path::Path) -> Result<()> {
        match self {
            Db::Sqlite(p) => {
                let dest = dest.to_string_lossy().replace('\'', "''");
                sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM INTO '{dest}'")))
                    .execute(p)
                    .await?;
                Ok(())
            }
            Db::Postgres(_) => Err(StorageError::BadUrl(
                "backup of PostgreSQL: use pg_dump".to_string(),
            )),
        }
    }

    pub async fn close(&self) {
        with_db!(self, |p| p.close().await)
    }
}

/// Removes a password from a database URL so it can be logged or shown.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The current time as stored in every table: UTC, microseconds, CKAN's format
/// (`2024-04-01T09:30:00.000000`), which sorts as text on both backends.
pub fn now() -> String {
    format_time(time::OffsetDateTime::now_utc())
}

/// Formats a time the way [`now`] does.
pub fn format_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// A new random identifier (UUID v4, as CKAN uses for ids).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password() {
        assert_eq!(
            redact_url("postgres://ydx:secret@localhost:5432/ydx"),
            "postgres://ydx:***@localhost:5432/ydx"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn time_format_is_fixed_width() {
        let t = time::macros::datetime!(2024-04-01 09:30:05.000123 UTC);
        assert_eq!(format_time(t), "2024-04-01T09:30:05.000123");
    }
}
