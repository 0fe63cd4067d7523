//! The data API over tabular resources (CKAN's `datastore_search`, data.gouv.fr's tabular
//! API): filters, full-text `q`, sort, fields, limit/offset.
//!
//! Tables are not copied into the database: a resource version's blob is parsed on first use
//! and kept in memory in a [`TableCache`] keyed by blob id (so a new version is a new entry
//! and old entries age out). The cache is bounded by cells (rows × columns) and evicts the
//! least recently used table. Per table, a sort order per column is computed once and kept,
//! so paging a sorted 100k-row table costs a scan of the filter, not a sort, per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ydx_accounts::Principal;

use crate::error::{CatalogError, Result};
use crate::model::Column;
use crate::resources::StoredBlob;
use crate::store::Catalog;
use crate::table::ParsedTable;

/// The most records one query returns.
pub const MAX_LIMIT: usize = 32_000;

/// A table held in memory for queries.
#[derive(Debug)]
pub struct LoadedTable {
    pub columns: Vec<Column>,
    rows: Vec<Vec<String>>,
    /// Each row's cells normalised (NFKC, lowercase) and joined, for `q`.
    search: Vec<String>,
    /// Ascending row order per column, computed on first sort by that column.
    sorted: Mutex<HashMap<usize, Arc<Vec<u32>>>>,
}

impl LoadedTable {
    pub fn new(columns: Vec<Column>, rows: Vec<Vec<String>>) -> LoadedTable {
        let search = rows
            .iter()
            .map(|r| ydx_text::normalize(&r.join("\u{1f}")))
            .collect();
        LoadedTable {
            columns,
            rows,
            search,
            sorted: Mutex::new(HashMap::new()),
        }
    }

    fn from_parsed(t: ParsedTable) -> LoadedTable {
        LoadedTable::new(t.info.columns, t.rows)
    }

    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    fn cells(&self) -> usize {
        self.rows.len() * self.columns.len().max(1)
    }

    fn column(&self, name: &str) -> Result<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| CatalogError::BadQuery(format!("unknown column {name:?}")))
    }

    fn sort_order(&self, col: usize) -> Arc<Vec<u32>> {
        if let Ok(cache) = self.sorted.lock()
            && let Some(o) = cache.get(&col)
        {
            return o.clone();
        }
        let kind = self.columns[col].kind.as_str();
        let mut order: Vec<u32> = (0..self.rows.len() as u32).collect();
        if is_numeric_kind(kind) {
            let keys: Vec<f64> = self
                .rows
                .iter()
                .map(|r| sort_number(kind, &r[col]))
                .collect();
            // Blanks (NaN) sort last; ties keep file order.
            order.sort_by(|&a, &b| keys[a as usize].total_cmp(&keys[b as usize]));
        } else {
            order.sort_by(|&a, &b| self.rows[a as usize][col].cmp(&self.rows[b as usize][col]));
        }
        let order = Arc::new(order);
        if let Ok(mut cache) = self.sorted.lock() {
            cache.insert(col, order.clone());
        }
        order
    }

    /// Answers a query over this table.
    pub fn query(&self, q: &TableQuery) -> Result<TableQueryResult> {
        if q.limit > MAX_LIMIT {
            return Err(CatalogError::BadQuery(format!(
                "limit must be at most {MAX_LIMIT}"
            )));
        }
        let filters: Vec<(usize, &str)> = q
            .filters
            .iter()
            .map(|(k, v)| Ok((self.column(k)?, v.trim())))
            .collect::<Result<_>>()?;
        let needle =
            q.q.as_deref()
                .map(ydx_text::normalize)
                .filter(|s| !s.trim().is_empty());
        let fields: Vec<usize> = match &q.fields {
            Some(names) if !names.is_empty() => names
                .iter()
                .filter(|n| n.as_str() != "_id")
                .map(|n| self.column(n))
                .collect::<Result<_>>()?,
            _ => (0..self.columns.len()).collect(),
        };
        let keep = |i: usize| {
            let row = &self.rows[i];
            filters.iter().all(|(c, v)| row[*c].trim() == *v)
                && needle
                    .as_ref()
                    .is_none_or(|n| self.search[i].contains(n.as_str()))
        };
        let mut total = 0usize;
        let mut page = Vec::with_capacity(q.limit.min(1000));
        let mut visit = |i: usize| {
            if keep(i) {
                if total >= q.offset && page.len() < q.limit {
                    page.push(i);
                }
                total += 1;
            }
        };
        match &q.sort {
            Some(s) => {
                let order = self.sort_order(self.column(&s.column)?);
                if s.descending {
                    order.iter().rev().for_each(|&i| visit(i as usize));
                } else {
                    order.iter().for_each(|&i| visit(i as usize));
                }
            }
            None => (0..self.rows.len()).for_each(&mut visit),
        }
        let mut out_fields = vec![Column {
            name: "_id".into(),
            kind: "integer".into(),
        }];
        out_fields.extend(fields.iter().map(|&c| self.columns[c].clone()));
        let records = page
            .into_iter()
            .map(|i| {
                let mut m = Map::new();
                m.insert("_id".into(), Value::from(i as u64 + 1));
                for &c in &fields {
                    m.insert(
                        self.columns[c].name.clone(),
                        json_cell(&self.columns[c].kind, &self.rows[i][c]),
                    );
                }
                m
            })
            .collect();
        Ok(TableQueryResult {
            fields: out_fields,
            records,
            total,
        })
    }
}

fn is_numeric_kind(kind: &str) -> bool {
    matches!(
        kind,
        "integer" | "decimal" | "latitude" | "longitude" | "date"
    )
}

/// A sortable number for a cell: the value for numbers (commas allowed), days since
/// 0000-01-01 for dates (和暦 included); NaN for blanks and anything unreadable.
fn sort_number(kind: &str, cell: &str) -> f64 {
    let s = cell.trim();
    if kind == "date" {
        return ydx_text::parse_date(s).map_or(f64::NAN, |d| f64::from(d.to_julian_day()));
    }
    let n: String = ydx_text::normalize(s)
        .chars()
        .filter(|&c| c != ',')
        .collect();
    n.parse::<f64>().unwrap_or(f64::NAN)
}

/// A cell as JSON: numbers for numeric columns when they read as numbers, null for blanks.
fn json_cell(kind: &str, cell: &str) -> Value {
    let s = cell.trim();
    if s.is_empty() {
        return Value::Null;
    }
    match kind {
        "integer" => {
            let n: String = s.chars().filter(|&c| c != ',').collect();
            n.parse::<i64>()
                .map_or_else(|_| Value::from(cell), Value::from)
        }
        "decimal" | "latitude" | "longitude" => {
            let n: String = s.chars().filter(|&c| c != ',').collect();
            n.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::from(cell), Value::Number)
        }
        _ => Value::from(cell),
    }
}

/// Sort by one column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSort {
    pub column: String,
    pub descending: bool,
}

impl TableSort {
    /// Reads CKAN's `sort` (`"人口 desc"`, `"名称"`); only the first key is used.
    pub fn parse(s: &str) -> Option<TableSort> {
        let first = s.split(',').next()?.trim();
        if first.is_empty() {
            return None;
        }
        let lower = first.to_lowercase();
        let (column, descending) = if lower.ends_with(" desc") {
            (&first[..first.len() - 5], true)
        } else if lower.ends_with(" asc") {
            (&first[..first.len() - 4], false)
        } else {
            (first, false)
        };
        Some(TableSort {
            column: column.trim().trim_matches('"').to_string(),
            descending,
        })
    }
}

/// A data-API query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableQuery {
    /// Column → value; a row must equal every value (after trimming spaces).
    pub filters: Vec<(String, String)>,
    /// Full text: rows whose normalised cells contain the normalised text (ＡＥＤ = aed).
    pub q: Option<String>,
    pub sort: Option<TableSort>,
    /// Columns to return; `None` or empty: all.
    pub fields: Option<Vec<String>>,
    pub limit: usize,
    pub offset: usize,
}

impl Default for TableQuery {
    fn default() -> Self {
        TableQuery {
            filters: Vec::new(),
            q: None,
            sort: None,
            fields: None,
            limit: 100,
            offset: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableQueryResult {
    /// `_id` (1-based row number in the file) then the returned columns with their kinds.
    pub fields: Vec<Column>,
    pub records: Vec<Map<String, Value>>,
    /// Rows matching the filters and `q`, over all pages.
    pub total: usize,
}

/// Parsed tables in memory, least recently used evicted beyond a cell budget.
#[derive(Debug)]
pub struct TableCache {
    max_cells: usize,
    state: Mutex<CacheState>,
}

#[derive(Debug, Default)]
struct CacheState {
    tables: HashMap<String, (Arc<LoadedTable>, u64)>,
    tick: u64,
    cells: usize,
}

impl TableCache {
    pub fn new(max_cells: usize) -> TableCache {
        TableCache {
            max_cells,
            state: Mutex::new(CacheState::default()),
        }
    }

    fn get(&self, key: &str) -> Option<Arc<LoadedTable>> {
        let mut st = self.state.lock().ok()?;
        st.tick += 1;
        let tick = st.tick;
        st.tables.get_mut(key).map(|(t, used)| {
            *used = tick;
            t.clone()
        })
    }

    fn insert(&self, key: &str, table: Arc<LoadedTable>) {
        let cells = table.cells();
        if cells > self.max_cells {
            return;
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        while st.cells + cells > self.max_cells {
            let Some(oldest) = st
                .tables
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((t, _)) = st.tables.remove(&oldest) {
                st.cells -= t.cells();
            }
        }
        st.tick += 1;
        let tick = st.tick;
        if let Some((old, _)) = st.tables.insert(key.to_string(), (table, tick)) {
            st.cells -= old.cells();
        }
        st.cells += cells;
    }

    /// Tables and cells held now (for metrics).
    pub fn usage(&self) -> (usize, usize) {
        self.state
            .lock()
            .map(|s| (s.tables.len(), s.cells))
            .unwrap_or_default()
    }
}

impl Catalog {
    /// The in-memory table of a stored version, loading it on a miss.
    pub(crate) fn loaded_table(&self, stored: &StoredBlob) -> Result<Arc<LoadedTable>> {
        let key = cache_key(stored);
        if let Some(t) = self.tables.get(&key) {
            return Ok(t);
        }
        let t = Arc::new(LoadedTable::from_parsed(
            self.read_blob_table(&stored.format, &stored.blob)?,
        ));
        self.tables.insert(&key, t.clone());
        Ok(t)
    }

    /// The in-memory table of a resource's current version (loads it into the cache).
    pub async fn resource_table(
        &self,
        viewer: Option<&Principal>,
        resource_id: &str,
    ) -> Result<Arc<LoadedTable>> {
        let (_, r) = self.resource(viewer, resource_id).await?;
        if !r.has_table() {
            return Err(CatalogError::NotTabular(resource_id.to_string()));
        }
        let stored = self
            .current_blob(&r.id)
            .await?
            .ok_or_else(|| CatalogError::NotTabular(resource_id.to_string()))?;
        self.loaded_table(&stored)
    }

    /// CKAN's `datastore_search` over one tabular resource.
    pub async fn table_query(
        &self,
        viewer: Option<&Principal>,
        resource_id: &str,
        q: &TableQuery,
    ) -> Result<TableQueryResult> {
        self.resource_table(viewer, resource_id).await?.query(q)
    }

    /// One query across every tabular resource of a series dataset, oldest period first, with
    /// a `period` column first. Columns are the union by name; a column's kind is kept when
    /// every file agrees, else it is text.
    pub async fn series_table_query(
        &self,
        viewer: Option<&Principal>,
        dataset: &str,
        q: &TableQuery,
    ) -> Result<TableQueryResult> {
        let d = self.show(viewer, dataset).await?;
        let mut parts = Vec::new();
        let mut resources: Vec<_> = d.resources.iter().filter(|r| r.has_table()).collect();
        resources.sort_by(|a, b| a.period.cmp(&b.period).then(a.position.cmp(&b.position)));
        for r in resources {
            if let Some(blob) = self.current_blob(&r.id).await? {
                parts.push((r.period.clone().unwrap_or_else(|| r.name.clone()), blob));
            }
        }
        if parts.is_empty() {
            return Err(CatalogError::NotTabular(dataset.to_string()));
        }
        let key = format!(
            "series:{}",
            parts
                .iter()
                .map(|(p, b)| format!("{p}={}", cache_key(b)))
                .collect::<Vec<_>>()
                .join(",")
        );
        if let Some(t) = self.tables.get(&key) {
            return t.query(q);
        }
        let mut columns = vec![Column {
            name: "period".into(),
            kind: "text".into(),
        }];
        let mut tables = Vec::new();
        for (period, stored) in &parts {
            let t = self.loaded_table(stored)?;
            for c in &t.columns {
                match columns.iter_mut().find(|x| x.name == c.name) {
                    Some(x) if x.kind != c.kind => x.kind = "text".into(),
                    Some(_) => {}
                    None => columns.push(c.clone()),
                }
            }
            tables.push((period.clone(), t));
        }
        let mut rows = Vec::new();
        for (period, t) in &tables {
            let map: Vec<Option<usize>> = columns[1..]
                .iter()
                .map(|c| t.columns.iter().position(|x| x.name == c.name))
                .collect();
            for r in &t.rows {
                let mut row = Vec::with_capacity(columns.len());
                row.push(period.clone());
                row.extend(
                    map.iter()
                        .map(|m| m.map(|i| r[i].clone()).unwrap_or_default()),
                );
                rows.push(row);
            }
        }
        let combined = Arc::new(LoadedTable::new(columns, rows));
        self.tables.insert(&key, combined.clone());
        combined.query(q)
    }
}

/// A cached table's key: the blob id, qualified by the format for workbooks (the same bytes
/// read as text would be a different table, however unlikely an upload that is both).
fn cache_key(stored: &StoredBlob) -> String {
    if stored.format == "XLSX" {
        format!("xlsx:{}", stored.blob)
    } else {
        stored.blob.clone()
    }
}
