//! Fresh databases for conformance tests: SQLite always, PostgreSQL when
//! `YDX_TEST_DATABASE_URL` is set (each test gets a schema of its own there).

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::{Db, EngineMigrations, Result};

/// A migrated database that lives as long as this value.
#[derive(Debug)]
pub struct TestDb {
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
}

/// The environment variable naming a PostgreSQL server for the conformance suite.
pub const PG_URL_VAR: &str = "YDX_TEST_DATABASE_URL";

/// One fresh, migrated database per available backend. Prints a line when PostgreSQL is
/// skipped, so a run without it says so.
pub async fn test_databases(engines: &[&EngineMigrations]) -> Result<Vec<TestDb>> {
    let mut out = vec![sqlite(engines).await?];
    match std::env::var(PG_URL_VAR) {
        Ok(url) if !url.is_empty() => out.push(postgres(&url, engines).await?),
        _ => eprintln!("note: PostgreSQL conformance skipped ({PG_URL_VAR} not set)"),
    }
    Ok(out)
}

pub async fn sqlite(engines: &[&EngineMigrations]) -> Result<TestDb> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let db = Db::connect(&url, 4).await?;
    db.migrate(engines).await?;
    Ok(TestDb {
        db,
        _dir: Some(dir),
    })
}

pub async fn postgres(url: &str, engines: &[&EngineMigrations]) -> Result<TestDb> {
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = PgPoolOptions::new().max_connections(1).connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await?;
    admin.close().await;
    let opts = PgConnectOptions::from_str(url)?.options([("search_path", schema.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(opts)
        .await?;
    let db = Db::Postgres(pool);
    db.migrate(engines).await?;
    Ok(TestDb { db, _dir: None })
}
