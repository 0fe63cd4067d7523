//! Resources: uploads kept as versions in the blob store, and links.
//!
//! An upload is checked completely before anything is stored: size limit first, then, for
//! tables, every row is read. Only a file that passes is put in the blob store, and the
//! resource row, its version row, the dataset's new modification time, its search terms and
//! the audit entry are written in one transaction. A refused file leaves the dataset exactly
//! as it was (a blob stored just before a failed commit is unreferenced and harmless, since
//! blobs are content-addressed).

use serde::{Deserialize, Serialize};
use ydx_accounts::Principal;
use ydx_storage::{BlobId, Tx, with_db, with_tx};

use crate::error::{CatalogError, Result, ValidationErrors};
use crate::model::*;
use crate::store::{Catalog, RESOURCE_COLUMNS, commit, touch_dataset};
use crate::table::{self, ParsedTable};

/// Where a resource's content comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceSource {
    /// A file kept by ydx; `filename` is only shown and used to guess the format.
    Upload { bytes: Vec<u8>, filename: String },
    /// A URL elsewhere.
    Link { url: String },
}

/// What a publisher says about a resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceFields {
    pub name: String,
    pub description: String,
    /// Empty: guessed from the file name (uploads) or left empty (links).
    pub format: String,
    /// For series datasets: the period this file covers, e.g. "2024" for FY2024.
    pub period: Option<String>,
}

/// A partial change of a resource's description (not its content).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourcePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub format: Option<String>,
    pub period: Option<Option<String>>,
    /// Only for links.
    pub url: Option<String>,
}

/// An upload that passed every check, ready to store.
struct CheckedUpload {
    blob: BlobId,
    size: i64,
    filename: String,
    format: String,
    table: Option<ParsedTable>,
}

/// The resource a series' stable "latest" URL points to: the one with the highest period
/// (periods sort as text: "2024" > "2023"), else the last one.
pub fn latest_resource(d: &Dataset) -> Option<&Resource> {
    d.resources
        .iter()
        .filter(|r| r.period.is_some())
        .max_by(|a, b| a.period.cmp(&b.period).then(a.position.cmp(&b.position)))
        .or_else(|| d.resources.last())
}

fn check_fields(f: &ResourceFields, errors: &mut ValidationErrors) {
    if f.name.chars().count() > 500 {
        errors.add("name", "too_long", "Must be at most 500 characters");
    }
    if let Some(p) = &f.period
        && (p.trim().is_empty() || p.chars().count() > 40)
    {
        errors.add(
            "period",
            "invalid_period",
            "A period is 1-40 characters, e.g. 2024",
        );
    }
}

fn check_url(url: &str, errors: &mut ValidationErrors) {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        errors.add("url", "invalid_url", "Must start with http:// or https://");
    }
}

impl Catalog {
    /// Size limit, decoding and table checks; stores the blob only if all pass.
    fn check_upload(
        &self,
        bytes: &[u8],
        filename: &str,
        format: Option<&str>,
    ) -> Result<CheckedUpload> {
        let size = bytes.len() as u64;
        if size > self.limits.max_upload_bytes {
            return Err(CatalogError::TooLarge {
                size,
                limit: self.limits.max_upload_bytes,
            });
        }
        let format = table::format_of(format, filename);
        let parsed = if table::is_tabular(&format) {
            Some(table::read_tabular(&format, bytes)?)
        } else if matches!(format.as_str(), "JSON" | "GEOJSON") {
            serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| {
                CatalogError::BadFile {
                    line: e.line() as u64,
                    message: format!("JSON として読めません: {e}"),
                }
            })?;
            None
        } else {
            None
        };
        let blob = self.blobs.put(bytes)?;
        Ok(CheckedUpload {
            blob,
            size: size as i64,
            filename: sanitize_filename(filename),
            format,
            table: parsed,
        })
    }

    /// CKAN's `resource_create`: adds an upload (version 1) or a link to a dataset.
    pub async fn add_resource(
        &self,
        actor: &Principal,
        dataset: &str,
        fields: ResourceFields,
        source: ResourceSource,
    ) -> Result<Resource> {
        let d = self.for_write(actor, dataset).await?;
        let mut errors = ValidationErrors::default();
        check_fields(&fields, &mut errors);
        if let ResourceSource::Link { url } = &source {
            check_url(url, &mut errors);
        }
        errors.into_result()?;
        let now = ydx_storage::now();
        let position = d
            .resources
            .iter()
            .map(|r| r.position + 1)
            .max()
            .unwrap_or(0);
        let mut r = Resource {
            id: ydx_storage::new_id(),
            package_id: d.id.clone(),
            name: fields.name.trim().to_string(),
            description: fields.description,
            format: String::new(),
            mimetype: String::new(),
            url: String::new(),
            url_type: String::new(),
            size: None,
            hash: String::new(),
            position,
            period: fields.period.map(|p| p.trim().to_string()),
            version: 0,
            created: now.clone(),
            last_modified: now.clone(),
            table: None,
        };
        let upload = match source {
            ResourceSource::Link { url } => {
                r.format = table::format_of(Some(&fields.format), &url);
                r.url = url;
                None
            }
            ResourceSource::Upload { bytes, filename } => {
                let up = self.check_upload(&bytes, &filename, Some(&fields.format))?;
                if r.name.is_empty() {
                    r.name = up.filename.clone();
                }
                apply_upload(&mut r, &up, 1);
                Some(up)
            }
        };
        let mut tx = self.db.begin().await?;
        insert_resource(&mut tx, &r).await?;
        if let Some(up) = &upload {
            insert_version(&mut tx, &r, up, actor, None).await?;
        }
        self.after_resource_write(&mut tx, actor, &d, None, Some(&r), "resource.create", &now)
            .await?;
        commit(tx).await?;
        Ok(r)
    }

    /// Uploads a new version of a resource (CKAN's `resource_update` with a file). The old
    /// versions stay downloadable; for tables the change against the previous version is
    /// recorded. A link resource becomes an upload.
    pub async fn upload_version(
        &self,
        actor: &Principal,
        resource_id: &str,
        bytes: Vec<u8>,
        filename: &str,
        format: Option<&str>,
    ) -> Result<Resource> {
        let (d, before) = self.resource_for_write(actor, resource_id).await?;
        let up = self.check_upload(&bytes, filename, format)?;
        let now = ydx_storage::now();
        let mut tx = self.db.begin().await?;
        // Read the current version inside the transaction, so two concurrent uploads number
        // their versions one after the other.
        let current: Option<(i64, String, String)> = with_tx!(&mut tx, |c| {
            sqlx::query_as(
                "SELECT version, blob, format FROM resource_versions WHERE resource_id = $1 \
                 ORDER BY version DESC LIMIT 1",
            )
            .bind(&before.id)
            .fetch_optional(&mut *c)
            .await?
        });
        let next = current.as_ref().map_or(1, |(v, _, _)| v + 1);
        // The previous version is read as the format it was uploaded as, which may differ
        // from this one's (a CSV replaced by an XLSX still gets its rows compared).
        let change = match (&up.table, &current) {
            (Some(new_table), Some((_, old_blob, old_format))) => self
                .read_blob_table(old_format, old_blob)
                .ok()
                .map(|old| table::diff_tables(&old, new_table)),
            _ => None,
        };
        let mut after = Resource {
            last_modified: now.clone(),
            url: String::new(),
            ..before.clone()
        };
        apply_upload(&mut after, &up, next);
        update_resource(&mut tx, &after).await?;
        insert_version(&mut tx, &after, &up, actor, change.as_ref()).await?;
        self.after_resource_write(
            &mut tx,
            actor,
            &d,
            Some(&before),
            Some(&after),
            "resource.upload",
            &now,
        )
        .await?;
        commit(tx).await?;
        Ok(after)
    }

    /// Changes a resource's name, description, format, period or (for links) URL.
    pub async fn patch_resource(
        &self,
        actor: &Principal,
        resource_id: &str,
        patch: ResourcePatch,
    ) -> Result<Resource> {
        let (d, before) = self.resource_for_write(actor, resource_id).await?;
        let mut after = before.clone();
        if let Some(v) = patch.name {
            after.name = v.trim().to_string();
        }
        if let Some(v) = patch.description {
            after.description = v;
        }
        if let Some(v) = patch.format {
            after.format = v.trim().to_uppercase();
        }
        if let Some(v) = patch.period {
            after.period = v.map(|p| p.trim().to_string());
        }
        let mut errors = ValidationErrors::default();
        check_fields(
            &ResourceFields {
                name: after.name.clone(),
                description: String::new(),
                format: String::new(),
                period: after.period.clone(),
            },
            &mut errors,
        );
        if let Some(url) = patch.url {
            if before.url_type == "upload" {
                errors.add(
                    "url",
                    "upload_has_no_url",
                    "Upload a new version instead of a URL",
                );
            } else {
                check_url(&url, &mut errors);
                after.url = url;
            }
        }
        errors.into_result()?;
        let now = ydx_storage::now();
        after.last_modified = now.clone();
        let mut tx = self.db.begin().await?;
        update_resource(&mut tx, &after).await?;
        self.after_resource_write(
            &mut tx,
            actor,
            &d,
            Some(&before),
            Some(&after),
            "resource.update",
            &now,
        )
        .await?;
        commit(tx).await?;
        Ok(after)
    }

    /// CKAN's `resource_delete`. The resource disappears from its dataset; its versions stay
    /// in the database and the blob store (the audit log refers to them).
    pub async fn delete_resource(&self, actor: &Principal, resource_id: &str) -> Result<()> {
        let (d, before) = self.resource_for_write(actor, resource_id).await?;
        let now = ydx_storage::now();
        let mut tx = self.db.begin().await?;
        with_tx!(&mut tx, |c| {
            sqlx::query("UPDATE resources SET state = 'deleted', last_modified = $1 WHERE id = $2")
                .bind(&now)
                .bind(&before.id)
                .execute(&mut *c)
                .await?;
        });
        self.after_resource_write(
            &mut tx,
            actor,
            &d,
            Some(&before),
            None,
            "resource.delete",
            &now,
        )
        .await?;
        commit(tx).await
    }

    /// Touches the dataset, reindexes it with its resources as they now are, and audits.
    #[allow(clippy::too_many_arguments)]
    async fn after_resource_write(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        d: &Dataset,
        before: Option<&Resource>,
        after: Option<&Resource>,
        action: &str,
        now: &str,
    ) -> Result<()> {
        touch_dataset(tx, &d.id, now).await?;
        if let Some(current) = Catalog::load_in_tx(tx, &d.id).await? {
            self.reindex(tx, &current).await?;
        }
        let id = after.or(before).map(|r| r.id.clone()).unwrap_or_default();
        let before = before.map(serde_json::to_value).transpose()?;
        let after = after.map(serde_json::to_value).transpose()?;
        ydx_accounts::audit(
            tx,
            actor,
            Some(&d.owner_org),
            action,
            "resource",
            &id,
            before.as_ref(),
            after.as_ref(),
        )
        .await?;
        Ok(())
    }

    /// CKAN's `resource_show`: the resource and its dataset, if `viewer` may see the dataset.
    pub async fn resource(
        &self,
        viewer: Option<&Principal>,
        resource_id: &str,
    ) -> Result<(Dataset, Resource)> {
        let nf = || CatalogError::not_found("resource", resource_id);
        let dataset_id: Option<String> = with_db!(&self.db, |p| {
            sqlx::query_scalar(
                "SELECT dataset_id FROM resources WHERE id = $1 AND state = 'active'",
            )
            .bind(resource_id)
            .fetch_optional(p)
            .await?
        });
        let dataset_id = dataset_id.ok_or_else(nf)?;
        let d = self.show(viewer, &dataset_id).await.map_err(|_| nf())?;
        let r = d
            .resources
            .iter()
            .find(|r| r.id == resource_id)
            .cloned()
            .ok_or_else(nf)?;
        Ok((d, r))
    }

    async fn resource_for_write(
        &self,
        actor: &Principal,
        resource_id: &str,
    ) -> Result<(Dataset, Resource)> {
        let (d, r) = self.resource(Some(actor), resource_id).await?;
        if !actor.can_write(&d.owner_org) || d.state == DatasetState::Deleted {
            return Err(CatalogError::Forbidden(format!(
                "you cannot edit resources of {:?}",
                d.owner_org
            )));
        }
        Ok((d, r))
    }

    /// Every version of a resource, newest first (the history page).
    pub async fn resource_versions(
        &self,
        viewer: Option<&Principal>,
        resource_id: &str,
    ) -> Result<Vec<ResourceVersion>> {
        self.resource(viewer, resource_id).await?;
        let rows: Vec<VersionRow> = with_db!(&self.db, |p| {
            sqlx::query_as(
                "SELECT resource_id, version, blob, size, filename, format, created, created_by, change_json \
                 FROM resource_versions WHERE resource_id = $1 ORDER BY version DESC",
            )
            .bind(resource_id)
            .fetch_all(p)
            .await?
        });
        rows.into_iter().map(VersionRow::into_version).collect()
    }

    /// The bytes of one version (`None`: the current one), for downloads.
    pub async fn resource_bytes(
        &self,
        viewer: Option<&Principal>,
        resource_id: &str,
        version: Option<i64>,
    ) -> Result<(ResourceVersion, Vec<u8>)> {
        let versions = self.resource_versions(viewer, resource_id).await?;
        let v = match version {
            Some(n) => versions.into_iter().find(|v| v.version == n),
            None => versions.into_iter().next(),
        }
        .ok_or_else(|| CatalogError::not_found("resource version", resource_id))?;
        let bytes = self.blobs.get(&BlobId::parse(&v.blob)?)?;
        Ok((v, bytes))
    }

    /// Reads a stored blob as a table of `format` (the format its version was uploaded as).
    pub(crate) fn read_blob_table(&self, format: &str, blob: &str) -> Result<ParsedTable> {
        let bytes = self.blobs.get(&BlobId::parse(blob)?)?;
        table::read_tabular(format, &bytes)
    }

    /// The blob of a resource's current version and the format it was uploaded as, if it is
    /// an upload.
    pub(crate) async fn current_blob(&self, resource_id: &str) -> Result<Option<StoredBlob>> {
        let blob: Option<StoredBlob> = with_db!(&self.db, |p| {
            sqlx::query_as(
                "SELECT blob, format FROM resource_versions WHERE resource_id = $1 ORDER BY version DESC LIMIT 1",
            )
            .bind(resource_id)
            .fetch_optional(p)
            .await?
        });
        Ok(blob)
    }
}

/// A version's blob and the format it was uploaded (and is read) as.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct StoredBlob {
    pub blob: String,
    pub format: String,
}

#[derive(Debug, sqlx::FromRow)]
struct VersionRow {
    resource_id: String,
    version: i64,
    blob: String,
    size: i64,
    filename: String,
    format: String,
    created: String,
    created_by: Option<String>,
    change_json: Option<String>,
}

impl VersionRow {
    fn into_version(self) -> Result<ResourceVersion> {
        Ok(ResourceVersion {
            change: match &self.change_json {
                Some(j) => Some(serde_json::from_str(j)?),
                None => None,
            },
            resource_id: self.resource_id,
            version: self.version,
            blob: self.blob,
            size: self.size,
            filename: self.filename,
            format: self.format,
            created: self.created,
            created_by: self.created_by,
        })
    }
}

/// Keeps the last path component and drops control characters: the name is only displayed
/// and offered as the download name, never used as a path.
fn sanitize_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "file".to_string()
    } else {
        clean
    }
}

fn apply_upload(r: &mut Resource, up: &CheckedUpload, version: i64) {
    r.format = up.format.clone();
    r.mimetype = table::mimetype_of(&up.format).to_string();
    r.url_type = "upload".to_string();
    r.size = Some(up.size);
    r.hash = format!("sha256:{}", up.blob);
    r.version = version;
    r.table = up.table.as_ref().map(|t| t.info.clone());
}

async fn insert_resource(tx: &mut Tx, r: &Resource) -> Result<()> {
    let table_json = r.table.as_ref().map(serde_json::to_string).transpose()?;
    let sql = format!(
        "INSERT INTO resources ({RESOURCE_COLUMNS}) VALUES ({})",
        crate::store::placeholders(1, 16)
    );
    with_tx!(tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&r.id)
            .bind(&r.package_id)
            .bind(&r.name)
            .bind(&r.description)
            .bind(&r.format)
            .bind(&r.mimetype)
            .bind(&r.url)
            .bind(&r.url_type)
            .bind(r.size)
            .bind(&r.hash)
            .bind(r.position)
            .bind(&r.period)
            .bind(r.version)
            .bind(&r.created)
            .bind(&r.last_modified)
            .bind(&table_json)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

async fn update_resource(tx: &mut Tx, r: &Resource) -> Result<()> {
    let table_json = r.table.as_ref().map(serde_json::to_string).transpose()?;
    let sql = "UPDATE resources SET name = $2, description = $3, format = $4, mimetype = $5, \
        url = $6, url_type = $7, size = $8, hash = $9, period = $10, version = $11, \
        last_modified = $12, table_json = $13 WHERE id = $1";
    with_tx!(tx, |c| {
        sqlx::query(sql)
            .bind(&r.id)
            .bind(&r.name)
            .bind(&r.description)
            .bind(&r.format)
            .bind(&r.mimetype)
            .bind(&r.url)
            .bind(&r.url_type)
            .bind(r.size)
            .bind(&r.hash)
            .bind(&r.period)
            .bind(r.version)
            .bind(&r.last_modified)
            .bind(&table_json)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

async fn insert_version(
    tx: &mut Tx,
    r: &Resource,
    up: &CheckedUpload,
    actor: &Principal,
    change: Option<&TableChange>,
) -> Result<()> {
    let change_json = change.map(serde_json::to_string).transpose()?;
    let table_json = up
        .table
        .as_ref()
        .map(|t| serde_json::to_string(&t.info))
        .transpose()?;
    let sql = "INSERT INTO resource_versions (resource_id, version, blob, size, filename, format, \
        created, created_by, change_json, table_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    with_tx!(tx, |c| {
        sqlx::query(sql)
            .bind(&r.id)
            .bind(r.version)
            .bind(up.blob.as_str())
            .bind(up.size)
            .bind(&up.filename)
            .bind(&up.format)
            .bind(&r.last_modified)
            .bind(&actor.user.id)
            .bind(&change_json)
            .bind(&table_json)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}
