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
