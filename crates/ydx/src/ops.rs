//! Operator tasks: backup, restore, region import.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ydx_storage::Db;

use crate::config::Config;

/// Writes a tar archive with a consistent snapshot of the SQLite database (`VACUUM INTO`
/// reads one transaction's view while the server keeps writing) and the uploaded files.
/// Blobs are immutable and written before the rows that name them, so every blob the
/// snapshot refers to is in the archive.
pub async fn backup(config: &Config, db: &Db, file: &Path) -> anyhow::Result<()> {
    let snapshot = config
        .storage
        .data_dir
        .join(format!(".backup-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&snapshot);
    let has_db = match db {
        Db::Sqlite(_) => {
            db.backup_sqlite_to(&snapshot).await?;
            true
        }
        Db::Postgres(_) => {
            eprintln!(
                "note: the database is PostgreSQL; back it up with pg_dump. This archive holds the uploaded files."
            );
            false
        }
    };
    let result = (|| -> anyhow::Result<()> {
        let tmp = file.with_extension("partial");
        let out = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut tar = tar::Builder::new(out);
        if has_db {
            tar.append_path_with_name(&snapshot, "ydx.db")?;
        }
        let blobs = config.blob_dir();
        if blobs.exists() {
            tar.append_dir_all("blobs", &blobs)?;
        }
        tar.into_inner()?.sync_all()?;
        std::fs::rename(&tmp, file)?;
        Ok(())
    })();
    let _ = std::fs::remove_file(&snapshot);
    result
}

/// Restores an archive made by [`backup`]. Refuses to overwrite a database unless `force`;
/// unpacks beside the data first, so a bad archive leaves the data folder as it was.
pub fn restore(config: &Config, file: &Path, force: bool) -> anyhow::Result<()> {
    let data = &config.storage.data_dir;
    std::fs::create_dir_all(data)?;
    let db_path = data.join("ydx.db");
    if db_path.exists() && !force {
        bail!(
            "{} already exists; stop the server and pass --force to replace it",
            db_path.display()
        );
    }
    let staging = data.join(format!(".restore-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    let unpack = (|| -> anyhow::Result<()> {
        let f =
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let mut archive = tar::Archive::new(f);
        // tar's unpack refuses entries that climb out of the target (`..`, absolute paths).
        archive
            .unpack(&staging)
            .with_context(|| format!("{} is not a ydx backup archive", file.display()))?;
        if !staging.join("ydx.db").exists() && !staging.join("blobs").exists() {
            bail!(
                "{} holds neither ydx.db nor blobs/: not a ydx backup",
                file.display()
            );
        }
        Ok(())
    })();
    if let Err(e) = unpack {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if staging.join("ydx.db").exists() {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(data.join(format!("ydx.db{suffix}")));
        }
        std::fs::rename(staging.join("ydx.db"), &db_path)?;
    }
    if staging.join("blobs").exists() {
        copy_tree(&staging.join("blobs"), &config.blob_dir())?;
    }
    std::fs::remove_dir_all(&staging)?;
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if !target.exists() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Validates a full-resolution N03 GeoJSON and stores it in the data folder.
pub fn import_region(config: &Config, file: &Path) -> anyhow::Result<PathBuf> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let region = ydx_region::Region::from_n03_geojson(&bytes)
        .with_context(|| format!("{} is not usable N03 boundary data", file.display()))?;
    let dir = config.storage.data_dir.join("region");
    std::fs::create_dir_all(&dir)?;
    let dest = dir.join("boundaries.geojson");
    let tmp = dir.join("boundaries.geojson.partial");
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, &dest)?;
    println!("{} municipalities read", region.municipalities().len());
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ydx_storage::BlobStore;

    fn config_in(dir: &Path) -> Config {
        let mut c = Config::default();
        c.storage.data_dir = dir.to_path_buf();
        c
    }

    async fn org_count(config: &Config) -> i64 {
        let db = Db::connect(&config.database_url(), 1).await.unwrap();
        let n = ydx_storage::with_db!(&db, |p| {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM organizations")
                .fetch_one(p)
                .await
                .unwrap()
        });
        db.close().await;
        n
    }

    #[tokio::test]
    async fn backup_while_open_and_restore_elsewhere() {
        let src = tempfile::tempdir().unwrap();
        let config = config_in(src.path());
        let db = Db::connect(&config.database_url(), 2).await.unwrap();
        let blobs: std::sync::Arc<dyn BlobStore> =
            std::sync::Arc::new(ydx_storage::FsBlobStore::open(config.blob_dir()).unwrap());
        let engines = crate::engines::engines(&db, &blobs, &ydx_web::WebConfig::default());
        db.migrate(&crate::engines::migrations(&engines))
            .await
            .unwrap();
        let accounts =
            ydx_accounts::Accounts::new(db.clone(), ydx_accounts::PasswordCost::TestOnly).unwrap();
        accounts
            .create_org(&ydx_accounts::Organization {
                id: "hagi-city".into(),
                kind: ydx_accounts::OrgKind::Municipality,
                name_ja: "萩市".into(),
                name_en: "Hagi City".into(),
                municipality_code: Some("35204".into()),
                description: String::new(),
                created_at: String::new(),
            })
            .await
            .unwrap();
        let blobs = ydx_storage::FsBlobStore::open(config.blob_dir()).unwrap();
        let blob = blobs.put("緯度,経度\n34.4,131.4\n".as_bytes()).unwrap();

        let archive = src.path().join("backup.tar");
        backup(&config, &db, &archive).await.unwrap();
        db.close().await;

        let dest = tempfile::tempdir().unwrap();
        let restored = config_in(dest.path());
        restore(&restored, &archive, false).unwrap();
        assert_eq!(org_count(&restored).await, 1);
        let blobs = ydx_storage::FsBlobStore::open(restored.blob_dir()).unwrap();
        assert!(blobs.get(&blob).unwrap().starts_with("緯度".as_bytes()));

        // An existing database is not replaced without --force.
        let err = restore(&restored, &archive, false).unwrap_err().to_string();
        assert!(err.contains("--force"), "{err}");
        restore(&restored, &archive, true).unwrap();

        // A file that is not a backup leaves the data folder as it was.
        let junk = dest.path().join("junk.tar");
        std::fs::write(&junk, b"not a tar archive at all").unwrap();
        assert!(restore(&restored, &junk, true).is_err());
        assert_eq!(org_count(&restored).await, 1);
    }

    #[test]
    fn region_import_refuses_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        let bad = dir.path().join("bad.geojson");
        std::fs::write(&bad, br#"{"type":"FeatureCollection","features":[]}"#).unwrap();
        assert!(import_region(&config, &bad).is_err());
        assert!(!dir.path().join("region/boundaries.geojson").exists());
        let good = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../region/data/yamaguchi-municipalities.geojson");
        let dest = import_region(&config, &good).unwrap();
        assert!(dest.exists());
    }
}
