//! The catalog's storage interface: datasets, groups and tags on SQLite or PostgreSQL.
//!
//! The SQL is written once and runs on both backends through [`with_db!`]/[`with_tx!`]; only
//! the DDL differs (`migrations/`). Every write is one transaction holding the change, its
//! audit entry and the dataset's search terms, so a failure leaves nothing half-written and
//! search never disagrees with what `show` returns.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use ydx_accounts::Principal;
use ydx_storage::{BlobStore, Db, EngineMigrations, Migration, StorageError, Tx, with_db, with_tx};

use crate::datastore::TableCache;
use crate::error::{CatalogError, Result, ValidationErrors};
use crate::index;
use crate::model::*;
use crate::validate;

/// The catalog tables, per backend. Needs the accounts migrations first (`organizations`).
pub fn migrations() -> &'static EngineMigrations {
    static M: EngineMigrations = EngineMigrations {
        engine: "catalog",
        migrations: &[
            Migration {
                version: 1,
                name: "catalog",
                sqlite: include_str!("../migrations/0001_catalog.sqlite.sql"),
                postgres: include_str!("../migrations/0001_catalog.postgres.sql"),
            },
            Migration {
                version: 2,
                name: "search_facets",
                sqlite: include_str!("../migrations/0002_search_facets.sqlite.sql"),
                postgres: include_str!("../migrations/0002_search_facets.postgres.sql"),
            },
            Migration {
                version: 3,
                name: "catalog_changes",
                sqlite: include_str!("../migrations/0003_catalog_changes.sqlite.sql"),
                postgres: include_str!("../migrations/0003_catalog_changes.postgres.sql"),
            },
            Migration {
                version: 4,
                name: "harvest",
                sqlite: include_str!("../migrations/0004_harvest.sqlite.sql"),
                postgres: include_str!("../migrations/0004_harvest.postgres.sql"),
            },
            Migration {
                version: 5,
                name: "usage",
                sqlite: include_str!("../migrations/0005_usage.sqlite.sql"),
                postgres: include_str!("../migrations/0005_usage.postgres.sql"),
            },
            Migration {
                version: 6,
                name: "harvest_requests",
                sqlite: include_str!("../migrations/0006_harvest_requests.sqlite.sql"),
                postgres: include_str!("../migrations/0006_harvest_requests.postgres.sql"),
            },
        ],
    };
    &M
}

/// Limits an operator can set. Defaults are in [`CatalogLimits::default`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogLimits {
    /// Largest upload accepted, in bytes (default 100 MiB).
    pub max_upload_bytes: u64,
    /// Cells (rows × columns) the data-API table cache may hold before evicting the least
    /// recently used tables (default 20 million, roughly 1–2 GB at worst; a 100k×10 CSV is 1M).
    pub table_cache_cells: usize,
}

impl Default for CatalogLimits {
    fn default() -> Self {
        CatalogLimits {
            max_upload_bytes: 100 * 1024 * 1024,
            table_cache_cells: 20_000_000,
        }
    }
}

/// The catalog engine: a database, a blob store for uploads, and the table cache of the data
/// API. Cheap to clone (everything inside is shared).
#[derive(Debug, Clone)]
pub struct Catalog {
    pub(crate) db: Db,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) limits: CatalogLimits,
    pub(crate) tables: Arc<TableCache>,
    /// The in-process search index (crate::search_index), shared by clones.
    pub(crate) search_index: Arc<crate::search_index::SearchIndex>,
    /// Views and downloads counted since the last flush (crate::usage), shared by clones.
    pub(crate) usage: Arc<crate::usage::UsageCounter>,
    /// The groups, as [`Catalog::group_list`] last read them. Cleared by this process's
    /// writes; another process's show within [`GROUPS_FRESH`].
    pub(crate) groups: Arc<ydx_storage::Recent<Vec<Group>>>,
}

/// How long the groups read are reused.
pub const GROUPS_FRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// What a publisher sets on a dataset (create and full update). Missing JSON fields take
/// their defaults, as in CKAN.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatasetFields {
    pub name: String,
    pub title: String,
    pub notes: String,
    pub owner_org: String,
    pub private: bool,
    /// `Some(Draft)` keeps the dataset a draft; `None` or `Some(Active)` publishes it.
    pub state: Option<DatasetState>,
    /// Empty means "not specified"; otherwise one of [`LICENSES`].
    pub license_id: String,
    pub author: String,
    pub author_email: String,
    pub maintainer: String,
    pub maintainer_email: String,
    pub version: String,
    pub url: String,
    pub tags: Vec<String>,
    pub groups: Vec<String>,
    pub extras: Vec<(String, String)>,
    pub spatial: Vec<String>,
    pub temporal_start: Option<String>,
    pub temporal_end: Option<String>,
    pub frequency: Option<Frequency>,
    pub standard: Option<String>,
    pub series: bool,
}

/// A partial update (CKAN's `package_patch`): only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatasetPatch {
    pub name: Option<String>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub owner_org: Option<String>,
    pub private: Option<bool>,
    pub state: Option<DatasetState>,
    pub license_id: Option<String>,
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub maintainer: Option<String>,
    pub maintainer_email: Option<String>,
    pub version: Option<String>,
    pub url: Option<String>,
    pub tags: Option<Vec<String>>,
    pub groups: Option<Vec<String>>,
    pub extras: Option<Vec<(String, String)>>,
    pub spatial: Option<Vec<String>>,
    pub temporal_start: Option<Option<String>>,
    pub temporal_end: Option<Option<String>>,
    pub frequency: Option<Option<Frequency>>,
    pub standard: Option<Option<String>>,
    pub series: Option<bool>,
}

impl DatasetFields {
    /// The editable fields of an existing dataset (the base a patch applies to).
    pub fn of(d: &Dataset) -> DatasetFields {
        DatasetFields {
            name: d.name.clone(),
            title: d.title.clone(),
            notes: d.notes.clone(),
            owner_org: d.owner_org.clone(),
            private: d.private,
            state: Some(d.state),
            license_id: d.license_id.clone(),
            author: d.author.clone(),
            author_email: d.author_email.clone(),
            maintainer: d.maintainer.clone(),
            maintainer_email: d.maintainer_email.clone(),
            version: d.version.clone(),
            url: d.url.clone(),
            tags: d.tags.clone(),
            groups: d.groups.clone(),
            extras: d.extras.clone(),
            spatial: d.spatial.clone(),
            temporal_start: d.temporal_start.clone(),
            temporal_end: d.temporal_end.clone(),
            frequency: d.frequency,
            standard: d.standard.clone(),
            series: d.series,
        }
    }

    /// Applies `patch` over these fields.
    pub fn apply(mut self, patch: DatasetPatch) -> DatasetFields {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = patch.$f { self.$f = v; } )* };
        }
        set!(
            name,
            title,
            notes,
            owner_org,
            private,
            license_id,
            author,
            author_email,
            maintainer,
            maintainer_email,
            version,
            url,
            tags,
            groups,
            extras,
            spatial,
            temporal_start,
            temporal_end,
            frequency,
            standard,
            series
        );
        if let Some(s) = patch.state {
            self.state = Some(s);
        }
        self
    }

    /// Trims and deduplicates list fields, so `["防災", "防災 "]` is one tag.
    fn tidy(&mut self) {
        fn dedup(v: &mut Vec<String>) {
            let mut seen = std::collections::HashSet::new();
            v.retain_mut(|s| {
                *s = s.trim().to_string();
                !s.is_empty() && seen.insert(s.clone())
            });
        }
        self.name = self.name.trim().to_string();
        self.owner_org = self.owner_org.trim().to_string();
        dedup(&mut self.tags);
        dedup(&mut self.groups);
        dedup(&mut self.spatial);
        for v in [
            &mut self.temporal_start,
            &mut self.temporal_end,
            &mut self.standard,
        ] {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *v = None;
            }
        }
    }
}

// ---- rows --------------------------------------------------------------------------------

pub(crate) const DATASET_COLUMNS: &str = "id, name, title, notes, owner_org, state, private, \
    license_id, author, author_email, maintainer, maintainer_email, version, url, extras_json, \
    temporal_start, temporal_end, frequency, standard, series, metadata_created, \
    metadata_modified, creator_user_id";

pub(crate) const RESOURCE_COLUMNS: &str = "id, dataset_id, name, description, format, mimetype, \
    url, url_type, size, hash, position, period, version, created, last_modified, table_json";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DatasetRow {
    id: String,
    name: String,
    title: String,
    notes: String,
    owner_org: String,
    state: String,
    private: i64,
    license_id: String,
    author: String,
    author_email: String,
    maintainer: String,
    maintainer_email: String,
    version: String,
    url: String,
    extras_json: String,
    temporal_start: Option<String>,
    temporal_end: Option<String>,
    frequency: Option<String>,
    standard: Option<String>,
    series: i64,
    metadata_created: String,
    metadata_modified: String,
    creator_user_id: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ResourceRow {
    pub id: String,
    pub dataset_id: String,
    pub name: String,
    pub description: String,
    pub format: String,
    pub mimetype: String,
    pub url: String,
    pub url_type: String,
    pub size: Option<i64>,
    pub hash: String,
    pub position: i64,
    pub period: Option<String>,
    pub version: i64,
    pub created: String,
    pub last_modified: String,
    pub table_json: Option<String>,
}

impl ResourceRow {
    pub(crate) fn into_resource(self) -> Result<Resource> {
        let table = match &self.table_json {
            Some(j) => Some(serde_json::from_str(j)?),
            None => None,
        };
        Ok(Resource {
            id: self.id,
            package_id: self.dataset_id,
            name: self.name,
            description: self.description,
            format: self.format,
            mimetype: self.mimetype,
            url: self.url,
            url_type: self.url_type,
            size: self.size,
            hash: self.hash,
            position: self.position,
            period: self.period,
            version: self.version,
            created: self.created,
            last_modified: self.last_modified,
            table,
        })
    }
}

/// The rows of a set of datasets, fetched with one query per table (never one per dataset).
#[derive(Debug, Default)]
pub(crate) struct Bundle {
    pub datasets: Vec<DatasetRow>,
    pub tags: Vec<(String, String)>,
    pub groups: Vec<(String, String)>,
    pub spatial: Vec<(String, String)>,
    pub resources: Vec<ResourceRow>,
}

/// `$from, $from+1, …` for an `IN (…)` list of `n` values.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    let mut s = String::with_capacity(n * 5);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('$');
        s.push_str(&(from + i).to_string());
    }
    s
}

/// Fetches a [`Bundle`] for `$ids` through `$ex` (a pool, or `&mut *conn` inside a
/// transaction). A macro because the same code must run on two executor types per backend.
macro_rules! fetch_bundle {
    ($ex:expr, $ids:expr) => {{
        let ids: &[String] = $ids;
        let mut out = $crate::store::Bundle::default();
        if !ids.is_empty() {
            let ph = $crate::store::placeholders(1, ids.len());
            let sql = format!(
                "SELECT {} FROM datasets WHERE id IN ({ph})",
                $crate::store::DATASET_COLUMNS
            );
            let mut q = sqlx::query_as::<_, $crate::store::DatasetRow>(sqlx::AssertSqlSafe(sql));
            for id in ids {
                q = q.bind(id.clone());
            }
            out.datasets = q.fetch_all($ex).await?;
            for (table, col, target) in [
                ("dataset_tags", "tag", 0),
                ("dataset_groups", "group_name", 1),
                ("dataset_spatial", "code", 2),
            ] {
                let sql = format!(
                    "SELECT dataset_id, {col} FROM {table} WHERE dataset_id IN ({ph}) \
                     ORDER BY dataset_id, position"
                );
                let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
                for id in ids {
                    q = q.bind(id.clone());
                }
                let rows = q.fetch_all($ex).await?;
                match target {
                    0 => out.tags = rows,
                    1 => out.groups = rows,
                    _ => out.spatial = rows,
                }
            }
            let sql = format!(
                "SELECT {} FROM resources WHERE dataset_id IN ({ph}) AND state = 'active' \
                 ORDER BY dataset_id, position",
                $crate::store::RESOURCE_COLUMNS
            );
            let mut q = sqlx::query_as::<_, $crate::store::ResourceRow>(sqlx::AssertSqlSafe(sql));
            for id in ids {
                q = q.bind(id.clone());
            }
            out.resources = q.fetch_all($ex).await?;
        }
        out
    }};
}

/// Builds datasets from a bundle, in the order of `ids` (missing ids are skipped).
pub(crate) fn assemble(bundle: Bundle, ids: &[String]) -> Result<Vec<Dataset>> {
    let mut by_id: HashMap<String, Dataset> = HashMap::with_capacity(bundle.datasets.len());
    for r in bundle.datasets {
        let extras: Vec<(String, String)> = serde_json::from_str(&r.extras_json)?;
        let d = Dataset {
            state: DatasetState::parse(&r.state)
                .ok_or_else(|| CatalogError::Corrupt(format!("dataset state {:?}", r.state)))?,
            private: r.private != 0,
            frequency: r.frequency.as_deref().and_then(Frequency::parse),
            series: r.series != 0,
            extras,
            id: r.id,
            name: r.name,
            title: r.title,
            notes: r.notes,
            owner_org: r.owner_org,
            license_id: r.license_id,
            author: r.author,
            author_email: r.author_email,
            maintainer: r.maintainer,
            maintainer_email: r.maintainer_email,
            version: r.version,
            url: r.url,
            tags: Vec::new(),
            groups: Vec::new(),
            spatial: Vec::new(),
            temporal_start: r.temporal_start,
            temporal_end: r.temporal_end,
            standard: r.standard,
            metadata_created: r.metadata_created,
            metadata_modified: r.metadata_modified,
            creator_user_id: r.creator_user_id,
            resources: Vec::new(),
        };
        by_id.insert(d.id.clone(), d);
    }
    for (id, tag) in bundle.tags {
        if let Some(d) = by_id.get_mut(&id) {
            d.tags.push(tag);
        }
    }
    for (id, g) in bundle.groups {
        if let Some(d) = by_id.get_mut(&id) {
            d.groups.push(g);
        }
    }
    for (id, c) in bundle.spatial {
        if let Some(d) = by_id.get_mut(&id) {
            d.spatial.push(c);
        }
    }
    for r in bundle.resources {
        if let Some(d) = by_id.get_mut(&r.dataset_id) {
            d.resources.push(r.into_resource()?);
        }
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Whether `viewer` may see `d` at all: active public datasets for everyone, drafts and
/// private ones for readers of the owning organisation, deleted ones for its writers.
pub fn can_see(viewer: Option<&Principal>, d: &Dataset) -> bool {
    match d.state {
        DatasetState::Deleted => viewer.is_some_and(|p| p.can_write(&d.owner_org)),
        DatasetState::Draft => viewer.is_some_and(|p| p.can_read_private(&d.owner_org)),
        DatasetState::Active => {
            !d.private || viewer.is_some_and(|p| p.can_read_private(&d.owner_org))
        }
    }
}

fn to_json(d: &Dataset) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(d)?)
}

impl Catalog {
    pub fn new(db: Db, blobs: Arc<dyn BlobStore>, limits: CatalogLimits) -> Catalog {
        let tables = Arc::new(TableCache::new(limits.table_cache_cells));
        Catalog {
            db,
            blobs,
            limits,
            tables,
            search_index: Arc::default(),
            usage: Arc::default(),
            groups: Arc::new(ydx_storage::Recent::new(GROUPS_FRESH)),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn limits(&self) -> &CatalogLimits {
        &self.limits
    }

    /// Loads datasets by id, in the order given, with tags, groups, spatial and resources.
    /// No visibility check: callers filter.
    pub(crate) async fn load(&self, ids: &[String]) -> Result<Vec<Dataset>> {
        let mut out = Vec::with_capacity(ids.len());
        // Chunks keep the IN lists well under both backends' parameter limits.
        for chunk in ids.chunks(1000) {
            let bundle = with_db!(&self.db, |p| fetch_bundle!(p, chunk));
            out.extend(assemble(bundle, chunk)?);
        }
        Ok(out)
    }

    pub(crate) async fn load_in_tx(tx: &mut Tx, id: &str) -> Result<Option<Dataset>> {
        let ids = [id.to_string()];
        let bundle = with_tx!(tx, |c| fetch_bundle!(&mut *c, &ids));
        Ok(assemble(bundle, &ids)?.pop())
    }

    /// The id of the dataset with this id or name.
    pub(crate) async fn resolve_id(&self, id_or_name: &str) -> Result<Option<String>> {
        let sql = "SELECT id FROM datasets WHERE id = $1 OR name = $2";
        let id: Option<String> = with_db!(&self.db, |p| {
            sqlx::query_scalar(sql)
                .bind(id_or_name)
                .bind(id_or_name)
                .fetch_optional(p)
                .await?
        });
        Ok(id)
    }

    /// CKAN's `package_show`: a dataset by id or name, if `viewer` may see it.
    pub async fn show(&self, viewer: Option<&Principal>, id_or_name: &str) -> Result<Dataset> {
        let nf = || CatalogError::not_found("dataset", id_or_name);
        let id = self.resolve_id(id_or_name).await?.ok_or_else(nf)?;
        let d = self.load(&[id]).await?.pop().ok_or_else(nf)?;
        if can_see(viewer, &d) {
            Ok(d)
        } else {
            Err(nf())
        }
    }

    /// Database checks of `fields` (organisation, groups, unique name) added to `errors`.
    async fn check_references(
        &self,
        fields: &DatasetFields,
        own_id: Option<&str>,
        errors: &mut ValidationErrors,
    ) -> Result<()> {
        if !fields.owner_org.is_empty() && self.org_name(&fields.owner_org).await?.is_none() {
            errors.add(
                "owner_org",
                "unknown_organization",
                format!("Organization {:?} does not exist", fields.owner_org),
            );
        }
        if !fields.groups.is_empty() {
            let known: Vec<String> = self
                .group_list()
                .await?
                .into_iter()
                .map(|g| g.name)
                .collect();
            for g in &fields.groups {
                if !known.contains(g) {
                    errors.add(
                        "groups",
                        "unknown_group",
                        format!("Group {g:?} does not exist"),
                    );
                }
            }
        }
        if validate::valid_name(&fields.name)
            && let Some(existing) = self.resolve_id(&fields.name).await?
            && Some(existing.as_str()) != own_id
        {
            errors.add("name", "name_taken", "That URL is already in use.");
        }
        Ok(())
    }

    /// Japanese and English names of an organisation, or `None` if it does not exist.
    pub async fn org_name(&self, org_id: &str) -> Result<Option<(String, String)>> {
        let sql = "SELECT name_ja, name_en FROM organizations WHERE id = $1";
        let row: Option<(String, String)> = with_db!(&self.db, |p| {
            sqlx::query_as(sql).bind(org_id).fetch_optional(p).await?
        });
        Ok(row)
    }

    async fn validated(
        &self,
        actor: &Principal,
        mut fields: DatasetFields,
        own_id: Option<&str>,
    ) -> Result<DatasetFields> {
        fields.tidy();
        let mut errors = ValidationErrors::default();
        validate::check_fields(&fields, &mut errors);
        self.check_references(&fields, own_id, &mut errors).await?;
        if !errors.has("owner_org", "unknown_organization")
            && !fields.owner_org.is_empty()
            && !actor.can_write(&fields.owner_org)
        {
            return Err(CatalogError::Forbidden(format!(
                "you cannot publish for organization {:?}",
                fields.owner_org
            )));
        }
        errors.into_result()?;
        Ok(fields)
    }

    /// CKAN's `package_create`. Returns the dataset as stored.
    pub async fn create_dataset(
        &self,
        actor: &Principal,
        fields: DatasetFields,
    ) -> Result<Dataset> {
        let f = self.validated(actor, fields, None).await?;
        let now = ydx_storage::now();
        let d = Dataset {
            id: ydx_storage::new_id(),
            state: f.state.unwrap_or(DatasetState::Active),
            metadata_created: now.clone(),
            metadata_modified: now,
            creator_user_id: Some(actor.user.id.clone()),
            resources: Vec::new(),
            ..dataset_from_fields(f)
        };
        let mut tx = self.db.begin().await?;
        insert_dataset_row(&mut tx, &d).await?;
        write_children(&mut tx, &d).await?;
        self.reindex(&mut tx, &d).await?;
        ydx_accounts::audit(
            &mut tx,
            actor,
            Some(&d.owner_org),
            "dataset.create",
            "dataset",
            &d.id,
            None,
            Some(&to_json(&d)?),
        )
        .await?;
        commit(tx).await?;
        Ok(d)
    }

    /// Loads a dataset for a write by `actor`: it must exist and be writable by them.
    pub(crate) async fn for_write(&self, actor: &Principal, id_or_name: &str) -> Result<Dataset> {
        let d = self.show(Some(actor), id_or_name).await?;
        if !actor.can_write(&d.owner_org) {
            return Err(CatalogError::Forbidden(format!(
                "you cannot edit datasets of {:?}",
                d.owner_org
            )));
        }
        Ok(d)
    }

    /// CKAN's `package_update`: replaces every editable field (resources are kept; they are
    /// changed through the resource functions).
    pub async fn update_dataset(
        &self,
        actor: &Principal,
        id_or_name: &str,
        fields: DatasetFields,
    ) -> Result<Dataset> {
        let before = self.for_write(actor, id_or_name).await?;
        if before.state == DatasetState::Deleted {
            return Err(CatalogError::Forbidden(
                "a deleted dataset must be restored before it is edited".into(),
            ));
        }
        let f = self.validated(actor, fields, Some(&before.id)).await?;
        let after = Dataset {
            id: before.id.clone(),
            state: f.state.unwrap_or(DatasetState::Active),
            metadata_created: before.metadata_created.clone(),
            metadata_modified: ydx_storage::now(),
            creator_user_id: before.creator_user_id.clone(),
            resources: before.resources.clone(),
            ..dataset_from_fields(f)
        };
        self.write_update(actor, &before, &after, "dataset.update")
            .await?;
        Ok(after)
    }

    /// CKAN's `package_patch`: changes only the fields given.
    pub async fn patch_dataset(
        &self,
        actor: &Principal,
        id_or_name: &str,
        patch: DatasetPatch,
    ) -> Result<Dataset> {
        let before = self.for_write(actor, id_or_name).await?;
        let fields = DatasetFields::of(&before).apply(patch);
        self.update_dataset(actor, &before.id, fields).await
    }

    async fn write_update(
        &self,
        actor: &Principal,
        before: &Dataset,
        after: &Dataset,
        action: &str,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        self.write_update_in(&mut tx, actor, before, after, action)
            .await?;
        commit(tx).await
    }

    /// [`Catalog::write_update`] inside a transaction the caller commits.
    async fn write_update_in(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        before: &Dataset,
        after: &Dataset,
        action: &str,
    ) -> Result<()> {
        update_dataset_row(tx, after).await?;
        write_children(tx, after).await?;
        self.reindex(tx, after).await?;
        ydx_accounts::audit(
            tx,
            actor,
            Some(&after.owner_org),
            action,
            "dataset",
            &after.id,
            Some(&to_json(before)?),
            Some(&to_json(after)?),
        )
        .await?;
        Ok(())
    }

    /// CKAN's `package_delete`: marks the dataset deleted (hidden from everyone but its
    /// organisation's writers); [`Catalog::undelete_dataset`] brings it back.
    pub async fn delete_dataset(&self, actor: &Principal, id_or_name: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        self.delete_dataset_in(&mut tx, actor, id_or_name).await?;
        commit(tx).await
    }

    /// [`Catalog::delete_dataset`] inside a transaction the caller commits (so that a
    /// dataset is deleted together with other writes, or not at all).
    pub(crate) async fn delete_dataset_in(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        id_or_name: &str,
    ) -> Result<()> {
        let before = self.for_write(actor, id_or_name).await?;
        if before.state == DatasetState::Deleted {
            return Ok(());
        }
        let after = Dataset {
            state: DatasetState::Deleted,
            metadata_modified: ydx_storage::now(),
            ..before.clone()
        };
        self.write_update_in(tx, actor, &before, &after, "dataset.delete")
            .await
    }

    /// Restores a deleted dataset as it was (active, or draft if it was never published is
    /// not tracked: it comes back active and private stays as it was). Admins of the owning
    /// organisation (or prefecture admins) only.
    pub async fn undelete_dataset(&self, actor: &Principal, id_or_name: &str) -> Result<Dataset> {
        let before = self.for_write(actor, id_or_name).await?;
        if !actor.can_admin(&before.owner_org) {
            return Err(CatalogError::Forbidden(
                "only an administrator can restore a deleted dataset".into(),
            ));
        }
        if before.state != DatasetState::Deleted {
            return Ok(before);
        }
        let after = Dataset {
            state: DatasetState::Active,
            metadata_modified: ydx_storage::now(),
            ..before.clone()
        };
        self.write_update(actor, &before, &after, "dataset.undelete")
            .await?;
        Ok(after)
    }

    /// Recomputes and stores the dataset's search terms inside the write's transaction.
    pub(crate) async fn reindex(&self, tx: &mut Tx, d: &Dataset) -> Result<()> {
        let (org_ja, org_en) = self.org_name(&d.owner_org).await?.unwrap_or_default();
        let terms = index::dataset_terms(d, &[&org_ja, &org_en]);
        index::write_terms(tx, &d.id, &terms).await?;
        index::write_facets(tx, d).await?;
        let seq = index::log_change(tx, &d.id).await?;
        self.search_index.wrote(seq);
        Ok(())
    }

    // ---- groups and tags ---------------------------------------------------------------

    /// Creates a group (theme). Prefecture admins only: groups cut across organisations.
    pub async fn create_group(&self, actor: &Principal, group: &Group) -> Result<Group> {
        if !actor.is_prefecture_admin() {
            return Err(CatalogError::Forbidden(
                "only prefecture administrators manage groups".into(),
            ));
        }
        let mut errors = ValidationErrors::default();
        if !validate::valid_name(&group.name) {
            errors.add(
                "name",
                "invalid_name",
                "Must be 2-100 characters of lowercase a-z, 0-9, - and _",
            );
        }
        if group.title_ja.trim().is_empty() {
            errors.add("title_ja", "required", "Missing value");
        }
        if self.group(&group.name).await?.is_some() {
            errors.add("name", "name_taken", "That group already exists");
        }
        errors.into_result()?;
        let mut tx = self.db.begin().await?;
        let sql = "INSERT INTO catalog_groups (name, title_ja, title_en, description, created) \
                   VALUES ($1, $2, $3, $4, $5)";
        with_tx!(&mut tx, |c| {
            sqlx::query(sql)
                .bind(&group.name)
                .bind(&group.title_ja)
                .bind(&group.title_en)
                .bind(&group.description)
                .bind(ydx_storage::now())
                .execute(&mut *c)
                .await?;
        });
        ydx_accounts::audit(
            &mut tx,
            actor,
            None,
            "group.create",
            "group",
            &group.name,
            None,
            Some(&serde_json::to_value(group)?),
        )
        .await?;
        commit(tx).await?;
        self.groups.clear();
        Ok(group.clone())
    }

    pub async fn group(&self, name: &str) -> Result<Option<Group>> {
        let sql =
            "SELECT name, title_ja, title_en, description FROM catalog_groups WHERE name = $1";
        let row: Option<(String, String, String, String)> = with_db!(&self.db, |p| {
            sqlx::query_as(sql).bind(name).fetch_optional(p).await?
        });
        Ok(row.map(|(name, title_ja, title_en, description)| Group {
            name,
            title_ja,
            title_en,
            description,
        }))
    }

    /// Every group, by name. Read at most once per [`GROUPS_FRESH`] (and after this process
    /// adds one).
    pub async fn group_list(&self) -> Result<Vec<Group>> {
        Ok(self.shared_groups().await?.as_ref().clone())
    }

    /// [`Catalog::group_list`] shared rather than copied (for callers that only look some up).
    pub async fn shared_groups(&self) -> Result<Arc<Vec<Group>>> {
        self.groups.get(|| self.read_groups()).await
    }

    async fn read_groups(&self) -> Result<Vec<Group>> {
        let sql = "SELECT name, title_ja, title_en, description FROM catalog_groups ORDER BY name";
        let rows: Vec<(String, String, String, String)> =
            with_db!(&self.db, |p| sqlx::query_as(sql).fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(name, title_ja, title_en, description)| Group {
                name,
                title_ja,
                title_en,
                description,
            })
            .collect())
    }

    /// CKAN's `tag_list`: tags of public active datasets, optionally those containing
    /// `query` (normalised, so ＡＥＤ finds AED), by name.
    pub async fn tag_list(&self, query: Option<&str>) -> Result<Vec<String>> {
        Ok(self
            .tag_counts()
            .await?
            .into_iter()
            .map(|(t, _)| t)
            .filter(|t| match query {
                Some(q) if !q.is_empty() => {
                    ydx_text::normalize(t).contains(&ydx_text::normalize(q))
                }
                _ => true,
            })
            .collect())
    }

    /// Public active datasets per tag, by tag.
    pub async fn tag_counts(&self) -> Result<Vec<(String, i64)>> {
        self.public_counts("SELECT t.tag, COUNT(*) FROM dataset_tags t JOIN datasets d ON d.id = t.dataset_id WHERE d.state = 'active' AND d.private = 0 GROUP BY t.tag ORDER BY t.tag").await
    }

    /// Public active datasets per organisation id, by id (for organisation lists).
    pub async fn organization_counts(&self) -> Result<Vec<(String, i64)>> {
        self.public_counts("SELECT d.owner_org, COUNT(*) FROM datasets d WHERE d.state = 'active' AND d.private = 0 GROUP BY d.owner_org ORDER BY d.owner_org").await
    }

    /// Public active datasets per group name, by name.
    pub async fn group_counts(&self) -> Result<Vec<(String, i64)>> {
        self.public_counts("SELECT g.group_name, COUNT(*) FROM dataset_groups g JOIN datasets d ON d.id = g.dataset_id WHERE d.state = 'active' AND d.private = 0 GROUP BY g.group_name ORDER BY g.group_name").await
    }

    async fn public_counts(&self, sql: &'static str) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> =
            with_db!(&self.db, |p| sqlx::query_as(sql).fetch_all(p).await?);
        Ok(rows)
    }

    /// Deleted datasets `actor` may restore or look at (their organisations' writers; every
    /// organisation's for a prefecture admin), most recently deleted first, at most `limit`.
    /// Search never returns deleted datasets, so the publisher's list asks here.
    pub async fn deleted_datasets(&self, actor: &Principal, limit: i64) -> Result<Vec<Dataset>> {
        let sql = "SELECT id FROM datasets WHERE state = 'deleted' \
                   ORDER BY metadata_modified DESC LIMIT $1";
        let ids: Vec<String> = with_db!(&self.db, |p| {
            sqlx::query_scalar(sql).bind(2000_i64).fetch_all(p).await?
        });
        Ok(self
            .load(&ids)
            .await?
            .into_iter()
            .filter(|d| actor.can_write(&d.owner_org))
            .take(usize::try_from(limit).unwrap_or(0))
            .collect())
    }

    /// CKAN's `package_list`: names of public active datasets, by name.
    pub async fn package_list(&self, limit: Option<i64>, offset: i64) -> Result<Vec<String>> {
        let sql = "SELECT name FROM datasets WHERE state = 'active' AND private = 0 \
                   ORDER BY name LIMIT $1 OFFSET $2";
        let names: Vec<String> = with_db!(&self.db, |p| {
            sqlx::query_scalar(sql)
                .bind(limit.unwrap_or(i64::MAX).max(0))
                .bind(offset.max(0))
                .fetch_all(p)
                .await?
        });
        Ok(names)
    }
}

pub(crate) async fn commit(tx: Tx) -> Result<()> {
    tx.commit().await.map_err(CatalogError::from)
}

fn dataset_from_fields(f: DatasetFields) -> Dataset {
    Dataset {
        id: String::new(),
        name: f.name,
        title: f.title.trim().to_string(),
        notes: f.notes,
        owner_org: f.owner_org,
        state: DatasetState::Active,
        private: f.private,
        license_id: f.license_id,
        author: f.author,
        author_email: f.author_email,
        maintainer: f.maintainer,
        maintainer_email: f.maintainer_email,
        version: f.version,
        url: f.url,
        tags: f.tags,
        groups: f.groups,
        extras: f.extras,
        spatial: f.spatial,
        temporal_start: f.temporal_start,
        temporal_end: f.temporal_end,
        frequency: f.frequency,
        standard: f.standard,
        series: f.series,
        metadata_created: String::new(),
        metadata_modified: String::new(),
        creator_user_id: None,
        resources: Vec::new(),
    }
}

/// Maps a unique-name race (two creates with one name) to the validation error a user sees.
fn name_conflict(e: sqlx::Error) -> CatalogError {
    match StorageError::from(e) {
        StorageError::Conflict(_) => {
            let mut v = ValidationErrors::default();
            v.add("name", "name_taken", "That URL is already in use.");
            CatalogError::Validation(v)
        }
        other => other.into(),
    }
}

async fn insert_dataset_row(tx: &mut Tx, d: &Dataset) -> Result<()> {
    let sql = format!(
        "INSERT INTO datasets ({DATASET_COLUMNS}) VALUES ({})",
        placeholders(1, 23)
    );
    bind_dataset(tx, sql, d).await
}

async fn update_dataset_row(tx: &mut Tx, d: &Dataset) -> Result<()> {
    let sql = "UPDATE datasets SET name = $2, title = $3, notes = $4, owner_org = $5, \
        state = $6, private = $7, license_id = $8, author = $9, author_email = $10, \
        maintainer = $11, maintainer_email = $12, version = $13, url = $14, extras_json = $15, \
        temporal_start = $16, temporal_end = $17, frequency = $18, standard = $19, series = $20, \
        metadata_created = $21, metadata_modified = $22, creator_user_id = $23 WHERE id = $1"
        .to_string();
    bind_dataset(tx, sql, d).await
}

/// Runs `sql` with the dataset's 23 columns bound as `$1…$23` in [`DATASET_COLUMNS`] order.
async fn bind_dataset(tx: &mut Tx, sql: String, d: &Dataset) -> Result<()> {
    let extras = serde_json::to_string(&d.extras)?;
    with_tx!(tx, |c| {
        sqlx::query(AssertSqlSafe(sql))
            .bind(&d.id)
            .bind(&d.name)
            .bind(&d.title)
            .bind(&d.notes)
            .bind(&d.owner_org)
            .bind(d.state.as_str())
            .bind(i64::from(d.private))
            .bind(&d.license_id)
            .bind(&d.author)
            .bind(&d.author_email)
            .bind(&d.maintainer)
            .bind(&d.maintainer_email)
            .bind(&d.version)
            .bind(&d.url)
            .bind(&extras)
            .bind(&d.temporal_start)
            .bind(&d.temporal_end)
            .bind(d.frequency.map(|f| f.as_str()))
            .bind(&d.standard)
            .bind(i64::from(d.series))
            .bind(&d.metadata_created)
            .bind(&d.metadata_modified)
            .bind(&d.creator_user_id)
            .execute(&mut *c)
            .await
            .map_err(name_conflict)?;
    });
    Ok(())
}

/// Replaces the dataset's tags, groups and municipalities.
async fn write_children(tx: &mut Tx, d: &Dataset) -> Result<()> {
    for (table, col, values) in [
        ("dataset_tags", "tag", &d.tags),
        ("dataset_groups", "group_name", &d.groups),
        ("dataset_spatial", "code", &d.spatial),
    ] {
        let del = format!("DELETE FROM {table} WHERE dataset_id = $1");
        let ins = format!("INSERT INTO {table} (dataset_id, {col}, position) VALUES ($1, $2, $3)");
        with_tx!(tx, |c| {
            sqlx::query(AssertSqlSafe(del))
                .bind(&d.id)
                .execute(&mut *c)
                .await?;
            for (i, v) in values.iter().enumerate() {
                sqlx::query(AssertSqlSafe(ins.clone()))
                    .bind(&d.id)
                    .bind(v)
                    .bind(i as i64)
                    .execute(&mut *c)
                    .await?;
            }
        });
    }
    Ok(())
}

/// Marks the dataset modified now (a resource changed) inside the write's transaction.
pub(crate) async fn touch_dataset(tx: &mut Tx, id: &str, now: &str) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query("UPDATE datasets SET metadata_modified = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}
