//! Harvest: importing the datasets of another CKAN catalog (the prefecture's current CKAN
//! site, a neighbouring prefecture's portal, another ydx) through its Action API.
//!
//! A [`HarvestSource`] names the remote catalog, an optional `fq` filter on it, the local
//! organisation that owns what is harvested, and how often to run. [`run`] lists the source
//! with `package_search` (through a [`CkanClient`], so this crate has no HTTP stack), maps
//! each remote dataset to a local one and writes it through the ordinary [`Catalog`] API, so
//! every change is validated, indexed and audited like a publisher's, under the account of
//! the admin who configured the source.
//!
//! Runs are idempotent: each remote dataset's normalised JSON is hashed, and a dataset whose
//! hash has not changed since the last run is not written at all (no audit entry, no new
//! `metadata_modified`). A changed one is updated, a new one added, one that left the source
//! is deleted (softly: an admin can restore it, and it comes back by itself if it reappears
//! on the source). A dataset that cannot be written is reported as failed with the reason and
//! the run goes on. Each run's report is stored ([`Catalog::harvest_runs`]) and returned.
//!
//! Runs happen in the server process (its scheduler runs the due sources every minute) or
//! from `ydx harvest run`. The staff pages cannot fetch from other sites: "run now" there
//! records a request ([`Catalog::request_harvest_run`]) that makes the source due at the
//! scheduler's next tick, paused or not.
//!
//! A source's name, URL, filter and schedule can be changed
//! ([`Catalog::update_harvest_source`]); its id and target organisation cannot (the
//! datasets it made belong to that organisation). Deleting a source
//! ([`Catalog::delete_harvest_source`]) keeps its datasets as ordinary datasets of the
//! organisation or deletes them (softly, like a publisher's delete), and removes the
//! source's run history and bookkeeping with it.
//!
//! Resources become links to the remote URLs; no file is downloaded. A remote name already
//! used here by a dataset that is not this source's becomes `<source-id>-<name>`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ydx_accounts::{Membership, OrgKind, Principal, Role, User, UserKind, Via};
use ydx_storage::{BlobId, with_db};

use crate::error::{CatalogError, Result, ValidationErrors};
use crate::model::*;
use crate::resources::{ResourceFields, ResourcePatch, ResourceSource};
use crate::store::{Catalog, DatasetFields, commit};
use crate::table;
use crate::validate;

/// Datasets asked for per `package_search` page.
pub const PAGE_ROWS: usize = 100;
/// The sort every page is asked with, so that paging is stable.
pub const PAGE_SORT: &str = "name asc";
/// Changes when the mapping does, so every harvested dataset is rewritten once after an
/// upgrade that maps differently.
const MAPPING_VERSION: &str = "ydx-harvest-1";
/// A run's lock is refreshed as it goes; one not refreshed for this long was left by a
/// process that died, and the next run takes it over.
const LOCK_STALE_MINUTES: i64 = 15;
/// At most this many pages are read from one source (10 million datasets at 100 a page).
const MAX_PAGES: usize = 100_000;

/// The extras every harvested dataset carries (the rest of its extras are the remote ones).
pub const EXTRA_SOURCE: &str = "harvest_source";
pub const EXTRA_URL: &str = "harvest_url";
pub const EXTRA_REMOTE_ID: &str = "harvest_remote_id";
pub const EXTRA_REMOTE_MODIFIED: &str = "harvest_metadata_modified";

// ---- the source side --------------------------------------------------------------------

/// One page of CKAN's `package_search`, as asked of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// CKAN's `fq` (the source's filter), if any.
    pub fq: Option<String>,
    pub start: usize,
    pub rows: usize,
    /// CKAN's `sort`: always [`PAGE_SORT`].
    pub sort: &'static str,
}

/// What a `package_search` page answered: the total `count` and the datasets of this page,
/// as CKAN's package dictionaries (resources included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPage {
    pub count: usize,
    pub results: Vec<Value>,
}

/// Reads a CKAN catalog. The binary implements it over HTTP; tests implement it in memory.
/// An error is a message for the run's report (the source is unreachable, answered an error,
/// or sent something that is not CKAN's shape).
pub trait CkanClient: Send + Sync {
    fn package_search(
        &self,
        page: &PageRequest,
    ) -> impl Future<Output = std::result::Result<SearchPage, String>> + Send;
}

// ---- sources, objects, runs -------------------------------------------------------------

/// A catalog harvested on a schedule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HarvestSource {
    /// 2–40 of `a-z0-9-_`; also the prefix of renamed datasets.
    pub id: String,
    pub name: String,
    /// The CKAN site's base URL (the Action API is at `{url}/api/3/action/…`), no trailing
    /// slash.
    pub url: String,
    /// The local organisation that owns the harvested datasets.
    pub target_org: String,
    /// A `package_search` `fq` on the source (e.g. `organization:hagi-city`), if any.
    pub filter: Option<String>,
    /// Run every this many minutes (at least 1) while enabled.
    pub schedule_minutes: i64,
    pub enabled: bool,
    /// The user who configured the source; the harvester writes as them.
    pub created_by: String,
    pub created: String,
}

/// What an admin gives to add a source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewHarvestSource {
    pub id: String,
    pub name: String,
    pub url: String,
    pub target_org: String,
    pub filter: Option<String>,
    pub schedule_minutes: i64,
    pub enabled: bool,
}

/// What an admin changes of a source: each field given is set, the others are kept. The id
/// and the target organisation cannot be changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HarvestSourceChanges {
    pub name: Option<String>,
    pub url: Option<String>,
    /// `Some(None)` (or an empty filter) removes the filter.
    pub filter: Option<Option<String>>,
    pub schedule_minutes: Option<i64>,
}

/// What becomes of the datasets a source harvested when the source is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HarvestedDatasets {
    /// They stay as ordinary datasets of the organisation, no longer updated by a harvest.
    Keep,
    /// They are deleted like a publisher deletes a dataset: hidden, and an administrator
    /// can restore them.
    Remove,
}

impl HarvestedDatasets {
    /// `keep` or `remove`.
    pub fn parse(s: &str) -> Option<HarvestedDatasets> {
        match s {
            "keep" => Some(HarvestedDatasets::Keep),
            "remove" => Some(HarvestedDatasets::Remove),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HarvestedDatasets::Keep => "keep",
            HarvestedDatasets::Remove => "remove",
        }
    }
}

/// What deleting a source did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeletedHarvestSource {
    pub source: HarvestSource,
    pub datasets: HarvestedDatasets,
    /// The source's datasets that were not deleted: kept, or now deleted, as `datasets` says.
    pub dataset_count: usize,
    /// Runs of the source whose records went with it.
    pub runs_deleted: u64,
}

/// One dataset in a run's report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HarvestItem {
    pub remote_id: String,
    pub remote_name: String,
    /// The local dataset's name (empty when none was made).
    pub local_name: String,
    /// Why it failed, or a remark (renamed, restored, resources skipped).
    pub message: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HarvestReport {
    pub run_id: String,
    pub source_id: String,
    pub started: String,
    pub finished: String,
    /// Datasets the source listed.
    pub remote_count: usize,
    pub unchanged: usize,
    pub added: Vec<HarvestItem>,
    pub updated: Vec<HarvestItem>,
    pub removed: Vec<HarvestItem>,
    pub failed: Vec<HarvestItem>,
    /// Why the run stopped before the end (the source could not be listed…). Nothing is
    /// removed by such a run.
    pub error: Option<String>,
    pub notes: Vec<String>,
}

impl HarvestReport {
    /// True when the run wrote nothing.
    pub fn no_changes(&self) -> bool {
        self.added.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }

    /// One line: `added 3, updated 1, removed 0, failed 0, unchanged 12`.
    pub fn summary(&self) -> String {
        format!(
            "added {}, updated {}, removed {}, failed {}, unchanged {}",
            self.added.len(),
            self.updated.len(),
            self.removed.len(),
            self.failed.len(),
            self.unchanged
        )
    }
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HarvestRun {
    pub id: String,
    pub source_id: String,
    pub started: String,
    /// `None` while it runs (or if its process died).
    pub finished: Option<String>,
    pub added: i64,
    pub updated: i64,
    pub removed: i64,
    pub failed: i64,
    pub report: HarvestReport,
}

/// A source and where it stands, for the staff pages and `ydx harvest list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HarvestSourceStatus {
    pub source: HarvestSource,
    /// A run holds the source now (its lock is fresh). Its start is `last_run.started`.
    pub running: bool,
    /// When a run was asked for that has not started yet ([`Catalog::request_harvest_run`]).
    pub run_requested: Option<String>,
    /// The latest run, finished or not.
    pub last_run: Option<HarvestRun>,
}

impl HarvestSourceStatus {
    /// When the schedule next makes the source due: `None` while paused; the start of the
    /// last run plus the schedule (in the past when it is due now); empty when it never ran
    /// (due now).
    pub fn next_scheduled(&self) -> Option<String> {
        if !self.source.enabled {
            return None;
        }
        let Some(last) = &self.last_run else {
            return Some(String::new());
        };
        let fmt =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        let started = last
            .started
            .get(..19)
            .and_then(|t| time::PrimitiveDateTime::parse(t, fmt).ok())?;
        Some(ydx_storage::format_time(
            started.assume_utc() + time::Duration::minutes(self.source.schedule_minutes),
        ))
    }
}

/// What a remote dataset became here.
#[derive(Debug, Clone)]
struct HarvestObject {
    remote_name: String,
    local_dataset_id: String,
    content_hash: String,
    removed: bool,
}

/// A `harvest_sources` row: [`SOURCE_COLUMNS`], then `running_since` and `run_requested`.
type SourceRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
);

const SOURCE_COLUMNS: &str =
    "id, name, url, target_org, filter, schedule_minutes, enabled, created_by, created";

/// A source, since when a run holds its lock, and when a run was requested.
type SourceState = (HarvestSource, Option<String>, Option<String>);

fn source_from_row(r: SourceRow) -> SourceState {
    let (id, name, url, target_org, filter, schedule_minutes, enabled, created_by, created) =
        (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8);
    let source = HarvestSource {
        id,
        name,
        url,
        target_org,
        filter: Some(filter).filter(|f| !f.trim().is_empty()),
        schedule_minutes,
        enabled: enabled != 0,
        created_by,
        created,
    };
    (source, r.9, r.10)
}

/// The settings of a source that are given on create and can be changed later.
struct Settings {
    name: String,
    url: String,
    filter: Option<String>,
    schedule_minutes: i64,
}

impl Settings {
    /// The settings tidied (name and filter trimmed, an empty filter is none, the URL
    /// without a trailing slash) and checked, with the same codes and messages on create
    /// and on update.
    fn checked(self, errors: &mut ValidationErrors) -> Settings {
        let url = self.url.trim().trim_end_matches('/').to_string();
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(' ') {
            errors.add("url", "invalid_url", "Must start with http:// or https://");
        }
        let name = self.name.trim().to_string();
        if name.is_empty() {
            errors.add("name", "required", "Missing value");
        }
        if !(1..=527_040).contains(&self.schedule_minutes) {
            errors.add(
                "schedule_minutes",
                "invalid_schedule",
                "Must be 1 to 527040 minutes (a year)",
            );
        }
        Settings {
            name,
            url,
            filter: self
                .filter
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty()),
            schedule_minutes: self.schedule_minutes,
        }
    }
}

/// The fields that differ between two versions of a record, as (old, new) JSON objects.
fn changed_fields<T: Serialize>(
    before: &T,
    after: &T,
) -> Result<(Map<String, Value>, Map<String, Value>)> {
    let (Value::Object(b), Value::Object(a)) =
        (serde_json::to_value(before)?, serde_json::to_value(after)?)
    else {
        return Ok((Map::new(), Map::new()));
    };
    let mut old = Map::new();
    let mut new = Map::new();
    for (k, v) in a {
        let was = b.get(&k).cloned().unwrap_or(Value::Null);
        if was != v {
            old.insert(k.clone(), was);
            new.insert(k, v);
        }
    }
    Ok((old, new))
}

/// The local datasets of a source that are not deleted, by name ($1: the source's id).
const LIVE_DATASETS: &str = "SELECT o.local_dataset_id FROM harvest_objects o \
     JOIN datasets d ON d.id = o.local_dataset_id \
     WHERE o.source_id = $1 AND d.state <> 'deleted' ORDER BY d.name";

fn minutes_ago(minutes: i64) -> String {
    ydx_storage::format_time(time::OffsetDateTime::now_utc() - time::Duration::minutes(minutes))
}

impl Catalog {
    /// Adds a harvest source. The actor must administer the target organisation; the
    /// harvester will write as them.
    pub async fn create_harvest_source(
        &self,
        actor: &Principal,
        new: NewHarvestSource,
    ) -> Result<HarvestSource> {
        let mut errors = ValidationErrors::default();
        let id = new.id.trim().to_string();
        if !(validate::valid_name(&id) && id.len() <= 40) {
            errors.add(
                "id",
                "invalid_name",
                "Must be 2-40 characters of lowercase a-z, 0-9, - and _",
            );
        }
        let settings = Settings {
            name: new.name,
            url: new.url,
            filter: new.filter,
            schedule_minutes: new.schedule_minutes,
        }
        .checked(&mut errors);
        if self.org_name(&new.target_org).await?.is_none() {
            errors.add(
                "target_org",
                "unknown_organization",
                format!("Organization {:?} does not exist", new.target_org),
            );
        } else if !actor.can_admin(&new.target_org) {
            return Err(CatalogError::Forbidden(format!(
                "only an administrator of {:?} can harvest into it",
                new.target_org
            )));
        }
        // `new` is the path of the form that adds a source on the staff pages.
        if errors.is_empty() && (id == "new" || self.harvest_source(&id).await.is_ok()) {
            errors.add("id", "name_taken", "That harvest source already exists");
        }
        errors.into_result()?;
        let source = HarvestSource {
            id,
            name: settings.name,
            url: settings.url,
            target_org: new.target_org,
            filter: settings.filter,
            schedule_minutes: settings.schedule_minutes,
            enabled: new.enabled,
            created_by: actor.user.id.clone(),
            created: ydx_storage::now(),
        };
        let sql = format!(
            "INSERT INTO harvest_sources ({SOURCE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        let after = serde_json::to_value(&source)?;
        self.write_source(actor, &sql, &source, "harvest_source.create", None, after)
            .await?;
        Ok(source)
    }

    /// Writes `source` with `sql` (which takes its [`SOURCE_COLUMNS`] as `$1`–`$9`) and its
    /// audit entry, in one transaction.
    async fn write_source(
        &self,
        actor: &Principal,
        sql: &str,
        source: &HarvestSource,
        action: &str,
        before: Option<Value>,
        after: Value,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        ydx_storage::with_tx!(&mut tx, |c| {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .bind(&source.id)
                .bind(&source.name)
                .bind(&source.url)
                .bind(&source.target_org)
                .bind(source.filter.clone().unwrap_or_default())
                .bind(source.schedule_minutes)
                .bind(i64::from(source.enabled))
                .bind(&source.created_by)
                .bind(&source.created)
                .execute(&mut *c)
                .await?;
        });
        ydx_accounts::audit(
            &mut tx,
            actor,
            Some(&source.target_org),
            action,
            "harvest_source",
            &source.id,
            before.as_ref(),
            Some(&after),
        )
        .await?;
        commit(tx).await
    }

    /// Turns a source's schedule on or off (a source can always be run by hand). Audited
    /// when it changes.
    pub async fn set_harvest_source_enabled(
        &self,
        actor: &Principal,
        id: &str,
        enabled: bool,
    ) -> Result<HarvestSource> {
        let before = self
            .administered_source(actor, id, "change this source")
            .await?;
        let after = HarvestSource {
            enabled,
            ..before.clone()
        };
        self.save_source(actor, &before, &after).await?;
        Ok(after)
    }

    /// Stores what an admin may change of a source (name, URL, filter, schedule, paused or
    /// not) as `after` has it, with an audit entry of the fields that differ from `before`,
    /// old → new. Writes nothing when none does.
    async fn save_source(
        &self,
        actor: &Principal,
        before: &HarvestSource,
        after: &HarvestSource,
    ) -> Result<()> {
        let (old, new) = changed_fields(before, after)?;
        if new.is_empty() {
            return Ok(());
        }
        // The id, organisation, creator and creation time are written as they were.
        let sql = "UPDATE harvest_sources SET name = $2, url = $3, target_org = $4, \
                   filter = $5, schedule_minutes = $6, enabled = $7, created_by = $8, \
                   created = $9 WHERE id = $1";
        let (old, new) = (Value::Object(old), Value::Object(new));
        self.write_source(actor, sql, after, "harvest_source.update", Some(old), new)
            .await
    }

    /// The source `id` when `actor` administers its target organisation (a prefecture
    /// administrator every source), else `Forbidden` saying they cannot `what`.
    async fn administered_source(
        &self,
        actor: &Principal,
        id: &str,
        what: &str,
    ) -> Result<HarvestSource> {
        let source = self.harvest_source(id).await?;
        if !actor.can_admin(&source.target_org) {
            return Err(CatalogError::Forbidden(format!(
                "only an administrator of {:?} can {what}",
                source.target_org
            )));
        }
        Ok(source)
    }

    /// Changes a source's name, URL, filter or schedule (what `changes` gives), checked like
    /// [`Catalog::create_harvest_source`] (same codes and messages): on an error nothing is
    /// stored. The audit entry holds the old and new values of the fields that changed; a
    /// change to nothing writes nothing. The next run uses the new settings (a run in
    /// progress goes on with the ones it started with). A dataset the new URL or filter no
    /// longer lists is deleted by that run, softly, like one that left the source.
    pub async fn update_harvest_source(
        &self,
        actor: &Principal,
        id: &str,
        changes: HarvestSourceChanges,
    ) -> Result<HarvestSource> {
        let before = self
            .administered_source(actor, id, "change this source")
            .await?;
        let mut errors = ValidationErrors::default();
        let settings = Settings {
            name: changes.name.unwrap_or_else(|| before.name.clone()),
            url: changes.url.unwrap_or_else(|| before.url.clone()),
            filter: changes.filter.unwrap_or_else(|| before.filter.clone()),
            schedule_minutes: changes.schedule_minutes.unwrap_or(before.schedule_minutes),
        }
        .checked(&mut errors);
        errors.into_result()?;
        let after = HarvestSource {
            name: settings.name,
            url: settings.url,
            filter: settings.filter,
            schedule_minutes: settings.schedule_minutes,
            ..before.clone()
        };
        self.save_source(actor, &before, &after).await?;
        Ok(after)
    }

    /// How many of the source's datasets are not deleted: those that
    /// [`Catalog::delete_harvest_source`] keeps or deletes.
    pub async fn harvested_dataset_count(&self, source_id: &str) -> Result<usize> {
        let ids: Vec<String> = with_db!(&self.db, |p| {
            sqlx::query_scalar(LIVE_DATASETS)
                .bind(source_id)
                .fetch_all(p)
                .await?
        });
        Ok(ids.len())
    }

    /// Deletes a source, its run request, its bookkeeping of what each remote dataset became
    /// and its run history (the audit log keeps what the runs wrote). Its datasets that are
    /// not deleted are kept as ordinary datasets of the organisation (untouched: their
    /// `harvest_*` extras still say where they came from, but no run updates them any more)
    /// or deleted like [`Catalog::delete_dataset`] does (an administrator can restore them),
    /// as `datasets` says.
    ///
    /// Refused with `Busy` while a run holds the source. Everything happens in one
    /// transaction that also holds the source's run lock, so no run starts meanwhile and a
    /// failure (a dataset the actor may not delete, say) leaves the source, its datasets
    /// and its history as they were.
    pub async fn delete_harvest_source(
        &self,
        actor: &Principal,
        id: &str,
        datasets: HarvestedDatasets,
    ) -> Result<DeletedHarvestSource> {
        let source = self
            .administered_source(actor, id, "delete this source")
            .await?;
        let mut tx = self.db.begin().await?;
        let locked = ydx_storage::with_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE harvest_sources SET running_since = $1 WHERE id = $2 \
                 AND (running_since IS NULL OR running_since < $3)",
            )
            .bind(ydx_storage::now())
            .bind(id)
            .bind(minutes_ago(LOCK_STALE_MINUTES))
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        if locked != 1 {
            drop(tx);
            // Gone meanwhile (not found), or a run holds it.
            self.harvest_source(id).await?;
            return Err(CatalogError::Busy(format!(
                "harvest source {id:?} is running; delete it when the run has finished"
            )));
        }
        let ids: Vec<String> = ydx_storage::with_tx!(&mut tx, |c| {
            sqlx::query_scalar(LIVE_DATASETS)
                .bind(id)
                .fetch_all(&mut *c)
                .await?
        });
        if datasets == HarvestedDatasets::Remove {
            for dataset_id in &ids {
                self.delete_dataset_in(&mut tx, actor, dataset_id).await?;
            }
        }
        let runs_deleted = ydx_storage::with_tx!(&mut tx, |c| {
            sqlx::query("DELETE FROM harvest_objects WHERE source_id = $1")
                .bind(id)
                .execute(&mut *c)
                .await?;
            let runs = sqlx::query("DELETE FROM harvest_runs WHERE source_id = $1")
                .bind(id)
                .execute(&mut *c)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM harvest_sources WHERE id = $1")
                .bind(id)
                .execute(&mut *c)
                .await?;
            runs
        });
        let mut before = serde_json::to_value(&source)?;
        before["dataset_count"] = ids.len().into();
        before["run_count"] = runs_deleted.into();
        ydx_accounts::audit(
            &mut tx,
            actor,
            Some(&source.target_org),
            "harvest_source.delete",
            "harvest_source",
            id,
            Some(&before),
            Some(&serde_json::json!({ "datasets": datasets.as_str() })),
        )
        .await?;
        commit(tx).await?;
        Ok(DeletedHarvestSource {
            source,
            datasets,
            dataset_count: ids.len(),
            runs_deleted,
        })
    }

    /// Asks for a run of the source as soon as possible: the scheduler of the server process
    /// runs it at its next tick, even when the source is paused or its schedule is not yet
    /// due (the web process cannot fetch from other sites itself). The run that starts
    /// clears the request. Asking again while a request is pending keeps the first one.
    pub async fn request_harvest_run(
        &self,
        actor: &Principal,
        id: &str,
    ) -> Result<HarvestSourceStatus> {
        let source = self
            .administered_source(actor, id, "run this source")
            .await?;
        let now = ydx_storage::now();
        let mut tx = self.db.begin().await?;
        ydx_storage::with_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE harvest_sources SET run_requested = COALESCE(run_requested, $1) \
                 WHERE id = $2",
            )
            .bind(&now)
            .bind(id)
            .execute(&mut *c)
            .await?;
        });
        ydx_accounts::audit(
            &mut tx,
            actor,
            Some(&source.target_org),
            "harvest_source.request_run",
            "harvest_source",
            id,
            None,
            Some(&serde_json::json!({ "run_requested": now })),
        )
        .await?;
        commit(tx).await?;
        self.harvest_source_status(id).await
    }

    /// The source and where it stands.
    pub async fn harvest_source_status(&self, id: &str) -> Result<HarvestSourceStatus> {
        let row = self
            .source_states(Some(id))
            .await?
            .pop()
            .ok_or_else(|| CatalogError::not_found("harvest source", id))?;
        self.status_of(row).await
    }

    /// The sources `actor` administers the target organisation of (every source for a
    /// prefecture administrator; all of them when `actor` is `None`), with where each
    /// stands, by id.
    pub async fn harvest_source_statuses(
        &self,
        actor: Option<&Principal>,
    ) -> Result<Vec<HarvestSourceStatus>> {
        let mut out = Vec::new();
        for row in self.source_states(None).await? {
            if actor.is_none_or(|a| a.can_admin(&row.0.target_org)) {
                out.push(self.status_of(row).await?);
            }
        }
        Ok(out)
    }

    /// Sources (one, or all by id) with their lock and run request, in one query.
    async fn source_states(&self, id: Option<&str>) -> Result<Vec<SourceState>> {
        let filter = if id.is_some() { "WHERE id = $1" } else { "" };
        let sql = format!(
            "SELECT {SOURCE_COLUMNS}, running_since, run_requested FROM harvest_sources \
             {filter} ORDER BY id"
        );
        let rows: Vec<SourceRow> = with_db!(&self.db, |p| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            if let Some(id) = id {
                q = q.bind(id);
            }
            q.fetch_all(p).await?
        });
        Ok(rows.into_iter().map(source_from_row).collect())
    }

    async fn status_of(
        &self,
        (source, running_since, run_requested): SourceState,
    ) -> Result<HarvestSourceStatus> {
        let last_run = self.harvest_runs(&source.id, 1).await?.pop();
        Ok(HarvestSourceStatus {
            source,
            running: running_since.is_some_and(|t| t >= minutes_ago(LOCK_STALE_MINUTES)),
            run_requested,
            last_run,
        })
    }

    pub async fn harvest_source(&self, id: &str) -> Result<HarvestSource> {
        self.source_states(Some(id))
            .await?
            .pop()
            .map(|(s, _, _)| s)
            .ok_or_else(|| CatalogError::not_found("harvest source", id))
    }

    /// Every source, by id.
    pub async fn harvest_sources(&self) -> Result<Vec<HarvestSource>> {
        Ok(self
            .source_states(None)
            .await?
            .into_iter()
            .map(|(s, _, _)| s)
            .collect())
    }

    /// Sources with a pending run request ([`Catalog::request_harvest_run`]), and enabled
    /// sources whose last run started at least `schedule_minutes` ago (or that never ran), by
    /// id.
    pub async fn due_harvest_sources(&self) -> Result<Vec<HarvestSource>> {
        let sql = "SELECT source_id, MAX(started) FROM harvest_runs GROUP BY source_id";
        let last: Vec<(String, Option<String>)> =
            with_db!(&self.db, |p| sqlx::query_as(sql).fetch_all(p).await?);
        let last: HashMap<String, String> = last
            .into_iter()
            .filter_map(|(id, t)| t.map(|t| (id, t)))
            .collect();
        Ok(self
            .source_states(None)
            .await?
            .into_iter()
            .filter(|(s, _, requested)| {
                requested.is_some()
                    || (s.enabled
                        && last
                            .get(&s.id)
                            .is_none_or(|t| *t <= minutes_ago(s.schedule_minutes)))
            })
            .map(|(s, _, _)| s)
            .collect())
    }

    /// The source's runs, newest first, at most `limit`.
    pub async fn harvest_runs(&self, source_id: &str, limit: i64) -> Result<Vec<HarvestRun>> {
        let sql = "SELECT id, source_id, started, finished, added, updated, removed, failed, \
                   report_json FROM harvest_runs WHERE source_id = $1 \
                   ORDER BY started DESC, id LIMIT $2";
        type Row = (
            String,
            String,
            String,
            Option<String>,
            i64,
            i64,
            i64,
            i64,
            String,
        );
        let rows: Vec<Row> = with_db!(&self.db, |p| {
            sqlx::query_as(sql)
                .bind(source_id)
                .bind(limit.max(0))
                .fetch_all(p)
                .await?
        });
        rows.into_iter()
            .map(
                |(id, source_id, started, finished, added, updated, removed, failed, report)| {
                    Ok(HarvestRun {
                        id,
                        source_id,
                        started,
                        finished,
                        added,
                        updated,
                        removed,
                        failed,
                        report: serde_json::from_str(&report)?,
                    })
                },
            )
            .collect()
    }

    /// The principal a source's runs write as: the account that configured it, with its
    /// current memberships. Fails when that account is gone, disabled, or no longer
    /// administers the target organisation.
    pub async fn harvest_actor(&self, source: &HarvestSource) -> Result<Principal> {
        let Some(principal) = self.principal_of(&source.created_by).await? else {
            return Err(CatalogError::Forbidden(format!(
                "the account that configured harvest source {:?} no longer exists or is disabled",
                source.id
            )));
        };
        if !principal.can_admin(&source.target_org) {
            return Err(CatalogError::Forbidden(format!(
                "{} is no longer an administrator of {:?}",
                principal.user.email, source.target_org
            )));
        }
        Ok(principal)
    }

    /// The admin who configures a source from the command line: the account with `email`,
    /// else the first administrator of `target_org` (by email), else the first prefecture
    /// administrator. Fails when none administers `target_org`.
    pub async fn harvest_admin(&self, target_org: &str, email: Option<&str>) -> Result<Principal> {
        let ids: Vec<String> = match email {
            Some(email) => {
                let sql = "SELECT id FROM users WHERE email = $1 AND disabled = 0";
                let email = email.trim().to_lowercase();
                with_db!(&self.db, |p| {
                    sqlx::query_scalar(sql).bind(&email).fetch_all(p).await?
                })
            }
            None => {
                let sql = "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id \
                           JOIN organizations o ON o.id = m.org_id \
                           WHERE u.disabled = 0 AND m.role = 'admin' \
                           AND (m.org_id = $1 OR o.kind = 'prefecture') \
                           ORDER BY CASE WHEN m.org_id = $2 THEN 0 ELSE 1 END, u.email";
                with_db!(&self.db, |p| {
                    sqlx::query_scalar(sql)
                        .bind(target_org)
                        .bind(target_org)
                        .fetch_all(p)
                        .await?
                })
            }
        };
        for id in ids {
            if let Some(p) = self.principal_of(&id).await?
                && p.can_admin(target_org)
            {
                return Ok(p);
            }
        }
        Err(CatalogError::Forbidden(match email {
            Some(e) => format!("{e} is not an administrator of {target_org:?}"),
            None => format!("no administrator of {target_org:?} to harvest as"),
        }))
    }

    /// An enabled account with its memberships.
    async fn principal_of(&self, user_id: &str) -> Result<Option<Principal>> {
        let sql = "SELECT id, email, display_name, kind FROM users WHERE id = $1 AND disabled = 0";
        let user: Option<(String, String, String, String)> = with_db!(&self.db, |p| {
            sqlx::query_as(sql).bind(user_id).fetch_optional(p).await?
        });
        let Some((id, email, display_name, kind)) = user else {
            return Ok(None);
        };
        let sql = "SELECT m.org_id, m.role, o.kind, o.name_ja, o.name_en FROM memberships m \
                   JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY m.org_id";
        let rows: Vec<(String, String, String, String, String)> = with_db!(&self.db, |p| {
            sqlx::query_as(sql).bind(&id).fetch_all(p).await?
        });
        Ok(Some(Principal {
            user: User {
                id,
                email,
                display_name,
                kind: if kind == "staff" {
                    UserKind::Staff
                } else {
                    UserKind::Resident
                },
            },
            memberships: rows
                .into_iter()
                .map(
                    |(org_id, role, kind, org_name_ja, org_name_en)| Membership {
                        org_id,
                        role: Role::parse(&role).unwrap_or(Role::Viewer),
                        org_kind: OrgKind::parse(&kind).unwrap_or(OrgKind::Other),
                        org_name_ja,
                        org_name_en,
                    },
                )
                .collect(),
            via: Via::Session,
        }))
    }

    /// Takes the source's run lock; false when another run holds a fresh one.
    async fn claim_harvest(&self, source_id: &str) -> Result<bool> {
        let sql = "UPDATE harvest_sources SET running_since = $1 WHERE id = $2 \
                   AND (running_since IS NULL OR running_since < $3)";
        let n = with_db!(&self.db, |p| {
            sqlx::query(sql)
                .bind(ydx_storage::now())
                .bind(source_id)
                .bind(minutes_ago(LOCK_STALE_MINUTES))
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    async fn heartbeat_harvest(&self, source_id: &str) -> Result<()> {
        let sql = "UPDATE harvest_sources SET running_since = $1 WHERE id = $2";
        with_db!(&self.db, |p| {
            sqlx::query(sql)
                .bind(ydx_storage::now())
                .bind(source_id)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn release_harvest(&self, source_id: &str) -> Result<()> {
        let sql = "UPDATE harvest_sources SET running_since = NULL WHERE id = $1";
        with_db!(&self.db, |p| {
            sqlx::query(sql).bind(source_id).execute(p).await?;
        });
        Ok(())
    }

    async fn harvest_objects(&self, source_id: &str) -> Result<HashMap<String, HarvestObject>> {
        let sql = "SELECT remote_id, remote_name, local_dataset_id, content_hash, removed \
                   FROM harvest_objects WHERE source_id = $1";
        let rows: Vec<(String, String, String, String, i64)> = with_db!(&self.db, |p| {
            sqlx::query_as(sql).bind(source_id).fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(remote_id, remote_name, local_dataset_id, content_hash, removed)| {
                    (
                        remote_id,
                        HarvestObject {
                            remote_name,
                            local_dataset_id,
                            content_hash,
                            removed: removed != 0,
                        },
                    )
                },
            )
            .collect())
    }

    /// Inserts or replaces what `remote_id` became.
    #[allow(clippy::too_many_arguments)]
    async fn save_harvest_object(
        &self,
        source_id: &str,
        remote_id: &str,
        remote_name: &str,
        local_dataset_id: &str,
        content_hash: &str,
        removed: bool,
    ) -> Result<()> {
        let sql = "INSERT INTO harvest_objects (source_id, remote_id, remote_name, \
                   local_dataset_id, content_hash, last_seen, removed) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source_id, remote_id) DO UPDATE \
                   SET remote_name = excluded.remote_name, \
                   local_dataset_id = excluded.local_dataset_id, \
                   content_hash = excluded.content_hash, last_seen = excluded.last_seen, \
                   removed = excluded.removed";
        with_db!(&self.db, |p| {
            sqlx::query(sql)
                .bind(source_id)
                .bind(remote_id)
                .bind(remote_name)
                .bind(local_dataset_id)
                .bind(content_hash)
                .bind(ydx_storage::now())
                .bind(i64::from(removed))
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Marks the unchanged objects of a run as seen now (bookkeeping only: the datasets are
    /// not touched).
    async fn touch_harvest_objects(&self, source_id: &str, remote_ids: &[String]) -> Result<()> {
        let now = ydx_storage::now();
        for chunk in remote_ids.chunks(500) {
            let sql = format!(
                "UPDATE harvest_objects SET last_seen = $1 WHERE source_id = $2 \
                 AND remote_id IN ({})",
                crate::store::placeholders(3, chunk.len())
            );
            with_db!(&self.db, |p| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&now)
                    .bind(source_id);
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(p).await?;
            });
        }
        Ok(())
    }

    /// Records the run as started, and the run requests made until then as answered.
    async fn start_harvest_run(&self, report: &HarvestReport) -> Result<()> {
        let sql = "INSERT INTO harvest_runs (id, source_id, started, report_json) \
                   VALUES ($1, $2, $3, $4)";
        let json = serde_json::to_string(report)?;
        let mut tx = self.db.begin().await?;
        ydx_storage::with_tx!(&mut tx, |c| {
            sqlx::query(sql)
                .bind(&report.run_id)
                .bind(&report.source_id)
                .bind(&report.started)
                .bind(&json)
                .execute(&mut *c)
                .await?;
            sqlx::query(
                "UPDATE harvest_sources SET run_requested = NULL \
                 WHERE id = $1 AND run_requested <= $2",
            )
            .bind(&report.source_id)
            .bind(&report.started)
            .execute(&mut *c)
            .await?;
        });
        commit(tx).await
    }

    async fn finish_harvest_run(&self, report: &HarvestReport) -> Result<()> {
        let sql = "UPDATE harvest_runs SET finished = $1, added = $2, updated = $3, \
                   removed = $4, failed = $5, report_json = $6 WHERE id = $7";
        let json = serde_json::to_string(report)?;
        with_db!(&self.db, |p| {
            sqlx::query(sql)
                .bind(&report.finished)
                .bind(report.added.len() as i64)
                .bind(report.updated.len() as i64)
                .bind(report.removed.len() as i64)
                .bind(report.failed.len() as i64)
                .bind(&json)
                .bind(&report.run_id)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// A free name for a harvested dataset: the remote name, else `<source-id>-<name>`
    /// (either may already be this dataset's own).
    async fn harvest_name(
        &self,
        source_id: &str,
        remote_name: &str,
        own: Option<&str>,
    ) -> Result<Option<String>> {
        let prefixed: String = format!("{source_id}-{remote_name}")
            .chars()
            .take(100)
            .collect();
        for candidate in [remote_name.to_string(), prefixed] {
            if !validate::valid_name(&candidate) {
                continue;
            }
            match self.resolve_id(&candidate).await? {
                None => return Ok(Some(candidate)),
                Some(id) if Some(id.as_str()) == own => return Ok(Some(candidate)),
                Some(_) => {}
            }
        }
        Ok(None)
    }
}

// ---- mapping ------------------------------------------------------------------------------

/// A remote dataset mapped to local fields. `fields.name` is the remote name; the run picks
/// the local one.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub remote_id: String,
    pub remote_name: String,
    pub fields: DatasetFields,
    /// Each resource's fields and link URL, in the remote order.
    pub resources: Vec<(ResourceFields, String)>,
    /// Remarks for the report (resources without a usable URL…).
    pub notes: Vec<String>,
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    match url[after..].find('/') {
        Some(i) => &url[..after + i],
        None => url,
    }
}

/// A remote resource URL made absolute against the source (CKAN and ydx both send absolute
/// URLs; a relative one is read against the source's origin).
fn absolute_url(source_url: &str, url: &str) -> Option<String> {
    let url = url.trim();
    if url.starts_with("http://") || url.starts_with("https://") {
        Some(url.to_string())
    } else if url.starts_with('/') && !url.starts_with("//") {
        Some(format!("{}{url}", origin(source_url)))
    } else {
        None
    }
}

/// The local licence for a remote one: the same id (any case), else the one whose URL the
/// remote `license_url` names. Unknown licences map to none (the remote one is kept in the
/// extras).
fn map_license(id: &str, url: &str) -> Option<&'static str> {
    let url = url.trim().trim_end_matches('/');
    LICENSES
        .iter()
        .find(|l| l.id.eq_ignore_ascii_case(id.trim()))
        .or_else(|| {
            LICENSES.iter().find(|l| {
                !url.is_empty()
                    && !l.url.is_empty()
                    && l.url.trim_end_matches('/').replace("https://", "http://")
                        == url.replace("https://", "http://")
            })
        })
        .map(|l| l.id)
}

/// The remote format (upper-case), else the extension of the URL's last path segment when it
/// looks like one, else empty.
fn resource_format(given: &str, url: &str) -> String {
    if !given.trim().is_empty() {
        return table::format_of(Some(given), "");
    }
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let after_host = path.find("://").map_or(path, |i| &path[i + 3..]);
    let last = after_host.split('/').skip(1).last().unwrap_or_default();
    match last.rsplit_once('.') {
        Some((_, ext))
            if (1..=8).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            ext.to_uppercase()
        }
        _ => String::new(),
    }
}

/// A tag as the catalog accepts it: separators become spaces, at most 100 characters.
fn clean_tag(t: &str) -> Option<String> {
    let t: String = t
        .chars()
        .map(|c| {
            if c == ',' || c == '、' || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let t: String = t.chars().take(100).collect();
    validate::valid_tag(&t).then_some(t)
}

/// Maps a remote CKAN package dictionary. `local_groups` are the groups that exist here (only
/// those of the remote groups are kept). Fails when the dataset has no id or usable name.
pub fn map_dataset(
    source: &HarvestSource,
    remote: &Value,
    local_groups: &HashSet<String>,
) -> std::result::Result<Mapped, String> {
    let obj = remote
        .as_object()
        .ok_or("the source sent a dataset that is not a JSON object")?;
    let remote_id = text(obj.get("id"));
    let remote_name = text(obj.get("name"));
    if remote_id.is_empty() {
        return Err(format!("dataset {remote_name:?} has no id"));
    }
    if !validate::valid_name(&remote_name) {
        return Err(format!(
            "dataset {remote_id}: {remote_name:?} is not a usable name"
        ));
    }
    let mut notes = Vec::new();
    let mut f = DatasetFields {
        name: remote_name.clone(),
        owner_org: source.target_org.clone(),
        state: Some(DatasetState::Active),
        private: false,
        ..DatasetFields::default()
    };
    let title = text(obj.get("title"));
    f.title = if title.is_empty() {
        remote_name.clone()
    } else {
        title.chars().take(500).collect()
    };
    f.notes = text(obj.get("notes"));
    f.author = text(obj.get("author"));
    f.maintainer = text(obj.get("maintainer"));
    f.version = text(obj.get("version"));
    let mut extras: Vec<(String, String)> = Vec::new();
    for (field, key) in [("author_email", 0), ("maintainer_email", 1)] {
        let v = text(obj.get(field));
        if v.is_empty() {
            continue;
        }
        if validate::valid_email(&v) {
            if key == 0 {
                f.author_email = v;
            } else {
                f.maintainer_email = v;
            }
        } else {
            extras.push((format!("harvest_{field}"), v));
        }
    }
    let url = text(obj.get("url"));
    if url.starts_with("http://") || url.starts_with("https://") {
        f.url = url;
    } else if !url.is_empty() {
        extras.push(("harvest_dataset_url".into(), url));
    }
    let license_id = text(obj.get("license_id"));
    let license_url = text(obj.get("license_url"));
    match map_license(&license_id, &license_url) {
        Some(id) => f.license_id = id.to_string(),
        None if license_id.is_empty() => {}
        None => {
            extras.push(("harvest_license_id".into(), license_id));
            let title = text(obj.get("license_title"));
            if !title.is_empty() {
                extras.push(("harvest_license_title".into(), title));
            }
            if !license_url.is_empty() {
                extras.push(("harvest_license_url".into(), license_url));
            }
        }
    }
    let mut seen = HashSet::new();
    for t in obj
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = match t {
            Value::String(s) => s.clone(),
            other => text(other.get("name")),
        };
        if let Some(tag) = clean_tag(&name)
            && seen.insert(tag.clone())
        {
            f.tags.push(tag);
        }
    }
    for g in obj
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = text(g.get("name"));
        if local_groups.contains(&name) && !f.groups.contains(&name) {
            f.groups.push(name);
        }
    }
    // Remote extras; ydx's own (spatial coverage, temporal coverage, frequency, standard,
    // series) map back to their fields when they are valid here.
    let mut remote_extras: BTreeMap<String, String> = BTreeMap::new();
    let mut order = Vec::new();
    for e in obj
        .get("extras")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = text(e.get("key"));
        if key.is_empty() || key.starts_with("harvest_") {
            continue;
        }
        if !remote_extras.contains_key(&key) {
            order.push(key.clone());
        }
        remote_extras.insert(key, text(e.get("value")));
    }
    for key in order {
        let value = remote_extras.remove(&key).unwrap_or_default();
        let used = match key.as_str() {
            "municipality" => {
                let mut codes: Vec<String> = Vec::new();
                for c in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    if !codes.iter().any(|x| x == c) {
                        codes.push(c.to_string());
                    }
                }
                let ok =
                    !codes.is_empty() && codes.iter().all(|c| validate::is_municipality_code(c));
                if ok {
                    f.spatial = codes;
                }
                ok
            }
            "temporal_start" | "temporal_end" => {
                let ok = validate::valid_iso_date(&value);
                if ok {
                    if key == "temporal_start" {
                        f.temporal_start = Some(value.clone());
                    } else {
                        f.temporal_end = Some(value.clone());
                    }
                }
                ok
            }
            "frequency" => {
                f.frequency = Frequency::parse(&value);
                f.frequency.is_some()
            }
            "standard" => {
                let ok = !value.is_empty() && value.len() <= 100;
                if ok {
                    f.standard = Some(value.clone());
                }
                ok
            }
            "series" => {
                f.series = value == "true";
                true
            }
            _ => false,
        };
        if !used {
            extras.push((key, value));
        }
    }
    if let (Some(a), Some(b)) = (&f.temporal_start, &f.temporal_end)
        && a > b
    {
        extras.push(("temporal_start".into(), a.clone()));
        extras.push(("temporal_end".into(), b.clone()));
        f.temporal_start = None;
        f.temporal_end = None;
    }
    extras.push((EXTRA_SOURCE.into(), source.id.clone()));
    extras.push((
        EXTRA_URL.into(),
        format!("{}/dataset/{remote_name}", source.url),
    ));
    extras.push((EXTRA_REMOTE_ID.into(), remote_id.clone()));
    let modified = text(obj.get("metadata_modified"));
    if !modified.is_empty() {
        extras.push((EXTRA_REMOTE_MODIFIED.into(), modified));
    }
    f.extras = extras;

    let mut resources = Vec::new();
    for (i, r) in obj
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let raw_url = text(r.get("url"));
        let name = text(r.get("name"));
        let Some(url) = absolute_url(&source.url, &raw_url) else {
            notes.push(format!(
                "resource {} ({name:?}) skipped: no usable URL {raw_url:?}",
                i + 1
            ));
            continue;
        };
        let period = text(r.get("period"));
        let fields = ResourceFields {
            name: name.chars().take(500).collect(),
            description: text(r.get("description")),
            format: resource_format(&text(r.get("format")), &url),
            period: Some(period).filter(|p| !p.is_empty() && p.chars().count() <= 40),
        };
        resources.push((fields, url));
    }
    Ok(Mapped {
        remote_id,
        remote_name,
        fields: f,
        resources,
        notes,
    })
}

/// Key-sorted JSON without the fields that change without the dataset changing (CKAN's view
/// counters).
fn normalise(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, Value> = m
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "tracking_summary" | "num_followers"))
                .map(|(k, v)| (k, normalise(v)))
                .collect();
            let mut out = Map::new();
            for (k, v) in sorted {
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        other => other.clone(),
    }
}

/// The content hash of a remote dataset as harvested by `source`: the normalised JSON, the
/// mapping version and what of the source shapes the result.
pub fn content_hash(source: &HarvestSource, remote: &Value) -> String {
    let doc = serde_json::json!({
        "mapping": MAPPING_VERSION,
        "target_org": source.target_org,
        "url": source.url,
        "id": source.id,
        "dataset": normalise(remote),
    });
    BlobId::of(doc.to_string().as_bytes()).to_string()
}

// ---- running ------------------------------------------------------------------------------

enum Outcome {
    Unchanged,
    Added(HarvestItem),
    Updated(HarvestItem),
    Failed(HarvestItem),
}

struct Run<'a> {
    catalog: &'a Catalog,
    source: &'a HarvestSource,
    actor: Principal,
    groups: HashSet<String>,
}

/// Harvests `source_id` once through `client` and returns the report (also stored). A run
/// that could not list the source returns a report with `error` set and changes nothing.
/// Fails only when the source does not exist, another run of it is in progress, or the
/// database fails.
pub async fn run<C: CkanClient>(
    catalog: &Catalog,
    client: &C,
    source_id: &str,
) -> Result<HarvestReport> {
    let source = catalog.harvest_source(source_id).await?;
    if !catalog.claim_harvest(&source.id).await? {
        return Err(CatalogError::Forbidden(format!(
            "harvest source {:?} is already running",
            source.id
        )));
    }
    let mut report = HarvestReport {
        run_id: ydx_storage::new_id(),
        source_id: source.id.clone(),
        started: ydx_storage::now(),
        ..HarvestReport::default()
    };
    let result = match catalog.start_harvest_run(&report).await {
        Ok(()) => run_claimed(catalog, client, &source, &mut report).await,
        Err(e) => Err(e),
    };
    if let Err(e) = &result {
        report.error = Some(e.to_string());
    }
    report.finished = ydx_storage::now();
    let finished = catalog.finish_harvest_run(&report).await;
    let released = catalog.release_harvest(&source.id).await;
    result?;
    finished?;
    released?;
    tracing::info!(
        source = %source.id,
        added = report.added.len(),
        updated = report.updated.len(),
        removed = report.removed.len(),
        failed = report.failed.len(),
        unchanged = report.unchanged,
        error = report.error.as_deref().unwrap_or(""),
        "harvest run finished"
    );
    Ok(report)
}

async fn run_claimed<C: CkanClient>(
    catalog: &Catalog,
    client: &C,
    source: &HarvestSource,
    report: &mut HarvestReport,
) -> Result<()> {
    let actor = match catalog.harvest_actor(source).await {
        Ok(a) => a,
        Err(e) => {
            report.error = Some(e.to_string());
            return Ok(());
        }
    };
    // List everything first: removals are decided on the complete listing only.
    let (remotes, complete) = match list_source(catalog, client, source, report).await {
        Ok(r) => r,
        Err(message) => {
            report.error = Some(format!("cannot list the source: {message}"));
            return Ok(());
        }
    };
    report.remote_count = remotes.len();
    let groups = catalog
        .group_list()
        .await?
        .into_iter()
        .map(|g| g.name)
        .collect();
    let run = Run {
        catalog,
        source,
        actor,
        groups,
    };
    let objects = catalog.harvest_objects(&source.id).await?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut unchanged_ids = Vec::new();
    for (i, remote) in remotes.iter().enumerate() {
        let id = text(remote.get("id"));
        seen.insert(id.clone());
        match run.one(remote, objects.get(&id)).await {
            Outcome::Unchanged => {
                report.unchanged += 1;
                unchanged_ids.push(id);
            }
            Outcome::Added(item) => report.added.push(item),
            Outcome::Updated(item) => report.updated.push(item),
            Outcome::Failed(item) => report.failed.push(item),
        }
        if i % 50 == 49 {
            catalog.heartbeat_harvest(&source.id).await?;
        }
    }
    catalog
        .touch_harvest_objects(&source.id, &unchanged_ids)
        .await?;
    if !complete {
        report.notes.push(
            "the source's listing changed while it was read; nothing was removed this run".into(),
        );
        return Ok(());
    }
    let mut gone: Vec<(&String, &HarvestObject)> = objects
        .iter()
        .filter(|(id, o)| !o.removed && !seen.contains(*id))
        .collect();
    gone.sort_by(|a, b| a.1.remote_name.cmp(&b.1.remote_name));
    for (remote_id, o) in gone {
        let mut item = HarvestItem {
            remote_id: remote_id.clone(),
            remote_name: o.remote_name.clone(),
            ..HarvestItem::default()
        };
        let deleted = async {
            let local = catalog
                .load(std::slice::from_ref(&o.local_dataset_id))
                .await?
                .pop();
            if let Some(d) = &local {
                item.local_name = d.name.clone();
                if d.state != DatasetState::Deleted {
                    catalog.delete_dataset(&run.actor, &d.id).await?;
                }
            }
            catalog
                .save_harvest_object(
                    &source.id,
                    remote_id,
                    &o.remote_name,
                    &o.local_dataset_id,
                    &o.content_hash,
                    true,
                )
                .await
        }
        .await;
        match deleted {
            Ok(()) => report.removed.push(item),
            Err(e) => {
                item.message = e.to_string();
                report.failed.push(item);
            }
        }
    }
    Ok(())
}

/// Every dataset the source lists (deduplicated by id, in name order), and whether the
/// listing is complete (as many distinct datasets as the source counted).
async fn list_source<C: CkanClient>(
    catalog: &Catalog,
    client: &C,
    source: &HarvestSource,
    report: &mut HarvestReport,
) -> std::result::Result<(Vec<Value>, bool), String> {
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    let mut count = None;
    let mut start = 0;
    for _ in 0..MAX_PAGES {
        let page = client
            .package_search(&PageRequest {
                fq: source.filter.clone(),
                start,
                rows: PAGE_ROWS,
                sort: PAGE_SORT,
            })
            .await?;
        let _ = catalog.heartbeat_harvest(&source.id).await;
        count.get_or_insert(page.count);
        let n = page.results.len();
        for d in page.results {
            let id = text(d.get("id"));
            if id.is_empty() {
                report.failed.push(HarvestItem {
                    remote_name: text(d.get("name")),
                    message: "the source sent a dataset without an id".into(),
                    ..HarvestItem::default()
                });
                continue;
            }
            if ids.insert(id) {
                out.push(d);
            }
        }
        start += n;
        if n == 0 || start >= page.count {
            break;
        }
    }
    let complete = count.is_some_and(|c| ids.len() + report.failed.len() >= c);
    Ok((out, complete))
}

impl Run<'_> {
    async fn one(&self, remote: &Value, obj: Option<&HarvestObject>) -> Outcome {
        let hash = content_hash(self.source, remote);
        if let Some(o) = obj
            && !o.removed
            && o.content_hash == hash
        {
            return Outcome::Unchanged;
        }
        let mapped = match map_dataset(self.source, remote, &self.groups) {
            Ok(m) => m,
            Err(message) => {
                return Outcome::Failed(HarvestItem {
                    remote_id: text(remote.get("id")),
                    remote_name: text(remote.get("name")),
                    message,
                    ..HarvestItem::default()
                });
            }
        };
        let mut item = HarvestItem {
            remote_id: mapped.remote_id.clone(),
            remote_name: mapped.remote_name.clone(),
            ..HarvestItem::default()
        };
        let result = match obj {
            Some(o) => self.update(&mapped, o, &hash, &mut item).await,
            None => self.add(&mapped, &hash, &mut item).await.map(|()| true),
        };
        let mut notes = mapped.notes.clone();
        if !item.message.is_empty() {
            notes.insert(0, item.message.clone());
        }
        match result {
            Ok(added) => {
                item.message = notes.join("; ");
                if added {
                    Outcome::Added(item)
                } else {
                    Outcome::Updated(item)
                }
            }
            Err(e) => {
                notes.insert(0, e.to_string());
                item.message = notes.join("; ");
                Outcome::Failed(item)
            }
        }
    }

    /// A dataset new to this source.
    async fn add(&self, m: &Mapped, hash: &str, item: &mut HarvestItem) -> Result<()> {
        let c = self.catalog;
        let name = c
            .harvest_name(&self.source.id, &m.remote_name, None)
            .await?
            .ok_or_else(|| name_taken(&m.remote_name, &self.source.id))?;
        if name != m.remote_name {
            item.message = format!("renamed: {} is taken here", m.remote_name);
        }
        let fields = DatasetFields {
            name,
            ..m.fields.clone()
        };
        let d = c.create_dataset(&self.actor, fields).await?;
        item.local_name = d.name.clone();
        // Recorded before the resources, with no hash: if one of them fails, the next run
        // finishes this dataset instead of making another.
        c.save_harvest_object(
            &self.source.id,
            &m.remote_id,
            &m.remote_name,
            &d.id,
            "",
            false,
        )
        .await?;
        for (fields, url) in &m.resources {
            c.add_resource(
                &self.actor,
                &d.id,
                fields.clone(),
                ResourceSource::Link { url: url.clone() },
            )
            .await?;
        }
        c.save_harvest_object(
            &self.source.id,
            &m.remote_id,
            &m.remote_name,
            &d.id,
            hash,
            false,
        )
        .await
    }

    /// A dataset harvested before that changed on the source (or came back to it). Returns
    /// true when it came back (reported as added).
    async fn update(
        &self,
        m: &Mapped,
        o: &HarvestObject,
        hash: &str,
        item: &mut HarvestItem,
    ) -> Result<bool> {
        let c = self.catalog;
        let Some(mut d) = c
            .load(std::slice::from_ref(&o.local_dataset_id))
            .await?
            .pop()
        else {
            self.add(m, hash, item).await?;
            return Ok(true);
        };
        item.local_name = d.name.clone();
        let mut restored = false;
        if d.state == DatasetState::Deleted {
            if !o.removed {
                return Err(CatalogError::Forbidden(format!(
                    "{} was deleted here; restore it to resume harvesting it",
                    d.name
                )));
            }
            d = c.undelete_dataset(&self.actor, &d.id).await?;
            restored = true;
            item.message = "back on the source: restored".into();
        }
        let name = c
            .harvest_name(&self.source.id, &m.remote_name, Some(&d.id))
            .await?
            .ok_or_else(|| name_taken(&m.remote_name, &self.source.id))?;
        let fields = DatasetFields {
            name,
            ..m.fields.clone()
        };
        if fields != DatasetFields::of(&d) {
            d = c.update_dataset(&self.actor, &d.id, fields).await?;
            item.local_name = d.name.clone();
        }
        self.sync_resources(&d, &m.resources).await?;
        c.save_harvest_object(
            &self.source.id,
            &m.remote_id,
            &m.remote_name,
            &d.id,
            hash,
            false,
        )
        .await?;
        Ok(restored)
    }

    /// Makes the dataset's resources the wanted links, position by position, writing only
    /// what differs.
    async fn sync_resources(&self, d: &Dataset, wanted: &[(ResourceFields, String)]) -> Result<()> {
        let c = self.catalog;
        let n = d.resources.len().max(wanted.len());
        for i in 0..n {
            match (d.resources.get(i), wanted.get(i)) {
                (Some(have), Some((fields, url))) if have.url_type != "upload" => {
                    let patch = ResourcePatch {
                        name: (have.name != fields.name.trim()).then(|| fields.name.clone()),
                        description: (have.description != fields.description)
                            .then(|| fields.description.clone()),
                        format: (!fields.format.is_empty() && have.format != fields.format)
                            .then(|| fields.format.clone()),
                        period: (have.period != fields.period).then(|| fields.period.clone()),
                        url: (have.url != *url).then(|| url.clone()),
                    };
                    if patch != ResourcePatch::default() {
                        c.patch_resource(&self.actor, &have.id, patch).await?;
                    }
                }
                (Some(have), Some((fields, url))) => {
                    // An upload made here in place of a harvested link: the source wins.
                    c.delete_resource(&self.actor, &have.id).await?;
                    c.add_resource(
                        &self.actor,
                        &d.id,
                        fields.clone(),
                        ResourceSource::Link { url: url.clone() },
                    )
                    .await?;
                }
                (None, Some((fields, url))) => {
                    c.add_resource(
                        &self.actor,
                        &d.id,
                        fields.clone(),
                        ResourceSource::Link { url: url.clone() },
                    )
                    .await?;
                }
                (Some(have), None) => c.delete_resource(&self.actor, &have.id).await?,
                (None, None) => {}
            }
        }
        Ok(())
    }
}

fn name_taken(remote_name: &str, source_id: &str) -> CatalogError {
    let mut v = ValidationErrors::default();
    v.add(
        "name",
        "name_taken",
        format!("both {remote_name} and {source_id}-{remote_name} are taken here"),
    );
    CatalogError::Validation(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::json;
    use ydx_accounts::{Accounts, PasswordCost};
    use ydx_storage::FsBlobStore;
    use ydx_storage::testing::test_databases;

    use super::*;
    use crate::sample;

    /// A CKAN catalog in memory: `package_search` over `datasets`, sorted by name, with
    /// `organization:X` as the only `fq` it understands.
    #[derive(Default)]
    struct FakeCkan {
        datasets: Mutex<Vec<Value>>,
        fail: Mutex<bool>,
    }

    impl FakeCkan {
        fn set(&self, datasets: Vec<Value>) {
            *self.datasets.lock().unwrap() = datasets;
        }
        fn edit(&self, name: &str, f: impl FnOnce(&mut Value)) {
            let mut all = self.datasets.lock().unwrap();
            f(all.iter_mut().find(|d| d["name"] == name).unwrap());
        }
        fn remove(&self, name: &str) -> Value {
            let mut all = self.datasets.lock().unwrap();
            let i = all.iter().position(|d| d["name"] == name).unwrap();
            all.remove(i)
        }
        fn push(&self, d: Value) {
            self.datasets.lock().unwrap().push(d);
        }
    }

    impl CkanClient for FakeCkan {
        fn package_search(
            &self,
            page: &PageRequest,
        ) -> impl Future<Output = std::result::Result<SearchPage, String>> + Send {
            let result = if *self.fail.lock().unwrap() {
                Err("connection refused".to_string())
            } else {
                assert_eq!(page.sort, PAGE_SORT);
                let mut all: Vec<Value> = self
                    .datasets
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|d| match page.fq.as_deref() {
                        Some(fq) => fq
                            .strip_prefix("organization:")
                            .is_some_and(|o| d["organization"]["name"] == o),
                        None => true,
                    })
                    .cloned()
                    .collect();
                all.sort_by_key(|d| text(d.get("name")));
                Ok(SearchPage {
                    count: all.len(),
                    results: all.into_iter().skip(page.start).take(page.rows).collect(),
                })
            };
            async move { result }
        }
    }

    fn remote(id: &str, name: &str, title: &str) -> Value {
        json!({
            "id": id,
            "name": name,
            "title": title,
            "notes": "**説明**",
            "organization": {"name": "remote-org"},
            "license_id": "cc-by-4.0",
            "author": "県",
            "author_email": "not an email",
            "tags": [{"name": "防災"}, {"name": "AED, 救急"}],
            "groups": [{"name": "bousai"}, {"name": "no-such-group"}],
            "extras": [
                {"key": "municipality", "value": "35204"},
                {"key": "frequency", "value": "annual"},
                {"key": "custom", "value": "x"},
            ],
            "metadata_modified": "2024-04-01T00:00:00.000000",
            "tracking_summary": {"total": 1, "recent": 1},
            "resources": [
                {"name": "一覧", "url": format!("https://remote.example.jp/files/{name}.csv"),
                 "format": "csv", "description": "CSV"},
                {"name": "相対", "url": "/dataset/x/resource/y/download/list.json", "format": ""},
                {"name": "URLなし", "url": ""},
            ],
        })
    }

    struct Env {
        catalog: Catalog,
        accounts: Accounts,
        admin: Principal,
        _db: ydx_storage::testing::TestDb,
        _dir: tempfile::TempDir,
    }

    async fn envs() -> Vec<Env> {
        let mut out = Vec::new();
        for tdb in test_databases(&[ydx_accounts::migrations(), crate::migrations()])
            .await
            .unwrap()
        {
            let accounts = Accounts::new(tdb.db.clone(), PasswordCost::TestOnly).unwrap();
            for o in sample::required_organizations() {
                accounts.create_org(&o).await.unwrap();
            }
            let user = accounts
                .create_user(
                    "admin@hagi.example.jp",
                    "萩 管理者",
                    "pw pw pw pw",
                    UserKind::Staff,
                )
                .await
                .unwrap();
            accounts
                .set_membership(&user.id, "hagi-city", Role::Admin)
                .await
                .unwrap();
            let admin = Principal {
                memberships: accounts.memberships(&user.id).await.unwrap(),
                user,
                via: Via::Session,
            };
            let dir = tempfile::tempdir().unwrap();
            let catalog = Catalog::new(
                tdb.db.clone(),
                Arc::new(FsBlobStore::open(dir.path()).unwrap()),
                crate::CatalogLimits::default(),
            );
            for g in sample::sample_groups() {
                let pref_admin = Principal {
                    memberships: vec![Membership {
                        org_id: "pref".into(),
                        org_kind: OrgKind::Prefecture,
                        org_name_ja: "県".into(),
                        org_name_en: "Pref".into(),
                        role: Role::Admin,
                    }],
                    ..admin.clone()
                };
                catalog.create_group(&pref_admin, &g).await.unwrap();
            }
            out.push(Env {
                catalog,
                accounts,
                admin,
                _db: tdb,
                _dir: dir,
            });
        }
        out
    }

    fn new_source(id: &str) -> NewHarvestSource {
        NewHarvestSource {
            id: id.into(),
            name: "隣県オープンデータ".into(),
            url: "https://remote.example.jp/".into(),
            target_org: "hagi-city".into(),
            filter: Some("organization:remote-org".into()),
            schedule_minutes: 60,
            enabled: true,
        }
    }

    fn names(items: &[HarvestItem]) -> Vec<&str> {
        items.iter().map(|i| i.remote_name.as_str()).collect()
    }

    async fn audit_count(e: &Env) -> usize {
        e.accounts.audit_log(None, 100_000).await.unwrap().len()
    }

    #[tokio::test]
    async fn add_update_unchanged_remove_fail() {
        for e in envs().await {
            let c = &e.catalog;
            // A local dataset holding a name the source also uses.
            c.create_dataset(
                &e.admin,
                DatasetFields {
                    name: "shelters".into(),
                    title: "萩市の避難所（ローカル）".into(),
                    owner_org: "hagi-city".into(),
                    ..DatasetFields::default()
                },
            )
            .await
            .unwrap();
            let source = c
                .create_harvest_source(&e.admin, new_source("nb"))
                .await
                .unwrap();
            assert_eq!(source.url, "https://remote.example.jp");
            let fake = FakeCkan::default();
            let mut other = remote("r-other", "other-org-data", "他の組織");
            other["organization"]["name"] = json!("someone-else");
            fake.set(vec![
                remote("r-aed", "aed", "AED設置箇所一覧"),
                remote("r-shelters", "shelters", "指定緊急避難場所一覧"),
                remote("r-bad", "Bad Name", "名前が不正"),
                other,
            ]);
            for i in 0..120 {
                fake.push(remote(
                    &format!("r-bulk-{i:03}"),
                    &format!("bulk-{i:03}"),
                    "多数",
                ));
            }

            // First run: everything is added (paged), the bad one fails, the rest go on.
            let r1 = run(c, &fake, "nb").await.unwrap();
            assert_eq!(r1.error, None, "{r1:?}");
            assert_eq!(r1.remote_count, 123);
            assert_eq!(r1.added.len(), 122, "{}", r1.summary());
            assert_eq!(names(&r1.failed), vec!["Bad Name"]);
            assert!(r1.failed[0].message.contains("not a usable name"));
            assert!(r1.removed.is_empty() && r1.updated.is_empty());
            let renamed = r1
                .added
                .iter()
                .find(|i| i.remote_name == "shelters")
                .unwrap();
            assert_eq!(renamed.local_name, "nb-shelters");
            assert!(renamed.message.contains("renamed"), "{}", renamed.message);

            let d = c.show(None, "aed").await.unwrap();
            assert_eq!(d.owner_org, "hagi-city");
            assert_eq!(d.title, "AED設置箇所一覧");
            assert_eq!(d.license_id, "cc-by-4.0");
            assert_eq!(d.tags, vec!["防災", "AED 救急"]);
            assert_eq!(d.groups, vec!["bousai"]);
            assert_eq!(d.spatial, vec!["35204"]);
            assert_eq!(d.frequency, Some(Frequency::Annual));
            assert_eq!(d.author_email, "");
            let extra = |k: &str| {
                d.extras
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.as_str())
            };
            assert_eq!(extra("custom"), Some("x"));
            assert_eq!(extra("harvest_author_email"), Some("not an email"));
            assert_eq!(extra(EXTRA_SOURCE), Some("nb"));
            assert_eq!(
                extra(EXTRA_URL),
                Some("https://remote.example.jp/dataset/aed")
            );
            assert_eq!(
                extra(EXTRA_REMOTE_MODIFIED),
                Some("2024-04-01T00:00:00.000000")
            );
            assert_eq!(
                d.resources.len(),
                2,
                "the resource without a URL is skipped"
            );
            assert_eq!(
                d.resources[0].url,
                "https://remote.example.jp/files/aed.csv"
            );
            assert_eq!(d.resources[0].format, "CSV");
            assert_eq!(d.resources[0].url_type, "");
            assert_eq!(
                d.resources[1].url,
                "https://remote.example.jp/dataset/x/resource/y/download/list.json"
            );
            assert_eq!(d.resources[1].format, "JSON");
            let local = c.show(None, "shelters").await.unwrap();
            assert_eq!(
                local.title, "萩市の避難所（ローカル）",
                "the local dataset is untouched"
            );
            assert!(
                c.show(None, "other-org-data").await.is_err(),
                "filtered out"
            );

            // Second run: nothing changed, nothing is written.
            let audits = audit_count(&e).await;
            let r2 = run(c, &fake, "nb").await.unwrap();
            assert!(r2.no_changes(), "{}", r2.summary());
            assert_eq!(r2.unchanged, 122);
            assert_eq!(r2.failed.len(), 1);
            assert_eq!(audit_count(&e).await, audits);
            assert_eq!(c.show(None, "aed").await.unwrap(), d);

            // A view counter changing is not a change.
            fake.edit("aed", |v| {
                v["tracking_summary"] = json!({"total": 9, "recent": 9})
            });
            assert!(run(c, &fake, "nb").await.unwrap().no_changes());

            // One dataset changes on the source: one update, its resource URL follows.
            fake.edit("aed", |v| {
                v["title"] = json!("AED設置箇所一覧（更新）");
                v["metadata_modified"] = json!("2024-05-01T00:00:00.000000");
                v["resources"][0]["url"] = json!("https://remote.example.jp/files/aed-v2.csv");
                v["resources"].as_array_mut().unwrap().truncate(1);
            });
            let r3 = run(c, &fake, "nb").await.unwrap();
            assert_eq!(names(&r3.updated), vec!["aed"], "{}", r3.summary());
            assert!(r3.added.is_empty() && r3.removed.is_empty());
            assert_eq!(r3.unchanged, 121);
            let d3 = c.show(None, "aed").await.unwrap();
            assert_eq!(d3.id, d.id);
            assert_eq!(d3.title, "AED設置箇所一覧（更新）");
            assert_eq!(d3.resources.len(), 1);
            assert_eq!(
                d3.resources[0].id, d.resources[0].id,
                "patched, not replaced"
            );
            assert_eq!(
                d3.resources[0].url,
                "https://remote.example.jp/files/aed-v2.csv"
            );
            assert!(run(c, &fake, "nb").await.unwrap().no_changes());

            // One leaves the source: deleted here (softly), once.
            let gone = fake.remove("shelters");
            let r4 = run(c, &fake, "nb").await.unwrap();
            assert_eq!(names(&r4.removed), vec!["shelters"], "{}", r4.summary());
            assert_eq!(r4.removed[0].local_name, "nb-shelters");
            assert!(c.show(None, "nb-shelters").await.is_err());
            let deleted = c.show(Some(&e.admin), "nb-shelters").await.unwrap();
            assert_eq!(deleted.state, DatasetState::Deleted);
            assert!(run(c, &fake, "nb").await.unwrap().no_changes());

            // It comes back: restored.
            fake.push(gone);
            let r5 = run(c, &fake, "nb").await.unwrap();
            assert_eq!(names(&r5.added), vec!["shelters"], "{}", r5.summary());
            assert!(r5.added[0].message.contains("restored"));
            assert_eq!(
                c.show(None, "nb-shelters").await.unwrap().state,
                DatasetState::Active
            );
            assert!(run(c, &fake, "nb").await.unwrap().no_changes());

            // The source cannot be listed: the run says so and removes nothing.
            *fake.fail.lock().unwrap() = true;
            let r6 = run(c, &fake, "nb").await.unwrap();
            assert!(r6.error.as_deref().unwrap().contains("connection refused"));
            assert!(r6.no_changes());
            assert!(c.show(None, "aed").await.is_ok());
            *fake.fail.lock().unwrap() = false;

            // Every run was stored with its report.
            let runs = c.harvest_runs("nb", 100).await.unwrap();
            assert_eq!(runs.len(), 10);
            assert_eq!(runs[0].report, r6);
            let first = runs.iter().find(|r| r.id == r1.run_id).unwrap();
            assert_eq!((first.added, first.failed), (122, 1));
            assert!(first.finished.is_some());

            // Not due again before its schedule; a new source is.
            assert!(c.due_harvest_sources().await.unwrap().is_empty());
            c.create_harvest_source(&e.admin, new_source("nb2"))
                .await
                .unwrap();
            let due: Vec<String> = c
                .due_harvest_sources()
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect();
            assert_eq!(due, vec!["nb2"]);
            c.set_harvest_source_enabled(&e.admin, "nb2", false)
                .await
                .unwrap();
            assert!(c.due_harvest_sources().await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn sources_are_checked_and_runs_exclusive() {
        for e in envs().await {
            let c = &e.catalog;
            let bad = c
                .create_harvest_source(
                    &e.admin,
                    NewHarvestSource {
                        id: "X".into(),
                        url: "ftp://x".into(),
                        schedule_minutes: 0,
                        ..new_source("x")
                    },
                )
                .await;
            match bad {
                Err(CatalogError::Validation(v)) => {
                    assert!(v.has("id", "invalid_name"));
                    assert!(v.has("url", "invalid_url"));
                    assert!(v.has("schedule_minutes", "invalid_schedule"));
                }
                other => panic!("{other:?}"),
            }
            let not_admin = c
                .create_harvest_source(
                    &e.admin,
                    NewHarvestSource {
                        target_org: "yamaguchi-city".into(),
                        ..new_source("y")
                    },
                )
                .await;
            assert!(matches!(not_admin, Err(CatalogError::Forbidden(_))));
            c.create_harvest_source(&e.admin, new_source("nb"))
                .await
                .unwrap();
            assert!(matches!(
                c.create_harvest_source(&e.admin, new_source("nb")).await,
                Err(CatalogError::Validation(_))
            ));
            assert_eq!(c.harvest_sources().await.unwrap().len(), 1);
            let found = c.harvest_admin("hagi-city", None).await.unwrap();
            assert_eq!(found.user.email, "admin@hagi.example.jp");
            let found = c
                .harvest_admin("hagi-city", Some("Admin@hagi.example.jp"))
                .await
                .unwrap();
            assert_eq!(found.user.id, e.admin.user.id);
            assert!(c.harvest_admin("yamaguchi-city", None).await.is_err());

            // A run in progress holds the source.
            assert!(c.claim_harvest("nb").await.unwrap());
            let fake = FakeCkan::default();
            assert!(matches!(
                run(c, &fake, "nb").await,
                Err(CatalogError::Forbidden(_))
            ));
            c.release_harvest("nb").await.unwrap();
            let r = run(c, &fake, "nb").await.unwrap();
            assert_eq!(r.remote_count, 0);
            assert!(matches!(
                run(c, &fake, "nope").await,
                Err(CatalogError::NotFound { .. })
            ));
        }
    }

    #[tokio::test]
    async fn a_run_request_makes_a_source_due_until_a_run_starts() {
        for e in envs().await {
            let c = &e.catalog;
            let due = || async {
                c.due_harvest_sources()
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|s| s.id)
                    .collect::<Vec<_>>()
            };
            c.create_harvest_source(&e.admin, new_source("ran"))
                .await
                .unwrap();
            c.create_harvest_source(
                &e.admin,
                NewHarvestSource {
                    enabled: false,
                    ..new_source("paused")
                },
            )
            .await
            .unwrap();
            let fake = FakeCkan::default();
            run(c, &fake, "ran").await.unwrap();
            // Ran just now (not due for an hour), and paused: neither is due.
            assert!(due().await.is_empty());
            let st = c.harvest_source_status("ran").await.unwrap();
            assert!(!st.running && st.run_requested.is_none());
            assert!(st.last_run.as_ref().unwrap().finished.is_some());
            assert!(st.next_scheduled().unwrap() > st.last_run.unwrap().started);
            assert_eq!(
                c.harvest_source_status("paused")
                    .await
                    .unwrap()
                    .next_scheduled(),
                None
            );

            // Only an admin of the target organisation may ask, and it is audited.
            let mut other = e.admin.clone();
            other.memberships[0].org_id = "yamaguchi-city".into();
            assert!(matches!(
                c.request_harvest_run(&other, "paused").await,
                Err(CatalogError::Forbidden(_))
            ));
            assert!(matches!(
                c.request_harvest_run(&e.admin, "nope").await,
                Err(CatalogError::NotFound { .. })
            ));
            assert!(due().await.is_empty());
            let audits = audit_count(&e).await;
            let st = c.request_harvest_run(&e.admin, "paused").await.unwrap();
            let first = st.run_requested.clone().unwrap();
            c.request_harvest_run(&e.admin, "ran").await.unwrap();
            assert_eq!(audit_count(&e).await, audits + 2);
            let log = e.accounts.audit_log(Some("hagi-city"), 1).await.unwrap();
            assert_eq!(log[0].action, "harvest_source.request_run");
            assert_eq!(due().await, vec!["paused", "ran"]);
            // Asking again keeps the first request; the source stays paused.
            let again = c.request_harvest_run(&e.admin, "paused").await.unwrap();
            assert_eq!(again.run_requested, Some(first));
            assert!(!again.source.enabled);

            // A run that cannot start (another holds the source) leaves the request.
            assert!(c.claim_harvest("paused").await.unwrap());
            assert!(c.harvest_source_status("paused").await.unwrap().running);
            assert!(run(c, &fake, "paused").await.is_err());
            assert_eq!(due().await, vec!["paused", "ran"]);
            c.release_harvest("paused").await.unwrap();

            // The run that starts answers the request: neither is due any more.
            run(c, &fake, "paused").await.unwrap();
            run(c, &fake, "ran").await.unwrap();
            assert!(due().await.is_empty());
            let statuses = c.harvest_source_statuses(Some(&e.admin)).await.unwrap();
            assert_eq!(statuses.len(), 2);
            assert!(statuses.iter().all(|s| s.run_requested.is_none()));
            assert!(
                !c.harvest_source_status("paused")
                    .await
                    .unwrap()
                    .source
                    .enabled
            );
            assert!(
                c.harvest_source_statuses(Some(&other))
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
    }

    /// A remote dataset of the remote organisation `org`.
    fn remote_of(org: &str, id: &str, name: &str) -> Value {
        let mut d = remote(id, name, name);
        d["organization"]["name"] = json!(org);
        d
    }

    /// An admin of 山口市 only (another municipality than the sources' 萩市).
    fn other_admin(e: &Env) -> Principal {
        let mut other = e.admin.clone();
        other.memberships[0].org_id = "yamaguchi-city".into();
        other
    }

    #[tokio::test]
    async fn a_source_is_edited_with_the_checks_of_create_and_the_next_run_follows() {
        for e in envs().await {
            let c = &e.catalog;
            let before = c
                .create_harvest_source(&e.admin, new_source("nb"))
                .await
                .unwrap();
            let fake = FakeCkan::default();
            fake.set(vec![
                remote_of("remote-org", "r-aed", "aed"),
                remote_of("remote-org", "r-shelters", "shelters"),
                remote_of("other-org", "r-bus", "bus-stops"),
            ]);
            let r1 = run(c, &fake, "nb").await.unwrap();
            assert_eq!(names(&r1.added), vec!["aed", "shelters"]);
            let audits = audit_count(&e).await;

            // Wrong values: the create's codes and messages, and nothing stored.
            let bad = c
                .update_harvest_source(
                    &e.admin,
                    "nb",
                    HarvestSourceChanges {
                        name: Some("  ".into()),
                        url: Some("ftp://remote.example.jp".into()),
                        filter: Some(None),
                        schedule_minutes: Some(0),
                    },
                )
                .await;
            let created = c
                .create_harvest_source(
                    &e.admin,
                    NewHarvestSource {
                        name: "  ".into(),
                        url: "ftp://remote.example.jp".into(),
                        schedule_minutes: 0,
                        ..new_source("nb-bad")
                    },
                )
                .await;
            match (bad, created) {
                (Err(CatalogError::Validation(v)), Err(CatalogError::Validation(w))) => {
                    assert!(v.has("name", "required"));
                    assert!(v.has("url", "invalid_url"));
                    assert!(v.has("schedule_minutes", "invalid_schedule"));
                    assert_eq!(v, w, "the same errors as on create");
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(c.harvest_source("nb").await.unwrap(), before);
            assert_eq!(audit_count(&e).await, audits);

            // Another municipality's admin may not; an unknown source is not found.
            let name_only = HarvestSourceChanges {
                name: Some(" 隣県（改名） ".into()),
                ..HarvestSourceChanges::default()
            };
            assert!(matches!(
                c.update_harvest_source(&other_admin(&e), "nb", name_only.clone())
                    .await,
                Err(CatalogError::Forbidden(_))
            ));
            assert!(matches!(
                c.update_harvest_source(&e.admin, "nope", name_only.clone())
                    .await,
                Err(CatalogError::NotFound { .. })
            ));
            assert_eq!(c.harvest_source("nb").await.unwrap(), before);

            // Only what is asked changes; the audit entry has its old and new value.
            let renamed = c
                .update_harvest_source(&e.admin, "nb", name_only.clone())
                .await
                .unwrap();
            assert_eq!(renamed.name, "隣県（改名）");
            assert_eq!(
                renamed,
                HarvestSource {
                    name: "隣県（改名）".into(),
                    ..before.clone()
                }
            );
            assert_eq!(c.harvest_source("nb").await.unwrap(), renamed);
            let log = e.accounts.audit_log(Some("hagi-city"), 1).await.unwrap();
            assert_eq!(log[0].action, "harvest_source.update");
            assert_eq!(log[0].entity_id, "nb");
            assert_eq!(log[0].before, Some(json!({"name": "隣県オープンデータ"})));
            assert_eq!(log[0].after, Some(json!({"name": "隣県（改名）"})));
            // The same again changes nothing and records nothing.
            let audits = audit_count(&e).await;
            c.update_harvest_source(&e.admin, "nb", name_only)
                .await
                .unwrap();
            assert_eq!(audit_count(&e).await, audits);

            // A new URL and filter: the next run asks for the new filter and writes the
            // new URL; what the filter no longer lists is deleted (softly).
            let moved = c
                .update_harvest_source(
                    &e.admin,
                    "nb",
                    HarvestSourceChanges {
                        url: Some("https://mirror.example.jp/ckan/".into()),
                        filter: Some(Some(" organization:other-org ".into())),
                        schedule_minutes: Some(30),
                        ..HarvestSourceChanges::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(moved.url, "https://mirror.example.jp/ckan");
            assert_eq!(moved.filter.as_deref(), Some("organization:other-org"));
            assert_eq!(moved.schedule_minutes, 30);
            assert_eq!(moved.name, "隣県（改名）");
            let log = e.accounts.audit_log(Some("hagi-city"), 1).await.unwrap();
            assert_eq!(
                log[0].after,
                Some(json!({
                    "url": "https://mirror.example.jp/ckan",
                    "filter": "organization:other-org",
                    "schedule_minutes": 30,
                }))
            );
            assert_eq!(
                log[0].before.as_ref().unwrap()["url"],
                "https://remote.example.jp"
            );
            let r2 = run(c, &fake, "nb").await.unwrap();
            assert_eq!(names(&r2.added), vec!["bus-stops"], "{}", r2.summary());
            assert_eq!(names(&r2.removed), vec!["aed", "shelters"]);
            let bus = c.show(None, "bus-stops").await.unwrap();
            assert!(bus.extras.contains(&(
                EXTRA_URL.to_string(),
                "https://mirror.example.jp/ckan/dataset/bus-stops".to_string()
            )));
            assert!(c.show(None, "aed").await.is_err());

            // Without a filter, everything is listed again.
            c.update_harvest_source(
                &e.admin,
                "nb",
                HarvestSourceChanges {
                    filter: Some(None),
                    ..HarvestSourceChanges::default()
                },
            )
            .await
            .unwrap();
            assert_eq!(c.harvest_source("nb").await.unwrap().filter, None);
            let r3 = run(c, &fake, "nb").await.unwrap();
            assert_eq!(
                names(&r3.added),
                vec!["aed", "shelters"],
                "{}",
                r3.summary()
            );
            assert_eq!(r3.unchanged, 1);
        }
    }

    #[tokio::test]
    async fn a_deleted_source_keeps_or_removes_its_datasets() {
        for e in envs().await {
            let c = &e.catalog;
            let fake = FakeCkan::default();
            fake.set(vec![
                remote_of("org-a", "r-a1", "a-one"),
                remote_of("org-a", "r-a2", "a-two"),
                remote_of("org-b", "r-b1", "b-one"),
                remote_of("org-b", "r-b2", "b-two"),
                remote_of("org-b", "r-b3", "b-three"),
            ]);
            for (id, org) in [("keep", "org-a"), ("rm", "org-b")] {
                c.create_harvest_source(
                    &e.admin,
                    NewHarvestSource {
                        filter: Some(format!("organization:{org}")),
                        ..new_source(id)
                    },
                )
                .await
                .unwrap();
                run(c, &fake, id).await.unwrap();
            }
            // One of "rm"'s datasets is already deleted here: it is not counted.
            c.delete_dataset(&e.admin, "b-three").await.unwrap();
            assert_eq!(c.harvested_dataset_count("keep").await.unwrap(), 2);
            assert_eq!(c.harvested_dataset_count("rm").await.unwrap(), 2);
            let kept_before = c.show(None, "a-one").await.unwrap();

            // Another municipality's admin may not; an unknown source is not found.
            assert!(matches!(
                c.delete_harvest_source(&other_admin(&e), "keep", HarvestedDatasets::Keep)
                    .await,
                Err(CatalogError::Forbidden(_))
            ));
            assert!(matches!(
                c.delete_harvest_source(&e.admin, "nope", HarvestedDatasets::Keep)
                    .await,
                Err(CatalogError::NotFound { .. })
            ));

            // While a run holds the source: refused, nothing changes.
            assert!(c.claim_harvest("rm").await.unwrap());
            let audits = audit_count(&e).await;
            assert!(matches!(
                c.delete_harvest_source(&e.admin, "rm", HarvestedDatasets::Remove)
                    .await,
                Err(CatalogError::Busy(_))
            ));
            assert!(c.harvest_source_status("rm").await.unwrap().running);
            assert!(c.show(None, "b-one").await.is_ok());
            assert_eq!(audit_count(&e).await, audits);
            c.release_harvest("rm").await.unwrap();

            // Keep: the source, its runs and its bookkeeping go; its datasets stay as they
            // were and no run touches them any more.
            let gone = c
                .delete_harvest_source(&e.admin, "keep", HarvestedDatasets::Keep)
                .await
                .unwrap();
            assert_eq!(
                (
                    gone.dataset_count,
                    gone.runs_deleted,
                    gone.source.id.as_str()
                ),
                (2, 1, "keep")
            );
            assert!(matches!(
                c.harvest_source("keep").await,
                Err(CatalogError::NotFound { .. })
            ));
            assert!(c.harvest_runs("keep", 10).await.unwrap().is_empty());
            assert!(c.harvest_objects("keep").await.unwrap().is_empty());
            assert_eq!(c.show(None, "a-one").await.unwrap(), kept_before);
            assert_eq!(
                c.show(None, "a-two").await.unwrap().state,
                DatasetState::Active
            );
            assert!(matches!(
                run(c, &fake, "keep").await,
                Err(CatalogError::NotFound { .. })
            ));
            let log = e.accounts.audit_log(Some("hagi-city"), 1).await.unwrap();
            assert_eq!(log[0].action, "harvest_source.delete");
            assert_eq!(log[0].entity_id, "keep");
            assert_eq!(log[0].after, Some(json!({"datasets": "keep"})));
            let was = log[0].before.as_ref().unwrap();
            assert_eq!(was["url"], "https://remote.example.jp");
            assert_eq!(
                (was["dataset_count"].as_u64(), was["run_count"].as_u64()),
                (Some(2), Some(1))
            );

            // Remove, where one dataset cannot be deleted by this admin (moved to another
            // organisation meanwhile): refused, and nothing is half done.
            let pref = Principal {
                memberships: vec![Membership {
                    org_id: "pref".into(),
                    org_kind: OrgKind::Prefecture,
                    org_name_ja: "県".into(),
                    org_name_en: "Pref".into(),
                    role: Role::Admin,
                }],
                ..e.admin.clone()
            };
            let b_two = c.show(None, "b-two").await.unwrap();
            c.update_dataset(
                &pref,
                &b_two.id,
                DatasetFields {
                    owner_org: "yamaguchi-city".into(),
                    ..DatasetFields::of(&b_two)
                },
            )
            .await
            .unwrap();
            let audits = audit_count(&e).await;
            assert!(matches!(
                c.delete_harvest_source(&e.admin, "rm", HarvestedDatasets::Remove)
                    .await,
                Err(CatalogError::Forbidden(_))
            ));
            assert_eq!(audit_count(&e).await, audits);
            assert_eq!(
                c.show(None, "b-one").await.unwrap().state,
                DatasetState::Active
            );
            let st = c.harvest_source_status("rm").await.unwrap();
            assert!(!st.running, "the lock taken for the delete went with it");
            assert!(st.last_run.is_some());
            assert_eq!(c.harvest_objects("rm").await.unwrap().len(), 3);

            // Remove, by the prefecture's admin: each dataset is deleted the catalog's way
            // (audited, restorable); the one deleted before stays as it was.
            let gone = c
                .delete_harvest_source(&pref, "rm", HarvestedDatasets::Remove)
                .await
                .unwrap();
            assert_eq!((gone.dataset_count, gone.runs_deleted), (2, 1));
            for name in ["b-one", "b-two", "b-three"] {
                assert!(c.show(None, name).await.is_err(), "{name}");
                let d = c.show(Some(&pref), name).await.unwrap();
                assert_eq!(d.state, DatasetState::Deleted, "{name}");
            }
            let log = e.accounts.audit_log(None, 3).await.unwrap();
            let actions: Vec<&str> = log.iter().map(|l| l.action.as_str()).collect();
            assert_eq!(
                actions,
                vec!["harvest_source.delete", "dataset.delete", "dataset.delete"]
            );
            assert_eq!(log[0].after, Some(json!({"datasets": "remove"})));
            assert!(c.harvest_objects("rm").await.unwrap().is_empty());
            assert!(c.harvest_sources().await.unwrap().is_empty());
            let back = c.undelete_dataset(&e.admin, "b-one").await.unwrap();
            assert_eq!(back.state, DatasetState::Active);
            assert!(c.show(None, "b-one").await.is_ok());
        }
    }

    #[tokio::test]
    async fn a_stale_lock_does_not_keep_a_source_from_being_deleted() {
        for e in envs().await {
            let c = &e.catalog;
            c.create_harvest_source(&e.admin, new_source("dead"))
                .await
                .unwrap();
            // A run whose process died long ago left its lock.
            with_db!(&c.db, |p| {
                sqlx::query("UPDATE harvest_sources SET running_since = $1 WHERE id = $2")
                    .bind(minutes_ago(LOCK_STALE_MINUTES + 1))
                    .bind("dead")
                    .execute(p)
                    .await
                    .unwrap();
            });
            assert!(!c.harvest_source_status("dead").await.unwrap().running);
            c.delete_harvest_source(&e.admin, "dead", HarvestedDatasets::Keep)
                .await
                .unwrap();
            assert!(c.harvest_sources().await.unwrap().is_empty());
        }
    }

    #[test]
    fn hash_ignores_key_order_and_view_counts() {
        let s = HarvestSource {
            id: "s".into(),
            name: "s".into(),
            url: "https://a.example".into(),
            target_org: "hagi-city".into(),
            filter: None,
            schedule_minutes: 60,
            enabled: true,
            created_by: "u".into(),
            created: String::new(),
        };
        let a = json!({"id": "1", "name": "n", "tracking_summary": {"total": 1}});
        let b = json!({"name": "n", "id": "1", "tracking_summary": {"total": 5}});
        assert_eq!(content_hash(&s, &a), content_hash(&s, &b));
        let c = json!({"name": "n2", "id": "1"});
        assert_ne!(content_hash(&s, &a), content_hash(&s, &c));
        let moved = HarvestSource {
            target_org: "yamaguchi-city".into(),
            ..s.clone()
        };
        assert_ne!(content_hash(&s, &a), content_hash(&moved, &a));
        assert_eq!(
            resource_format("", "https://x.example/a/b.xlsx?dl=1"),
            "XLSX"
        );
        assert_eq!(resource_format("", "https://x.example/page"), "");
        assert_eq!(resource_format(" csv ", "https://x.example/page"), "CSV");
        assert_eq!(map_license("CC-BY-4.0", ""), Some("cc-by-4.0"));
        assert_eq!(
            map_license("cc-by", "http://creativecommons.org/licenses/by/4.0"),
            Some("cc-by-4.0")
        );
        assert_eq!(map_license("odc-by", ""), None);
    }
}
