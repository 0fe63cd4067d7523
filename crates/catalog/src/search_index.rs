//! The in-process search index behind [`Catalog::search`](crate::Catalog::search).
//!
//! # What it holds
//! Built from the database rows (never from anything else), so SQLite and PostgreSQL give the
//! same index and the same answers:
//! - an integer doc id per dataset (`datasets` row);
//! - per term, the sorted posting list `(doc, weight)` of `catalog_terms` (the terms and
//!   weights [`crate::index`] writes — that table stays the source of truth);
//! - per doc what search filters, counts or sorts on: state, private, organisation and licence,
//!   the interned values of tags, groups, municipalities (`dataset_spatial`) and the formats of
//!   active resources, and sort keys (name, title, metadata_modified, metadata_created: their
//!   first 32 bytes inline, the full strings for ties).
//!
//! A query intersects posting lists (shortest first, galloping), sums weights, applies
//! visibility and filters, counts facets into an array indexed by value id (no hashing per
//! doc), picks the page with a partial selection, and loads only that page's datasets from the
//! database. Result order, counts and facets are exactly what the SQL search
//! ([`Catalog::search_sql`](crate::Catalog::search_sql), kept as the test oracle) returns.
//!
//! # Staying current (one process or many on one database)
//! Every dataset write appends `(dataset_id, at)` to `catalog_changes` inside its own
//! transaction (migration 3, [`crate::index::log_change`]). To catch up, the index asks
//! `SELECT MAX(seq) FROM catalog_changes` (a probe); when that is past the last applied `seq`,
//! one task (the others wait on a mutex, then find nothing left to do) fetches the logged
//! dataset ids since, reloads just those datasets' rows (a handful of `IN` queries) and swaps
//! them in under the write lock; searches compute under the read lock, so none sees half an
//! update. On PostgreSQL writers lock `catalog_changes` (SHARE ROW EXCLUSIVE, until commit)
//! before appending, so sequence numbers become visible in commit order and "everything after
//! the last applied seq" cannot skip a change committed late. Large catch-ups (more than a
//! quarter of the datasets) rebuild instead.
//!
//! A search does not probe when the index already knows it is current:
//! - **this process's writes** record their `seq` as they append it, so the first search that
//!   starts after such a write commits always probes and sees it (a write is in the writer's
//!   next search);
//! - **other processes' writes** on PostgreSQL: every append also sends `NOTIFY
//!   ydx_catalog_changes`, which PostgreSQL delivers at commit; a listener task (its own
//!   connection) counts them, and a search probes when one arrived since the last probe.
//!   A write by another server is thus in searches here once the notification has arrived
//!   (well under a millisecond on one host). While the listener is not connected, every search
//!   probes (as every search did before there was a listener); a reconnect forces a probe,
//!   since notifications may have been missed. At least one probe per [`LISTENED`] stays as
//!   a safety net;
//! - **other processes' writes** on SQLite (a CLI command beside the server): SQLite has no
//!   notifications, so when the last probe is older than [`SQLITE_UNHEARD`] one search probes
//!   (the others answer from the index meanwhile) — such a write is in this process's
//!   searches within about that time. The same holds for [`LISTENED`] on PostgreSQL.
//!
//! Probes that are needed are shared on PostgreSQL: searches arriving while one is in flight
//! wait for one sent after they arrived, so under load one round trip serves many.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use sqlx::AssertSqlSafe;
use ydx_accounts::Principal;
use ydx_storage::{Db, with_db};

use crate::error::Result;
use crate::model::Dataset;
use crate::search::{
    FacetField, FacetValue, FilterField, FilterTest, SearchQuery, SortOrder, TimeField,
};
use crate::store::placeholders;

/// Bytes of a sort key kept inline (timestamps fit; longer names and titles fall back to
/// their full strings only when the first 32 bytes tie).
const KEY: usize = 32;
/// The first [`KEY`] bytes (zero-padded) as two big-endian integers: they order as the bytes
/// do, and compare in a few instructions (a `[u8; 32]` compares through `memcmp`, which
/// dominated relevance sorts, whose many equal scores fall through to this key).
type Key = (u128, u128);

fn key(s: &str) -> Key {
    let mut k = [0u8; KEY];
    let b = s.as_bytes();
    let n = b.len().min(KEY);
    k[..n].copy_from_slice(&b[..n]);
    let (hi, lo) = k.split_at(KEY / 2);
    let half = |h: &[u8]| u128::from_be_bytes(h.try_into().unwrap_or_default());
    (half(hi), half(lo))
}

const STATE_ACTIVE: u8 = 0;
const STATE_DRAFT: u8 = 1;
const STATE_DELETED: u8 = 2;
/// The dataset row no longer exists.
const STATE_GONE: u8 = 3;
const PRIVATE: u8 = 4;

// Field numbers of interned values, as in FacetField::ALL.
const F_ORG: u8 = 0;
const F_MUNI: u8 = 1;
const F_TAGS: u8 = 2;
const F_GROUPS: u8 = 3;
const F_FORMAT: u8 = 4;
const F_LICENSE: u8 = 5;

fn field_no(f: FacetField) -> u8 {
    match f {
        FacetField::Organization => F_ORG,
        FacetField::Municipality => F_MUNI,
        FacetField::Tags => F_TAGS,
        FacetField::Groups => F_GROUPS,
        FacetField::ResFormat => F_FORMAT,
        FacetField::LicenseId => F_LICENSE,
    }
}

/// A [`FilterTest`] resolved for one query.
enum Check<'q> {
    /// The doc has one of these value ids.
    Values(Vec<u32>),
    /// The doc is one of these (sorted).
    Docs(Vec<u32>),
    Names(&'q [String]),
    Within {
        created: bool,
        from: Option<(&'q str, bool)>,
        to: Option<(&'q str, bool)>,
    },
}

#[derive(Clone, Copy)]
struct Posting {
    doc: u32,
    weight: u32,
}

#[derive(Default)]
struct SortKeys {
    name: Key,
    title: Key,
    modified: Key,
    created: Key,
}

/// The cold part of a doc (strings for ties and the page, lists for updates).
#[derive(Default)]
struct Doc {
    id: Box<str>,
    name: Box<str>,
    title: Box<str>,
    modified: Box<str>,
    created: Box<str>,
    /// Term ids, to take the doc out of its posting lists on update.
    terms: Box<[u32]>,
}

/// The index proper. `flags`, `org`, `license`, `keys` are per doc (parallel to `docs`), kept
/// apart so the scans over matching docs touch little memory.
#[derive(Default)]
struct Index {
    built: bool,
    /// Last applied `catalog_changes.seq`.
    seq: i64,
    doc_of: HashMap<Box<str>, u32>,
    docs: Vec<Doc>,
    flags: Vec<u8>,
    org: Vec<u32>,
    license: Vec<u32>,
    keys: Vec<SortKeys>,
    /// Per doc, where its interned values (organisation, licence, tags, groups,
    /// municipalities, formats; sorted) lie in `val_data`: (start, len). Facet counting reads
    /// them for every match, so they are packed in doc order (matches come in doc order)
    /// rather than boxed apart.
    val_at: Vec<(u32, u32)>,
    /// The values themselves. A reloaded doc's new list is appended (its old one becomes
    /// garbage, counted in `val_garbage`); the arena is repacked when half of it is garbage.
    val_data: Vec<u32>,
    val_garbage: usize,
    /// Bumped whenever the doc is reloaded: a cached dataset is valid only for its generation.
    generation: Vec<u64>,
    term_of: HashMap<Box<str>, u32>,
    postings: Vec<Vec<Posting>>,
    /// Value id → (field, value); per field, value → id.
    values: Vec<(u8, Box<str>)>,
    value_of: [HashMap<Box<str>, u32>; 6],
}

/// The rows of some datasets (all of them at build) as read from the database.
#[derive(Default)]
struct Rows {
    datasets: Vec<DatasetRow>,
    /// (dataset id, field, value)
    vals: Vec<(String, u8, String)>,
    /// (term, dataset id, weight)
    terms: Vec<(String, String, i64)>,
}

type DatasetRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
);

const DATASET_SQL: &str = "SELECT id, name, title, state, private, owner_org, license_id, \
    metadata_created, metadata_modified FROM datasets";

/// The filter tables: (field, SQL selecting (dataset_id, value)).
const VALUE_SQL: [(u8, &str); 4] = [
    (F_TAGS, "SELECT dataset_id, tag FROM dataset_tags"),
    (
        F_GROUPS,
        "SELECT dataset_id, group_name FROM dataset_groups",
    ),
    (F_MUNI, "SELECT dataset_id, code FROM dataset_spatial"),
    (
        F_FORMAT,
        "SELECT DISTINCT dataset_id, format FROM resources WHERE state = 'active'",
    ),
];

/// Term rows fetched per query while building (keyset pages keep memory bounded).
const TERM_PAGE: i64 = 100_000;

/// The index of one [`Catalog`](crate::Catalog) (shared by its clones).
#[derive(Default)]
pub(crate) struct SearchIndex {
    index: RwLock<Index>,
    catch_up: tokio::sync::Mutex<()>,
    /// Datasets of recent pages, complete with resources, by doc: (generation, dataset). An
    /// entry serves only while its doc's generation is unchanged, so a reload invalidates it.
    cache: Mutex<HashMap<u32, (u64, Arc<Dataset>)>>,
    /// Serialises shared probes (PostgreSQL): holders find the last probe in `known`.
    probing: tokio::sync::Mutex<()>,
    known: Arc<Known>,
}

/// What this process knows of the change log without asking the database.
#[derive(Default)]
struct Known {
    /// The highest `seq` this process's writes appended (recorded inside the write's
    /// transaction, so before it commits).
    own: AtomicI64,
    /// Notifications heard (PostgreSQL), plus one per listener (re)connection.
    heard: AtomicU64,
    /// The PostgreSQL listener is connected and listening.
    listening: AtomicBool,
    /// A listener task was started.
    started: AtomicBool,
    /// Probes sent.
    probes: AtomicU64,
    /// Datasets loaded from the database for pages (not found in the page cache).
    loaded: AtomicU64,
    /// A search is looking because the last probe's time was up.
    looking: AtomicBool,
    last: Mutex<Option<Probe>>,
}

/// See [`SearchIndex::currency`].
enum Currency {
    Current,
    Due,
    Behind,
}

/// A raised flag, lowered when dropped.
struct Flag<'a>(&'a AtomicBool);

impl<'a> Flag<'a> {
    /// Raises `flag` unless it is up already.
    fn raise(flag: &'a AtomicBool) -> Option<Flag<'a>> {
        (!flag.swap(true, Ordering::SeqCst)).then_some(Flag(flag))
    }
}

impl Drop for Flag<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// One `MAX(seq)` probe: `heard` as it was when sent, when sent, what it returned.
#[derive(Clone, Copy)]
struct Probe {
    heard: u64,
    sent: Instant,
    seq: i64,
}

/// The PostgreSQL channel writers notify and listeners listen on.
pub(crate) const CHANNEL: &str = "ydx_catalog_changes";

/// With a connected listener, a search still probes if the last probe is older than this.
pub const LISTENED: Duration = Duration::from_secs(5);

/// On SQLite, a search probes if the last probe is older than this (writes by other
/// processes show within it).
pub const SQLITE_UNHEARD: Duration = Duration::from_millis(100);

/// Datasets the page cache holds at most (when full, an arbitrary tenth is dropped). About
/// 1–2 KB each without column lists, so some tens of MB.
const CACHE_DATASETS: usize = 20_000;

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (docs, seq) = self
            .index
            .read()
            .map(|i| (i.docs.len(), i.seq))
            .unwrap_or_default();
        f.debug_struct("SearchIndex")
            .field("docs", &docs)
            .field("seq", &seq)
            .finish()
    }
}

/// Size of the index, for the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchIndexStats {
    pub datasets: usize,
    pub terms: usize,
    pub postings: usize,
    pub values: usize,
    /// Heap bytes of the structures (capacities, strings, maps; allocator overhead excluded).
    pub approx_bytes: usize,
    /// Last applied change.
    pub seq: i64,
    /// Change-log probes sent so far (searches that found the index current sent none).
    pub probes: u64,
    /// The PostgreSQL change listener is connected (always false on SQLite).
    pub listening: bool,
    /// Datasets read from the database for result pages (the others came from the cache).
    pub page_loads: u64,
}

/// What a query computed: the total, the facets, the page's dataset ids.
pub(crate) struct Hits {
    pub count: i64,
    pub facets: std::collections::BTreeMap<String, Vec<FacetValue>>,
    /// (doc, generation, dataset id) of the page, in order.
    pub page: Vec<(u32, u64, String)>,
}

fn read_lock(l: &RwLock<Index>) -> std::sync::RwLockReadGuard<'_, Index> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write_lock(l: &RwLock<Index>) -> std::sync::RwLockWriteGuard<'_, Index> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The listener task: counts notifications on [`CHANNEL`] into `known.heard`, on its own
/// connection, reconnecting after errors (every reconnect counts as heard, since
/// notifications may have been missed meanwhile).
async fn listen(options: sqlx::postgres::PgConnectOptions, known: Weak<Known>) {
    use sqlx::postgres::{PgListener, PgPoolOptions};
    loop {
        let connected = async {
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .max_lifetime(None)
                .idle_timeout(None)
                .connect_with(options.clone())
                .await?;
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            let schema: String = sqlx::query_scalar("SELECT current_schema()")
                .fetch_one(&mut listener)
                .await?;
            Ok::<_, sqlx::Error>((listener, schema))
        }
        .await;
        match connected {
            Ok((mut listener, schema)) => {
                let Some(k) = known.upgrade() else { return };
                k.heard.fetch_add(1, Ordering::SeqCst);
                k.listening.store(true, Ordering::SeqCst);
                drop(k);
                loop {
                    let got = listener.try_recv().await;
                    let Some(k) = known.upgrade() else { return };
                    match got {
                        // Another schema's catalog (tests, or several sites on one database).
                        Ok(Some(n)) if n.payload() != schema => {}
                        // A change, or a lost connection (re-established before `try_recv`
                        // returns, but changes may have been missed): either way, probe.
                        Ok(_) => {
                            k.heard.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => {
                            k.heard.fetch_add(1, Ordering::SeqCst);
                            k.listening.store(false, Ordering::SeqCst);
                            tracing::warn!(error = %e, "search index: change listener failed; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "search index: cannot listen for changes; every search probes until it can");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        if known.strong_count() == 0 {
            return;
        }
    }
}

async fn max_seq(db: &Db) -> Result<i64> {
    let sql = "SELECT MAX(seq) FROM catalog_changes";
    let seq: Option<i64> = with_db!(db, |p| sqlx::query_scalar(sql).fetch_one(p).await?);
    Ok(seq.unwrap_or(0))
}

impl SearchIndex {
    /// Brings the index up to the database's latest change (building it on first use), or
    /// returns at once when it knows nothing changed (see the module's documentation).
    pub(crate) async fn refresh(&self, db: &Db) -> Result<()> {
        let _due = match self.currency(db) {
            Currency::Current => return Ok(()),
            // Only time says to look: one search looks, the others go on meanwhile (a
            // change by another process shows within the period either way).
            Currency::Due => match Flag::raise(&self.known.looking) {
                Some(flag) => Some(flag),
                None => return Ok(()),
            },
            Currency::Behind => None,
        };
        self.listen(db);
        let latest = self.latest_seq(db).await?;
        {
            let i = read_lock(&self.index);
            if i.built && i.seq == latest {
                return Ok(());
            }
        }
        let _one = self.catch_up.lock().await;
        // Another task may have caught up while this one waited; look again.
        let latest = self.probe(db).await?;
        let (built, seq, docs) = {
            let i = read_lock(&self.index);
            (i.built, i.seq, i.docs.len())
        };
        if built && seq == latest {
            return Ok(());
        }
        // The log is pruned (Catalog::prune_change_log): when its oldest row is past the next
        // one this index needs, changes may be missing, so the index is built afresh.
        let oldest: Option<i64> = with_db!(db, |p| {
            sqlx::query_scalar("SELECT MIN(seq) FROM catalog_changes")
                .fetch_one(p)
                .await?
        });
        let pruned_past = oldest.is_some_and(|o| o > seq + 1);
        if built && seq < latest && !pruned_past {
            let sql = "SELECT seq, dataset_id FROM catalog_changes WHERE seq > $1 ORDER BY seq";
            let changes: Vec<(i64, String)> =
                with_db!(db, |p| sqlx::query_as(sql).bind(seq).fetch_all(p).await?);
            let upto = changes.last().map_or(seq, |c| c.0);
            let mut ids: Vec<String> = changes.into_iter().map(|c| c.1).collect();
            ids.sort();
            ids.dedup();
            if ids.len() <= docs / 4 + 64 {
                let rows = load_rows(db, Some(&ids)).await?;
                let mut i = write_lock(&self.index);
                let mut cache = self.cache_lock();
                for id in &ids {
                    if let Some(doc) = i.doc_of.get(id.as_str()) {
                        cache.remove(doc);
                    }
                    i.remove(id);
                }
                i.apply(rows);
                i.seq = upto;
                return Ok(());
            }
        }
        // First use, a large catch-up, a log pruned past this index, or a database whose log
        // went backwards (replaced).
        let fresh = build(db, latest).await?;
        let mut i = write_lock(&self.index);
        *i = fresh;
        self.cache_lock().clear();
        Ok(())
    }

    /// Records a change this process appended (inside its transaction, before commit): the
    /// first search after the commit then probes and applies it.
    pub(crate) fn wrote(&self, seq: i64) {
        self.known.own.fetch_max(seq, Ordering::SeqCst);
    }

    /// What the index knows of its currency without a probe: current when its last probe was
    /// recent enough, nothing was heard since, it applied exactly what that probe returned,
    /// and this process wrote nothing after; only due when all of that holds but the probe's
    /// time is up.
    fn currency(&self, db: &Db) -> Currency {
        let trust = match db {
            Db::Sqlite(_) => SQLITE_UNHEARD,
            Db::Postgres(_) if self.known.listening.load(Ordering::SeqCst) => LISTENED,
            Db::Postgres(_) => return Currency::Behind,
        };
        let Some(probe) = *lock(&self.known.last) else {
            return Currency::Behind;
        };
        if probe.heard != self.known.heard.load(Ordering::SeqCst) {
            return Currency::Behind;
        }
        let i = read_lock(&self.index);
        if !(i.built && i.seq == probe.seq && self.known.own.load(Ordering::SeqCst) <= i.seq) {
            return Currency::Behind;
        }
        if probe.sent.elapsed() >= trust {
            Currency::Due
        } else {
            Currency::Current
        }
    }

    /// Asks the database for `MAX(seq)` and remembers the answer with what was heard before.
    async fn probe(&self, db: &Db) -> Result<i64> {
        let heard = self.known.heard.load(Ordering::SeqCst);
        let sent = Instant::now();
        self.known.probes.fetch_add(1, Ordering::SeqCst);
        let seq = max_seq(db).await?;
        let mut last = lock(&self.known.last);
        if last.is_none_or(|l| l.sent <= sent) {
            *last = Some(Probe { heard, sent, seq });
        }
        Ok(seq)
    }

    /// `MAX(seq)` of the change log as of some moment after this call began. On PostgreSQL,
    /// searches arriving while a probe is in flight wait for it, then for one sent after they
    /// arrived (or reuse such a probe that already finished): under load, one round trip
    /// serves many searches, and none misses a change committed before it arrived.
    async fn latest_seq(&self, db: &Db) -> Result<i64> {
        if matches!(db, Db::Sqlite(_)) {
            // In-process and parallel: sharing would only add waiting.
            return self.probe(db).await;
        }
        let arrived = Instant::now();
        let _turn = self.probing.lock().await;
        if let Some(p) = *lock(&self.known.last)
            && p.sent > arrived
        {
            return Ok(p.seq);
        }
        self.probe(db).await
    }

    /// Starts the PostgreSQL listener once (a no-op on SQLite). It runs until the catalog is
    /// dropped (checked as each notification arrives) or the runtime ends.
    fn listen(&self, db: &Db) {
        let Db::Postgres(pool) = db else { return };
        if self.known.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let options = (*pool.connect_options()).clone();
        let known = Arc::downgrade(&self.known);
        tokio::spawn(listen(options, known));
    }

    fn cache_lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, (u64, Arc<Dataset>)>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The page's datasets: from the cache where their generation still holds, the others
    /// through `load` (from the database), which are then cached unless reloaded meanwhile.
    pub(crate) async fn page<F, Fut>(
        &self,
        page: &[(u32, u64, String)],
        load: F,
    ) -> Result<Vec<Arc<Dataset>>>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Dataset>>>,
    {
        let mut found: Vec<Option<Arc<Dataset>>> = {
            let cache = self.cache_lock();
            page.iter()
                .map(|(doc, generation, _)| match cache.get(doc) {
                    Some((g, d)) if g == generation => Some(d.clone()),
                    _ => None,
                })
                .collect()
        };
        let missing: Vec<String> = page
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|((_, _, id), _)| id.clone())
            .collect();
        if !missing.is_empty() {
            self.known
                .loaded
                .fetch_add(missing.len() as u64, Ordering::Relaxed);
            let loaded = load(missing).await?;
            let by_id: HashMap<String, Arc<Dataset>> = loaded
                .into_iter()
                .map(|d| (d.id.clone(), Arc::new(d)))
                .collect();
            let index = read_lock(&self.index);
            let mut cache = self.cache_lock();
            if cache.len() + by_id.len() > CACHE_DATASETS {
                let drop: Vec<u32> = cache
                    .keys()
                    .take(CACHE_DATASETS / 10 + by_id.len())
                    .copied()
                    .collect();
                for k in drop {
                    cache.remove(&k);
                }
            }
            for ((doc, generation, id), slot) in page.iter().zip(found.iter_mut()) {
                if slot.is_some() {
                    continue;
                }
                if let Some(d) = by_id.get(id.as_str()) {
                    // A reload since the page was computed makes this copy unfit to keep.
                    if index.generation.get(*doc as usize) == Some(generation) {
                        cache.insert(*doc, (*generation, d.clone()));
                    }
                    *slot = Some(d.clone());
                }
            }
        }
        Ok(found.into_iter().flatten().collect())
    }

    pub(crate) fn stats(&self) -> SearchIndexStats {
        SearchIndexStats {
            probes: self.known.probes.load(Ordering::SeqCst),
            listening: self.known.listening.load(Ordering::SeqCst),
            page_loads: self.known.loaded.load(Ordering::Relaxed),
            ..read_lock(&self.index).stats()
        }
    }

    /// `ids` as page entries for [`SearchIndex::page`] (ids the index does not know are left
    /// out), so callers outside search reuse the dataset cache.
    pub(crate) fn entries(&self, ids: &[String]) -> Vec<(u32, u64, String)> {
        let index = read_lock(&self.index);
        ids.iter()
            .filter_map(|id| {
                let doc = *index.doc_of.get(id.as_str())?;
                Some((doc, index.generation[doc as usize], id.clone()))
            })
            .collect()
    }

    /// Runs a query against the current index (call [`SearchIndex::refresh`] first).
    pub(crate) fn query(
        &self,
        viewer: Option<&Principal>,
        query: &SearchQuery,
        terms: &[String],
    ) -> Hits {
        read_lock(&self.index).query(viewer, query, terms)
    }
}

/// Reads every dataset's rows and builds the index as of log position `seq`, read before, so
/// a write committed while building is applied again by the next refresh (reloads are
/// idempotent).
async fn build(db: &Db, seq: i64) -> Result<Index> {
    let mut index = Index::default();
    index.apply(load_rows(db, None).await?);
    // Postings of the remaining pages: (term, dataset_id) keyset pages, in key order.
    let mut last: Option<(String, String)> = None;
    loop {
        let page: Vec<(String, String, i64)> = match &last {
            None => {
                let sql = format!(
                    "SELECT term, dataset_id, weight FROM catalog_terms \
                     ORDER BY term, dataset_id LIMIT {TERM_PAGE}"
                );
                with_db!(db, |p| sqlx::query_as(AssertSqlSafe(sql))
                    .fetch_all(p)
                    .await?)
            }
            Some((t, d)) => {
                let sql = format!(
                    "SELECT term, dataset_id, weight FROM catalog_terms \
                     WHERE term > $1 OR (term = $1 AND dataset_id > $2) \
                     ORDER BY term, dataset_id LIMIT {TERM_PAGE}"
                );
                with_db!(db, |p| sqlx::query_as(AssertSqlSafe(sql))
                    .bind(t)
                    .bind(d)
                    .fetch_all(p)
                    .await?)
            }
        };
        let full = page.len() as i64 == TERM_PAGE;
        last = page.last().map(|(t, d, _)| (t.clone(), d.clone()));
        index.apply_terms(page);
        if !full {
            break;
        }
    }
    for list in &mut index.postings {
        list.sort_unstable_by_key(|p| p.doc);
        list.shrink_to_fit();
    }
    for (doc, terms) in index.pending_terms() {
        index.docs[doc].terms = terms;
    }
    index.seq = seq;
    index.built = true;
    Ok(index)
}

/// The rows of `ids` (every dataset when `None`; then without terms, which [`build`] pages).
async fn load_rows(db: &Db, ids: Option<&[String]>) -> Result<Rows> {
    let mut rows = Rows::default();
    let chunks: Vec<&[String]> = match ids {
        Some(ids) => ids.chunks(500).collect(),
        None => vec![&[]],
    };
    for chunk in chunks {
        let (dw, vw) = if ids.is_some() {
            let ph = placeholders(1, chunk.len());
            (
                format!(" WHERE id IN ({ph})"),
                format!(" dataset_id IN ({ph})"),
            )
        } else {
            (String::new(), String::new())
        };
        // Docs are numbered in this order: oldest first on both databases, which the page
        // heap relies on (see `keep_first`) and which keeps an index's layout the same
        // whichever database it was read from.
        let sql = format!("{DATASET_SQL}{dw} ORDER BY metadata_created, id");
        let ds: Vec<DatasetRow> = with_db!(db, |p| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(p).await?
        });
        rows.datasets.extend(ds);
        for (field, base) in VALUE_SQL {
            let sql = if vw.is_empty() {
                base.to_string()
            } else if base.contains(" WHERE ") {
                format!("{base} AND{vw}")
            } else {
                format!("{base} WHERE{vw}")
            };
            let vs: Vec<(String, String)> = with_db!(db, |p| {
                let mut q = sqlx::query_as(AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(p).await?
            });
            rows.vals
                .extend(vs.into_iter().map(|(id, v)| (id, field, v)));
        }
        if ids.is_some() {
            let sql = format!("SELECT term, dataset_id, weight FROM catalog_terms WHERE{vw}");
            let ts: Vec<(String, String, i64)> = with_db!(db, |p| {
                let mut q = sqlx::query_as(AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(p).await?
            });
            rows.terms.extend(ts);
        }
    }
    Ok(rows)
}

impl Index {
    fn intern(&mut self, field: u8, value: &str) -> u32 {
        if let Some(&v) = self.value_of[field as usize].get(value) {
            return v;
        }
        let v = self.values.len() as u32;
        self.values.push((field, value.into()));
        self.value_of[field as usize].insert(value.into(), v);
        v
    }

    fn value(&self, field: u8, value: &str) -> Option<u32> {
        self.value_of[field as usize].get(value).copied()
    }

    /// Takes a dataset out of its posting lists and marks it gone (its doc id is kept for
    /// when it comes back).
    fn remove(&mut self, id: &str) {
        let Some(&doc) = self.doc_of.get(id) else {
            return;
        };
        let terms = std::mem::take(&mut self.docs[doc as usize].terms);
        for t in terms.iter() {
            let list = &mut self.postings[*t as usize];
            if let Ok(pos) = list.binary_search_by_key(&doc, |p| p.doc) {
                list.remove(pos);
            }
        }
        self.set_vals(doc, Vec::new());
        self.flags[doc as usize] = STATE_GONE;
        self.generation[doc as usize] += 1;
    }

    /// A doc's interned values.
    fn vals(&self, doc: usize) -> &[u32] {
        let (start, len) = self.val_at[doc];
        &self.val_data[start as usize..(start + len) as usize]
    }

    /// Replaces a doc's values (in place when they fit, else appended).
    fn set_vals(&mut self, doc: u32, list: Vec<u32>) {
        let (start, len) = self.val_at[doc as usize];
        if list.len() <= len as usize {
            let at = start as usize;
            self.val_data[at..at + list.len()].copy_from_slice(&list);
            self.val_garbage += len as usize - list.len();
            self.val_at[doc as usize] = (start, list.len() as u32);
        } else {
            self.val_garbage += len as usize;
            self.val_at[doc as usize] = (self.val_data.len() as u32, list.len() as u32);
            self.val_data.extend_from_slice(&list);
        }
    }

    /// Rewrites `val_data` in doc order without garbage.
    fn repack_vals(&mut self) {
        let mut data = Vec::with_capacity(self.val_data.len() - self.val_garbage);
        for doc in 0..self.val_at.len() {
            let start = data.len() as u32;
            data.extend_from_slice(self.vals(doc));
            self.val_at[doc].0 = start;
        }
        self.val_data = data;
        self.val_garbage = 0;
    }

    /// Adds (or replaces) the datasets of `rows`, whose docs must have been removed first
    /// when they existed.
    fn apply(&mut self, rows: Rows) {
        let mut vals: HashMap<u32, Vec<u32>> = HashMap::new();
        for (id, name, title, state, private, org, license, created, modified) in rows.datasets {
            let doc = match self.doc_of.get(id.as_str()) {
                Some(&d) => d,
                None => {
                    let d = self.docs.len() as u32;
                    self.doc_of.insert(id.as_str().into(), d);
                    self.docs.push(Doc::default());
                    self.flags.push(STATE_GONE);
                    self.org.push(0);
                    self.license.push(0);
                    self.keys.push(SortKeys::default());
                    self.val_at.push((0, 0));
                    self.generation.push(0);
                    d
                }
            };
            let state = match state.as_str() {
                "active" => STATE_ACTIVE,
                "draft" => STATE_DRAFT,
                "deleted" => STATE_DELETED,
                _ => STATE_GONE,
            };
            let o = self.intern(F_ORG, &org);
            let l = self.intern(F_LICENSE, &license);
            let i = doc as usize;
            self.flags[i] = state | if private != 0 { PRIVATE } else { 0 };
            self.org[i] = o;
            self.license[i] = l;
            self.keys[i] = SortKeys {
                name: key(&name),
                title: key(&title),
                modified: key(&modified),
                created: key(&created),
            };
            let d = &mut self.docs[i];
            d.id = id.into();
            d.name = name.into();
            d.title = title.into();
            d.modified = modified.into();
            d.created = created.into();
            vals.insert(doc, vec![o, l]);
        }
        for (id, field, value) in rows.vals {
            let Some(&doc) = self.doc_of.get(id.as_str()) else {
                continue;
            };
            let v = self.intern(field, &value);
            if let Some(list) = vals.get_mut(&doc) {
                list.push(v);
            }
        }
        let mut vals: Vec<(u32, Vec<u32>)> = vals.into_iter().collect();
        vals.sort_unstable_by_key(|v| v.0);
        for (doc, mut list) in vals {
            list.sort_unstable();
            list.dedup();
            self.set_vals(doc, list);
        }
        if self.val_garbage > self.val_data.len() / 2 {
            self.repack_vals();
        }
        if !rows.terms.is_empty() {
            let mut per_doc: HashMap<u32, Vec<u32>> = HashMap::new();
            for (term, id, weight) in rows.terms {
                let Some(&doc) = self.doc_of.get(id.as_str()) else {
                    continue;
                };
                let t = self.term_id(&term);
                let list = &mut self.postings[t as usize];
                let p = Posting {
                    doc,
                    weight: weight as u32,
                };
                match list.binary_search_by_key(&doc, |p| p.doc) {
                    Ok(pos) => list[pos] = p,
                    Err(pos) => list.insert(pos, p),
                }
                per_doc.entry(doc).or_default().push(t);
            }
            for (doc, terms) in per_doc {
                self.docs[doc as usize].terms = terms.into_boxed_slice();
            }
        }
    }

    fn term_id(&mut self, term: &str) -> u32 {
        if let Some(&t) = self.term_of.get(term) {
            return t;
        }
        let t = self.postings.len() as u32;
        self.term_of.insert(term.into(), t);
        self.postings.push(Vec::new());
        t
    }

    /// Build only: appends postings unsorted (sorted once at the end) and records each doc's
    /// terms in `docs[..].terms` via a side table.
    fn apply_terms(&mut self, rows: Vec<(String, String, i64)>) {
        let mut last: Option<(String, u32)> = None;
        for (term, id, weight) in rows {
            let Some(&doc) = self.doc_of.get(id.as_str()) else {
                continue;
            };
            let t = match &last {
                Some((lt, t)) if *lt == term => *t,
                _ => {
                    let t = self.term_id(&term);
                    last = Some((term, t));
                    t
                }
            };
            self.postings[t as usize].push(Posting {
                doc,
                weight: weight as u32,
            });
        }
    }

    /// Build only: each doc's term ids, from the postings.
    fn pending_terms(&self) -> Vec<(usize, Box<[u32]>)> {
        let mut per_doc: Vec<Vec<u32>> = vec![Vec::new(); self.docs.len()];
        for (t, list) in self.postings.iter().enumerate() {
            for p in list {
                per_doc[p.doc as usize].push(t as u32);
            }
        }
        per_doc
            .into_iter()
            .enumerate()
            .map(|(d, v)| (d, v.into_boxed_slice()))
            .collect()
    }

    fn stats(&self) -> SearchIndexStats {
        let postings: usize = self.postings.iter().map(Vec::len).sum();
        let mut bytes = 0usize;
        bytes += self.postings.capacity() * std::mem::size_of::<Vec<Posting>>();
        bytes += self
            .postings
            .iter()
            .map(|l| l.capacity() * std::mem::size_of::<Posting>())
            .sum::<usize>();
        // Hash maps: key box + value + control byte per bucket, roughly.
        bytes += self
            .term_of
            .keys()
            .map(|k| k.len() + 16 + 4 + 1)
            .sum::<usize>();
        bytes += self
            .doc_of
            .keys()
            .map(|k| k.len() + 16 + 4 + 1)
            .sum::<usize>();
        bytes += self.docs.capacity() * std::mem::size_of::<Doc>();
        bytes += self
            .docs
            .iter()
            .map(|d| {
                d.id.len()
                    + d.name.len()
                    + d.title.len()
                    + d.modified.len()
                    + d.created.len()
                    + 4 * d.terms.len()
            })
            .sum::<usize>();
        bytes += self.flags.capacity()
            + 4 * (self.org.capacity() + self.license.capacity())
            + self.keys.capacity() * std::mem::size_of::<SortKeys>()
            + 8 * self.val_at.capacity()
            + 4 * self.val_data.capacity();
        bytes += self
            .values
            .iter()
            .map(|(_, v)| 2 * (v.len() + 16) + 8)
            .sum::<usize>();
        SearchIndexStats {
            datasets: self.docs.len(),
            terms: self.postings.len(),
            postings,
            values: self.values.len(),
            approx_bytes: bytes,
            seq: self.seq,
            ..SearchIndexStats::default()
        }
    }

    fn query(&self, viewer: Option<&Principal>, query: &SearchQuery, terms: &[String]) -> Hits {
        let mut facets: std::collections::BTreeMap<String, Vec<FacetValue>> = query
            .facet_fields
            .iter()
            .map(|f| (f.as_str().to_string(), Vec::new()))
            .collect();
        let empty = |facets| Hits {
            count: 0,
            facets,
            page: Vec::new(),
        };
        // Visibility (as the SQL's clauses): orgs the viewer reads, as value ids.
        let admin = viewer.is_some_and(Principal::is_prefecture_admin);
        let readable: Vec<u32> = viewer
            .map(Principal::readable_org_ids)
            .unwrap_or_default()
            .iter()
            .filter_map(|o| self.value(F_ORG, o))
            .collect();
        let drafts = query.include_drafts && viewer.is_some();
        let privates = query.include_private && viewer.is_some();
        // Filters as value ids; an unknown value matches nothing.
        let f = &query.filters;
        let alternatives = |field: u8, values: &[String]| -> Option<Vec<u32>> {
            if values.is_empty() {
                return None;
            }
            Some(values.iter().filter_map(|v| self.value(field, v)).collect())
        };
        let orgs = alternatives(F_ORG, &f.organization);
        let licenses = alternatives(F_LICENSE, &f.license_id);
        let mut required: Vec<u32> = Vec::new();
        for (field, values) in [
            (F_TAGS, &f.tags),
            (F_GROUPS, &f.groups),
            (F_MUNI, &f.municipality),
        ] {
            for v in values {
                match self.value(field, v) {
                    Some(id) => required.push(id),
                    None => return empty(facets),
                }
            }
        }
        for v in &f.res_format {
            match self.value(F_FORMAT, &v.to_uppercase()) {
                Some(id) => required.push(id),
                None => return empty(facets),
            }
        }
        let checks: Vec<(Check<'_>, bool)> = f
            .conditions
            .iter()
            .map(|c| (self.check(&c.test), c.negate))
            .collect();
        let keep = |doc: u32| -> bool {
            let i = doc as usize;
            let flags = self.flags[i];
            let org = self.org[i];
            let org_ok = || admin || readable.contains(&org);
            let state_ok = match flags & 3 {
                STATE_ACTIVE => true,
                STATE_DRAFT => drafts && org_ok(),
                _ => false,
            };
            state_ok
                && (flags & PRIVATE == 0 || (privates && org_ok()))
                && orgs.as_ref().is_none_or(|o| o.contains(&org))
                && licenses
                    .as_ref()
                    .is_none_or(|l| l.contains(&self.license[i]))
                && required.iter().all(|r| self.vals(i).contains(r))
                && checks.iter().all(|(c, negate)| self.holds(c, i) != *negate)
        };

        // Matching docs with their scores.
        let mut hits: Vec<(u32, i64)> = if terms.is_empty() {
            (0..self.docs.len() as u32)
                .filter(|&d| keep(d))
                .map(|d| (d, 0))
                .collect()
        } else {
            let mut lists: Vec<&[Posting]> = Vec::with_capacity(terms.len());
            for t in terms {
                match self.term_of.get(t.as_str()) {
                    Some(&id) => lists.push(&self.postings[id as usize]),
                    None => return empty(facets),
                }
            }
            lists.sort_by_key(|l| l.len());
            let mut acc: Vec<(u32, i64)> = lists[0]
                .iter()
                .map(|p| (p.doc, i64::from(p.weight)))
                .collect();
            for list in &lists[1..] {
                intersect(&mut acc, list);
                if acc.is_empty() {
                    break;
                }
            }
            acc.retain(|&(d, _)| keep(d));
            acc
        };

        if !query.facet_fields.is_empty() {
            let mut counts = vec![0u32; self.values.len()];
            for &(d, _) in &hits {
                for &v in self.vals(d as usize) {
                    counts[v as usize] += 1;
                }
            }
            for field in &query.facet_fields {
                let no = field_no(*field);
                let mut out: Vec<FacetValue> = self.value_of[no as usize]
                    .values()
                    .filter(|&&v| counts[v as usize] > 0)
                    .filter_map(|&v| {
                        let value = &self.values[v as usize].1;
                        // Facets skip the unspecified licence and formatless resources.
                        if value.is_empty() && (no == F_LICENSE || no == F_FORMAT) {
                            return None;
                        }
                        Some(FacetValue {
                            value: value.to_string(),
                            count: i64::from(counts[v as usize]),
                        })
                    })
                    .collect();
                out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                out.truncate(query.facet_limit);
                facets.insert(field.as_str().to_string(), out);
            }
        }

        let count = hits.len() as i64;
        let end = query.start.saturating_add(query.rows).min(hits.len());
        let page = if query.rows == 0 || query.start >= hits.len() {
            Vec::new()
        } else {
            let cmp = self.comparator(query.sort, !terms.is_empty());
            keep_first(&mut hits, end, &cmp);
            hits.sort_unstable_by(&cmp);
            hits[query.start..end]
                .iter()
                .map(|&(d, _)| {
                    (
                        d,
                        self.generation[d as usize],
                        self.docs[d as usize].id.to_string(),
                    )
                })
                .collect()
        };
        Hits {
            count,
            facets,
            page,
        }
    }

    /// A condition's test resolved against this index (values to value ids or docs).
    fn check<'q>(&self, test: &'q FilterTest) -> Check<'q> {
        match test {
            FilterTest::AnyOf { field, values } => {
                let no = match field {
                    FilterField::Name => return Check::Names(values),
                    FilterField::Id => {
                        let mut docs: Vec<u32> = values
                            .iter()
                            .filter_map(|v| self.doc_of.get(v.as_str()).copied())
                            .collect();
                        docs.sort_unstable();
                        return Check::Docs(docs);
                    }
                    FilterField::Organization => F_ORG,
                    FilterField::LicenseId => F_LICENSE,
                    FilterField::Tags => F_TAGS,
                    FilterField::Groups => F_GROUPS,
                    FilterField::Municipality => F_MUNI,
                    FilterField::ResFormat => F_FORMAT,
                };
                // Organisation and licence are among each doc's values too.
                Check::Values(
                    values
                        .iter()
                        .filter_map(|v| {
                            if no == F_FORMAT {
                                self.value(no, &v.to_uppercase())
                            } else {
                                self.value(no, v)
                            }
                        })
                        .collect(),
                )
            }
            FilterTest::Within { field, from, to } => Check::Within {
                created: *field == TimeField::MetadataCreated,
                from: from.as_ref().map(|b| (b.at.as_str(), b.inclusive)),
                to: to.as_ref().map(|b| (b.at.as_str(), b.inclusive)),
            },
        }
    }

    fn holds(&self, check: &Check<'_>, i: usize) -> bool {
        let d = &self.docs[i];
        match check {
            Check::Values(ids) => ids.iter().any(|v| self.vals(i).contains(v)),
            Check::Docs(docs) => docs.binary_search(&(i as u32)).is_ok(),
            Check::Names(names) => names.iter().any(|n| *n.as_str() == *d.name),
            Check::Within { created, from, to } => {
                let t: &str = if *created { &d.created } else { &d.modified };
                from.is_none_or(|(at, incl)| if incl { t >= at } else { t > at })
                    && to.is_none_or(|(at, incl)| if incl { t <= at } else { t < at })
            }
        }
    }

    /// The order of [`SortOrder`] exactly as the SQL's ORDER BY (byte-wise text).
    fn comparator(
        &self,
        sort: SortOrder,
        scored: bool,
    ) -> impl Fn(&(u32, i64), &(u32, i64)) -> std::cmp::Ordering + '_ {
        use std::cmp::Ordering;
        #[derive(Clone, Copy)]
        enum F {
            Name,
            Title,
            Modified,
            Created,
            Id,
        }
        let (by_score, field, desc, then_name) = match sort {
            SortOrder::Relevance if scored => (true, F::Modified, true, false),
            SortOrder::Relevance | SortOrder::ModifiedDesc => (false, F::Modified, true, false),
            SortOrder::ModifiedAsc => (false, F::Modified, false, false),
            SortOrder::NameAsc => (false, F::Name, false, true),
            SortOrder::NameDesc => (false, F::Name, true, true),
            SortOrder::TitleAsc => (false, F::Title, false, true),
            SortOrder::TitleDesc => (false, F::Title, true, true),
            SortOrder::CreatedDesc => (false, F::Created, true, false),
            SortOrder::IdAsc => (false, F::Id, false, false),
            SortOrder::IdDesc => (false, F::Id, true, false),
        };
        move |a: &(u32, i64), b: &(u32, i64)| -> Ordering {
            if by_score {
                let o = b.1.cmp(&a.1);
                if o != Ordering::Equal {
                    return o;
                }
            }
            let (ka, kb) = (&self.keys[a.0 as usize], &self.keys[b.0 as usize]);
            let (da, db) = (&self.docs[a.0 as usize], &self.docs[b.0 as usize]);
            let o = match field {
                F::Name => ka.name.cmp(&kb.name).then_with(|| da.name.cmp(&db.name)),
                F::Title => ka
                    .title
                    .cmp(&kb.title)
                    .then_with(|| da.title.cmp(&db.title)),
                F::Modified => ka
                    .modified
                    .cmp(&kb.modified)
                    .then_with(|| da.modified.cmp(&db.modified)),
                F::Created => ka
                    .created
                    .cmp(&kb.created)
                    .then_with(|| da.created.cmp(&db.created)),
                F::Id => da.id.cmp(&db.id),
            };
            let o = if desc { o.reverse() } else { o };
            o.then_with(|| {
                if then_name {
                    ka.name.cmp(&kb.name).then_with(|| da.name.cmp(&db.name))
                } else {
                    da.id.cmp(&db.id)
                }
            })
        }
    }
}

/// Leaves in `hits` its first `n` by `cmp`, in any order. A page is a few of many matches:
/// one pass keeps the best so far in a max-heap, so most matches cost one comparison with the
/// heap's worst. The pass goes from the last doc to the first: docs are numbered as datasets
/// are created, so the newest (first by the default orders, relevance ties included) come
/// early and fill the heap, and the rest are mostly refused at once — forwards, nearly every
/// match would displace the heap's worst. For large `n`, a selection in place.
fn keep_first<F>(hits: &mut Vec<(u32, i64)>, n: usize, cmp: &F)
where
    F: Fn(&(u32, i64), &(u32, i64)) -> std::cmp::Ordering,
{
    use std::cmp::Ordering::{Greater, Less};
    if n >= hits.len() {
        return;
    }
    if n == 0 {
        hits.clear();
        return;
    }
    if n > hits.len() / 8 {
        hits.select_nth_unstable_by(n, cmp);
        hits.truncate(n);
        return;
    }
    let mut heap: Vec<(u32, i64)> = Vec::with_capacity(n);
    for &h in hits.iter().rev() {
        if heap.len() < n {
            heap.push(h);
            let mut i = heap.len() - 1;
            while i > 0 {
                let parent = (i - 1) / 2;
                if cmp(&heap[i], &heap[parent]) != Greater {
                    break;
                }
                heap.swap(i, parent);
                i = parent;
            }
        } else if cmp(&h, &heap[0]) == Less {
            heap[0] = h;
            let mut i = 0;
            loop {
                let (l, r) = (2 * i + 1, 2 * i + 2);
                let mut worst = i;
                if l < n && cmp(&heap[l], &heap[worst]) == Greater {
                    worst = l;
                }
                if r < n && cmp(&heap[r], &heap[worst]) == Greater {
                    worst = r;
                }
                if worst == i {
                    break;
                }
                heap.swap(i, worst);
                i = worst;
            }
        }
    }
    *hits = heap;
}

/// Keeps the entries of `acc` (sorted by doc) that `list` (sorted by doc) also has, adding
/// their weights. Gallops through `list` when it is much longer.
fn intersect(acc: &mut Vec<(u32, i64)>, list: &[Posting]) {
    let mut out = 0;
    let mut j = 0;
    let gallop = list.len() > acc.len() * 8;
    for i in 0..acc.len() {
        let (doc, score) = acc[i];
        if gallop {
            j += gallop_to(&list[j..], doc);
        } else {
            while j < list.len() && list[j].doc < doc {
                j += 1;
            }
        }
        if j >= list.len() {
            break;
        }
        if list[j].doc == doc {
            acc[out] = (doc, score + i64::from(list[j].weight));
            out += 1;
            j += 1;
        }
    }
    acc.truncate(out);
}

/// The position of the first posting in `rest` (sorted by doc) at or after `doc`: steps of
/// 1, 2, 4… from the start, then a binary search within the last step. The next doc wanted is
/// usually near, so this reads a few neighbouring postings where a binary search over all of
/// `rest` would jump across it (a cache miss per probe).
fn gallop_to(rest: &[Posting], doc: u32) -> usize {
    if rest.first().is_none_or(|p| p.doc >= doc) {
        return 0;
    }
    // rest[lo] is before `doc`.
    let (mut lo, mut step) = (0, 1);
    while lo + step < rest.len() && rest[lo + step].doc < doc {
        lo += step;
        step *= 2;
    }
    let hi = (lo + step).min(rest.len());
    lo + 1 + rest[lo + 1..hi].partition_point(|p| p.doc < doc)
}

#[cfg(test)]
mod tests {
    use super::{Posting, gallop_to, intersect, keep_first};

    /// Galloping finds the first posting at or after each doc, at every distance, and the
    /// intersection keeps exactly the docs in both lists with their weights added.
    #[test]
    fn intersect_keeps_the_docs_of_both_lists() {
        let list: Vec<Posting> = (0..5000u32)
            .filter(|d| d % 3 == 0 || d % 7 == 0)
            .map(|doc| Posting {
                doc,
                weight: doc % 5,
            })
            .collect();
        for doc in 0..5010u32 {
            let want = list.iter().position(|p| p.doc >= doc).unwrap_or(list.len());
            assert_eq!(gallop_to(&list, doc), want, "doc {doc}");
        }
        assert_eq!(gallop_to(&[], 3), 0);
        // Few docs against a long list (gallops) and many against it (walks).
        for stride in [1u32, 2, 11, 97, 1009] {
            let mut acc: Vec<(u32, i64)> = (0..5000u32)
                .step_by(stride as usize)
                .map(|d| (d, 1))
                .collect();
            let want: Vec<(u32, i64)> = acc
                .iter()
                .filter_map(|&(d, s)| {
                    list.iter()
                        .find(|p| p.doc == d)
                        .map(|p| (d, s + i64::from(p.weight)))
                })
                .collect();
            intersect(&mut acc, &list);
            assert_eq!(acc, want, "stride {stride}");
        }
    }

    /// The heap and the selection keep exactly what a full sort puts first, ties included.
    #[test]
    fn keep_first_keeps_what_a_sort_puts_first() {
        let cmp = |a: &(u32, i64), b: &(u32, i64)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
        // A deterministic spread of scores with many ties.
        let hits: Vec<(u32, i64)> = (0..2000u32)
            .map(|d| (d, i64::from(d.wrapping_mul(2_654_435_761) % 7)))
            .collect();
        let mut sorted = hits.clone();
        sorted.sort_unstable_by(cmp);
        for n in [0, 1, 2, 10, 249, 250, 251, 1000, 1999, 2000, 2500] {
            let mut kept = hits.clone();
            keep_first(&mut kept, n, &cmp);
            kept.sort_unstable_by(cmp);
            assert_eq!(kept, sorted[..n.min(hits.len())], "n = {n}");
        }
    }
}
