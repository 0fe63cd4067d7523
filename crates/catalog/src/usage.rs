//! How much each dataset is used: page views and file downloads per UTC day, for the home
//! page's "most used" list, the dataset page and CKAN's `tracking_summary`.
//!
//! Counting is in memory ([`Catalog::count_view`], [`Catalog::count_download`] take a lock
//! and bump a number, no database write per request); [`Catalog::flush_usage`] adds the
//! pending counts to `dataset_usage` in one transaction, and the server calls it every minute
//! and on shutdown. Readers add the counts not yet flushed, so a single process is exact at
//! once. Several processes each add their own counts, so none is lost or counted twice. The
//! "most used" list reads the stored ranking at most once a minute (and after each flush),
//! and loads its datasets through the search index's cache: the catalog home asks for it on
//! every visit.
//!
//! Only counts are kept: no visitor, address, session or user agent is stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use ydx_accounts::Principal;
use ydx_storage::{with_db, with_tx};

use crate::error::Result;
use crate::model::{Dataset, DatasetState};
use crate::store::{Catalog, can_see};

/// Days counted as "recent" (CKAN's tracking also uses a window of this order).
pub const RECENT_DAYS: i64 = 30;

/// Distinct (dataset, day) pairs kept in memory before counts are dropped rather than grow
/// without bound when the database stays unreachable.
const MAX_PENDING: usize = 200_000;

/// Views and downloads of one dataset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DatasetUsage {
    /// In the last [`RECENT_DAYS`] days, today included.
    pub views_recent: i64,
    pub downloads_recent: i64,
    /// Since counting began.
    pub views_total: i64,
    pub downloads_total: i64,
}

/// A dataset's use in the last [`RECENT_DAYS`] days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecentUse {
    pub views: i64,
    pub downloads: i64,
}

/// How long the stored part of the "most used" ranking is reused before it is read again
/// (counts of this process are added at every read; only other processes' lag this much more).
const RANKING_TTL: Duration = Duration::from_secs(60);

/// Counts not yet written: (dataset id, day) → (views, downloads).
#[derive(Debug, Default)]
pub(crate) struct UsageCounter {
    pending: Mutex<HashMap<(String, String), (i64, i64)>>,
    /// The stored recent counts of the most used datasets, when read, for `limit` candidates.
    ranking: Mutex<Option<StoredRanking>>,
}

#[derive(Debug)]
struct StoredRanking {
    read: Instant,
    since: String,
    candidates: usize,
    counts: HashMap<String, RecentUse>,
}

impl UsageCounter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), (i64, i64)>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(&self, dataset_id: &str, day: String, views: i64, downloads: i64) {
        let mut pending = self.lock();
        let key = (dataset_id.to_string(), day);
        if pending.len() >= MAX_PENDING && !pending.contains_key(&key) {
            return;
        }
        let e = pending.entry(key).or_default();
        e.0 += views;
        e.1 += downloads;
    }

    fn take(&self) -> HashMap<(String, String), (i64, i64)> {
        std::mem::take(&mut *self.lock())
    }

    fn ranking(&self) -> std::sync::MutexGuard<'_, Option<StoredRanking>> {
        self.ranking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Pending counts of one dataset on or after `since`, and in all.
    fn of(&self, dataset_id: &str, since: &str) -> DatasetUsage {
        let mut u = DatasetUsage::default();
        for ((id, day), (v, d)) in self.lock().iter() {
            if id == dataset_id {
                add_counts(&mut u, day.as_str() >= since, *v, *d);
            }
        }
        u
    }
}

fn add_counts(u: &mut DatasetUsage, recent: bool, views: i64, downloads: i64) {
    u.views_total += views;
    u.downloads_total += downloads;
    if recent {
        u.views_recent += views;
        u.downloads_recent += downloads;
    }
}

/// Today's UTC date, `YYYY-MM-DD`.
fn today() -> String {
    ydx_storage::now()[..10].to_string()
}

/// The first day of the recent window.
fn recent_since() -> String {
    let d = time::OffsetDateTime::now_utc().date() - time::Duration::days(RECENT_DAYS - 1);
    ydx_storage::format_time(d.midnight().assume_utc())[..10].to_string()
}

impl Catalog {
    /// Counts one read of a dataset's page.
    pub fn count_view(&self, dataset_id: &str) {
        self.usage.add(dataset_id, today(), 1, 0);
    }

    /// Counts one download of one of a dataset's files.
    pub fn count_download(&self, dataset_id: &str) {
        self.usage.add(dataset_id, today(), 0, 1);
    }

    /// Adds the pending counts to the database in one transaction and returns how many
    /// (dataset, day) rows it touched. If the write fails the counts are kept for the next
    /// flush. Counts of a dataset removed from the database meanwhile are dropped.
    pub async fn flush_usage(&self) -> Result<usize> {
        let pending = self.usage.take();
        if pending.is_empty() {
            return Ok(0);
        }
        let written = self.write_usage(&pending).await;
        // What was pending is stored now (or pending again): the next ranking reads it there.
        *self.usage.ranking() = None;
        if written.is_err() {
            for ((id, day), (v, d)) in pending {
                self.usage.add(&id, day, v, d);
            }
        }
        written
    }

    /// The recent counts stored in the database of the `candidates` most used datasets,
    /// read at most once per [`RANKING_TTL`] (and again after this process flushed).
    async fn stored_ranking(
        &self,
        since: &str,
        candidates: usize,
    ) -> Result<HashMap<String, RecentUse>> {
        if let Some(r) = &*self.usage.ranking()
            && r.read.elapsed() < RANKING_TTL
            && r.since == since
            && r.candidates >= candidates
        {
            return Ok(r.counts.clone());
        }
        let sql = "SELECT dataset_id, CAST(SUM(views) AS BIGINT), CAST(SUM(downloads) AS BIGINT) \
                   FROM dataset_usage WHERE day >= $1 GROUP BY dataset_id \
                   ORDER BY SUM(downloads) DESC, SUM(views) DESC, dataset_id LIMIT $2";
        let rows: Vec<(String, i64, i64)> = with_db!(&self.db, |p| {
            sqlx::query_as(sql)
                .bind(since)
                .bind(candidates as i64)
                .fetch_all(p)
                .await?
        });
        let counts: HashMap<String, RecentUse> = rows
            .into_iter()
            .map(|(id, views, downloads)| (id, RecentUse { views, downloads }))
            .collect();
        *self.usage.ranking() = Some(StoredRanking {
            read: Instant::now(),
            since: since.to_string(),
            candidates,
            counts: counts.clone(),
        });
        Ok(counts)
    }

    async fn write_usage(&self, pending: &HashMap<(String, String), (i64, i64)>) -> Result<usize> {
        let sql = "INSERT INTO dataset_usage (dataset_id, day, views, downloads) \
                   SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM datasets WHERE id = $5) \
                   ON CONFLICT (dataset_id, day) DO UPDATE SET \
                   views = dataset_usage.views + excluded.views, \
                   downloads = dataset_usage.downloads + excluded.downloads";
        let mut tx = self.db.begin().await?;
        let mut n = 0;
        for ((id, day), (views, downloads)) in pending {
            with_tx!(&mut tx, |c| {
                n += sqlx::query(sql)
                    .bind(id)
                    .bind(day)
                    .bind(views)
                    .bind(downloads)
                    .bind(id)
                    .execute(&mut *c)
                    .await?
                    .rows_affected() as usize;
            });
        }
        crate::store::commit(tx).await?;
        Ok(n)
    }

    /// Views and downloads of one dataset (flushed and pending). No visibility check: the
    /// caller has already shown the dataset.
    pub async fn dataset_usage(&self, dataset_id: &str) -> Result<DatasetUsage> {
        let since = recent_since();
        let sql = "SELECT CAST(COALESCE(SUM(CASE WHEN day >= $1 THEN views ELSE 0 END), 0) AS BIGINT), \
                   CAST(COALESCE(SUM(CASE WHEN day >= $2 THEN downloads ELSE 0 END), 0) AS BIGINT), \
                   CAST(COALESCE(SUM(views), 0) AS BIGINT), \
                   CAST(COALESCE(SUM(downloads), 0) AS BIGINT) \
                   FROM dataset_usage WHERE dataset_id = $3";
        let (views_recent, downloads_recent, views_total, downloads_total): (i64, i64, i64, i64) =
            with_db!(&self.db, |p| {
                sqlx::query_as(sql)
                    .bind(&since)
                    .bind(&since)
                    .bind(dataset_id)
                    .fetch_one(p)
                    .await?
            });
        let mut u = self.usage.of(dataset_id, &since);
        u.views_recent += views_recent;
        u.downloads_recent += downloads_recent;
        u.views_total += views_total;
        u.downloads_total += downloads_total;
        Ok(u)
    }

    /// The active datasets `viewer` may see that were downloaded or read most in the last
    /// [`RECENT_DAYS`] days (downloads first, then views), at most `limit`. Datasets nobody
    /// used are not listed.
    pub async fn most_used(
        &self,
        viewer: Option<&Principal>,
        limit: usize,
    ) -> Result<Vec<(Arc<Dataset>, RecentUse)>> {
        let since = recent_since();
        // Enough candidates that private or deleted ones among them rarely leave the list short.
        let candidates = limit * 4 + 20;
        let mut recent = self.stored_ranking(&since, candidates).await?;
        for ((id, day), (v, d)) in self.usage.lock().iter() {
            if day.as_str() >= since.as_str() {
                let u = recent.entry(id.clone()).or_default();
                u.views += v;
                u.downloads += d;
            }
        }
        let mut ranked: Vec<(String, RecentUse)> = recent.into_iter().collect();
        ranked.sort_by(|a, b| {
            (b.1.downloads, b.1.views)
                .cmp(&(a.1.downloads, a.1.views))
                .then_with(|| a.0.cmp(&b.0))
        });
        ranked.truncate(candidates);
        let ids: Vec<String> = ranked.iter().map(|(id, _)| id.clone()).collect();
        self.search_index.refresh(&self.db).await?;
        let entries = self.search_index.entries(&ids);
        let datasets = self
            .search_index
            .page(&entries, |ids| async move { self.load(&ids).await })
            .await?;
        let usage: HashMap<String, RecentUse> = ranked.into_iter().collect();
        Ok(datasets
            .into_iter()
            .filter(|d| d.state == DatasetState::Active && can_see(viewer, d))
            .take(limit)
            .map(|d| {
                let u = usage.get(&d.id).copied().unwrap_or_default();
                (d, u)
            })
            .collect())
    }
}
