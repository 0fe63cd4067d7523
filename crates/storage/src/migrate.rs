//! Per-engine, per-backend migrations.
//!
//! sqlx's own migrator keeps one version sequence per database; ydx's engines are developed
//! apart and each keeps its own sequence, so the ledger is keyed by (engine, version).

use crate::{Db, Result, StorageError};

/// One schema change, written once per backend.
#[derive(Debug)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// An engine's migrations in order.
#[derive(Debug)]
pub struct EngineMigrations {
    pub engine: &'static str,
    pub migrations: &'static [Migration],
}

const LEDGER: &str = "CREATE TABLE IF NOT EXISTS ydx_migrations (
    engine TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (engine, version)
)";

pub(crate) async fn run(db: &Db, engines: &[&EngineMigrations]) -> Result<Vec<String>> {
    crate::with_db!(db, |p| {
        sqlx::query(LEDGER).execute(p).await?;
    });
    let mut applied = Vec::new();
    for engine in engines {
        let done: Vec<i64> = crate::with_db!(db, |p| {
            sqlx::query_scalar("SELECT version FROM ydx_migrations WHERE engine = $1")
                .bind(engine.engine)
                .fetch_all(p)
                .await?
        });
        for m in engine.migrations {
            if done.contains(&m.version) {
                continue;
            }
            let err = |source| StorageError::Migration {
                engine: engine.engine,
                version: m.version,
                name: m.name,
                source,
            };
            // DDL is transactional on both backends, so a failed migration leaves nothing.
            crate::with_db!(db, |p| {
                let sql = match db.backend() {
                    crate::Backend::Sqlite => m.sqlite,
                    crate::Backend::Postgres => m.postgres,
                };
                let mut tx = p.begin().await.map_err(err)?;
                sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(err)?;
                sqlx::query(
                    "INSERT INTO ydx_migrations (engine, version, name, applied_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(engine.engine)
                .bind(m.version)
                .bind(m.name)
                .bind(crate::now())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
                tx.commit().await.map_err(err)?;
            });
            tracing::info!(
                engine = engine.engine,
                version = m.version,
                name = m.name,
                "migration applied"
            );
            applied.push(format!("{}/{} {}", engine.engine, m.version, m.name));
        }
    }
    Ok(applied)
}
