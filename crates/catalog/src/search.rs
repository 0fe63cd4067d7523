//! Dataset search (CKAN's `package_search`).
//!
//! A dataset matches a query when it has every query term (`ydx_text::query_terms`) among its
//! index terms (`catalog_terms`, written by [`crate::index`] on every write). Relevance is the
//! summed weight of the matched terms (title matches first); ties go to the newest, then by id.
//!
//! [`Catalog::search`] answers from the in-process index of [`crate::search_index`] (built
//! from the database rows at first use and kept exact through the `catalog_changes` log), then
//! loads the page's datasets from the database. [`Catalog::search_sql`] is the same search in
//! plain SQL (identical on SQLite and PostgreSQL); it is kept as the oracle the index is tested
//! against (both must give the same counts, facets and order) and is not used to serve.
//!
//! SQL path cost: one query for the page of ids (sorted and cut in SQL), one for the count
//! and every requested facet together (the matching set is computed once, as a CTE, and
//! joined to the denormalised `catalog_facets` table in a single GROUP BY), then the page's
//! datasets in five IN queries.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use ydx_accounts::Principal;
use ydx_storage::with_db;

use crate::error::{CatalogError, Result};
use crate::model::Dataset;
use crate::store::Catalog;

/// Most rows one search returns (CKAN's limit).
pub const MAX_ROWS: usize = 1000;

/// Filters on facet fields. Several values of a multi-valued field (tags, groups,
/// municipality, res_format) must all match (AND, as CKAN's `fq` with several `tags:`);
/// several values of a single-valued field (organization, license_id) are alternatives (OR).
/// [`SearchFilters::conditions`] add alternatives for any field, exclusions, `name`/`id`
/// and time ranges; a dataset must satisfy the lists and every condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchFilters {
    pub organization: Vec<String>,
    /// 5-digit municipality codes of the datasets' spatial coverage.
    pub municipality: Vec<String>,
    pub tags: Vec<String>,
    pub groups: Vec<String>,
    pub res_format: Vec<String>,
    pub license_id: Vec<String>,
    /// Further conditions, every one required: alternatives within a field, exclusions,
    /// `name`/`id`, time ranges (what CKAN's `fq` says beyond plain `field:value`).
    pub conditions: Vec<Condition>,
}

/// A field a [`Condition`] can test: the facet fields, the dataset's `name` and `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterField {
    Organization,
    Municipality,
    Tags,
    Groups,
    ResFormat,
    LicenseId,
    Name,
    Id,
}

/// A dataset time a range can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeField {
    MetadataModified,
    MetadataCreated,
}

/// One end of a time range: a UTC time in the stored form (`ydx_storage::format_time`,
/// `2024-01-01T00:00:00.000000`, fixed width, so text order is time order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeBound {
    pub at: String,
    pub inclusive: bool,
}

/// What a [`Condition`] tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FilterTest {
    /// The dataset has at least one of `values` in `field` (formats compared upper-cased, as
    /// [`SearchFilters::res_format`]). An empty list matches nothing.
    AnyOf {
        field: FilterField,
        values: Vec<String>,
    },
    /// The dataset's time lies within the bounds (`None`: open on that side).
    Within {
        field: TimeField,
        from: Option<TimeBound>,
        to: Option<TimeBound>,
    },
}

/// A required [`FilterTest`], or (`negate`) one the dataset must fail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub test: FilterTest,
    #[serde(default)]
    pub negate: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Score, then newest first (CKAN's `score desc, metadata_modified desc`).
    #[default]
    Relevance,
    NameAsc,
    NameDesc,
    TitleAsc,
    TitleDesc,
    ModifiedDesc,
    ModifiedAsc,
    CreatedDesc,
    /// By dataset id: a stable order for paging through everything (ckanext-harvest sends
    /// `sort=id asc`).
    IdAsc,
    IdDesc,
}

impl SortOrder {
    /// Reads CKAN's `sort` parameter (`name asc`, `metadata_modified desc`, `score desc, …`).
    pub fn parse_ckan(s: &str) -> Option<SortOrder> {
        let first = s.split(',').next().unwrap_or("").trim().to_lowercase();
        let mut parts = first.split_whitespace();
        let field = parts.next().unwrap_or("");
        let desc = parts.next() == Some("desc");
        Some(match (field, desc) {
            ("" | "score" | "relevance", _) => SortOrder::Relevance,
            ("name", false) => SortOrder::NameAsc,
            ("name", true) => SortOrder::NameDesc,
            ("title" | "title_string", false) => SortOrder::TitleAsc,
            ("title" | "title_string", true) => SortOrder::TitleDesc,
            ("metadata_modified", true) => SortOrder::ModifiedDesc,
            ("metadata_modified", false) => SortOrder::ModifiedAsc,
            ("metadata_created", _) => SortOrder::CreatedDesc,
            ("id", false) => SortOrder::IdAsc,
            ("id", true) => SortOrder::IdDesc,
            _ => return None,
        })
    }

    fn order_by(self, scored: bool) -> &'static str {
        match self {
            SortOrder::Relevance if scored => "m.score DESC, d.metadata_modified DESC, d.id",
            SortOrder::Relevance | SortOrder::ModifiedDesc => "d.metadata_modified DESC, d.id",
            SortOrder::ModifiedAsc => "d.metadata_modified, d.id",
            SortOrder::NameAsc => "d.name",
            SortOrder::NameDesc => "d.name DESC",
            SortOrder::TitleAsc => "d.title, d.name",
            SortOrder::TitleDesc => "d.title DESC, d.name",
            SortOrder::CreatedDesc => "d.metadata_created DESC, d.id",
            SortOrder::IdAsc => "d.id",
            SortOrder::IdDesc => "d.id DESC",
        }
    }
}

/// The facets the catalog counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacetField {
    Organization,
    Municipality,
    Tags,
    Groups,
    ResFormat,
    LicenseId,
}

impl FacetField {
    pub const ALL: [FacetField; 6] = [
        FacetField::Organization,
        FacetField::Municipality,
        FacetField::Tags,
        FacetField::Groups,
        FacetField::ResFormat,
        FacetField::LicenseId,
    ];

    /// The name in CKAN's `facet.field` and in [`SearchResult::facets`].
    pub fn as_str(self) -> &'static str {
        match self {
            FacetField::Organization => "organization",
            FacetField::Municipality => "municipality",
            FacetField::Tags => "tags",
            FacetField::Groups => "groups",
            FacetField::ResFormat => "res_format",
            FacetField::LicenseId => "license_id",
        }
    }

    pub fn parse(s: &str) -> Option<FacetField> {
        FacetField::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A `package_search` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    /// Free text; empty (or CKAN's `*:*`) means every dataset.
    pub q: String,
    pub filters: SearchFilters,
    pub sort: SortOrder,
    /// At most [`MAX_ROWS`]; more is refused.
    pub rows: usize,
    pub start: usize,
    /// Also private datasets of the organisations the viewer may read.
    pub include_private: bool,
    /// Also drafts of the organisations the viewer may read.
    pub include_drafts: bool,
    pub facet_fields: Vec<FacetField>,
    /// Values per facet, most frequent first (CKAN's `facet.limit`, default 50).
    pub facet_limit: usize,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            q: String::new(),
            filters: SearchFilters::default(),
            sort: SortOrder::Relevance,
            rows: 10,
            start: 0,
            include_private: false,
            include_drafts: false,
            facet_fields: FacetField::ALL.to_vec(),
            facet_limit: 50,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    pub value: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResult {
    /// Datasets matching, over all pages.
    pub count: i64,
    /// This page, complete with resources (shared with the search index's cache).
    pub datasets: Vec<Arc<Dataset>>,
    /// Per requested facet field name, values with their counts over all matching datasets.
    pub facets: BTreeMap<String, Vec<FacetValue>>,
}

/// A WHERE clause under construction with its bound values (all text).
#[derive(Default)]
struct Sql {
    clauses: Vec<String>,
    args: Vec<String>,
}

impl Sql {
    fn arg(&mut self, v: impl Into<String>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    fn list(&mut self, values: &[String]) -> String {
        values
            .iter()
            .map(|v| self.arg(v.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The WHERE clause of a [`Condition`].
fn condition_sql(c: &Condition, sql: &mut Sql) -> String {
    let test = match &c.test {
        FilterTest::AnyOf { field, values } => {
            if values.is_empty() {
                "1 = 0".to_string()
            } else {
                let values: Vec<String> = if *field == FilterField::ResFormat {
                    values.iter().map(|v| v.to_uppercase()).collect()
                } else {
                    values.clone()
                };
                let l = sql.list(&values);
                let within = |table: &str, col: &str, extra: &str| {
                    format!("d.id IN (SELECT dataset_id FROM {table} WHERE {col} IN ({l}){extra})")
                };
                match field {
                    FilterField::Organization => format!("d.owner_org IN ({l})"),
                    FilterField::LicenseId => format!("d.license_id IN ({l})"),
                    FilterField::Name => format!("d.name IN ({l})"),
                    FilterField::Id => format!("d.id IN ({l})"),
                    FilterField::Tags => within("dataset_tags", "tag", ""),
                    FilterField::Groups => within("dataset_groups", "group_name", ""),
                    FilterField::Municipality => within("dataset_spatial", "code", ""),
                    FilterField::ResFormat => {
                        within("resources", "format", " AND state = 'active'")
                    }
                }
            }
        }
        FilterTest::Within { field, from, to } => {
            let col = match field {
                TimeField::MetadataModified => "d.metadata_modified",
                TimeField::MetadataCreated => "d.metadata_created",
            };
            let mut parts = Vec::new();
            for (bound, incl, excl) in [(from, ">=", ">"), (to, "<=", "<")] {
                if let Some(b) = bound {
                    let a = sql.arg(b.at.clone());
                    let op = if b.inclusive { incl } else { excl };
                    parts.push(format!("{col} {op} {a}"));
                }
            }
            if parts.is_empty() {
                "1 = 1".to_string()
            } else {
                parts.join(" AND ")
            }
        }
    };
    if c.negate {
        format!("NOT ({test})")
    } else {
        format!("({test})")
    }
}

/// The query's terms, or `Err(result)` when the request is refused or cannot match.
fn query_terms(query: &SearchQuery) -> Result<std::result::Result<Vec<String>, SearchResult>> {
    if query.rows > MAX_ROWS {
        return Err(CatalogError::BadQuery(format!(
            "rows must be at most {MAX_ROWS}"
        )));
    }
    let q = query.q.trim();
    if q.is_empty() || q == "*:*" {
        return Ok(Ok(Vec::new()));
    }
    let terms = ydx_text::query_terms(q);
    if terms.is_empty() {
        // Only particles or punctuation: nothing to look for, so nothing matches.
        return Ok(Err(SearchResult {
            count: 0,
            datasets: Vec::new(),
            facets: query
                .facet_fields
                .iter()
                .map(|f| (f.as_str().to_string(), Vec::new()))
                .collect(),
        }));
    }
    Ok(Ok(terms))
}

impl Catalog {
    /// CKAN's `package_search`. `viewer` decides which private datasets and drafts
    /// `include_private`/`include_drafts` can reveal.
    ///
    /// Answered by the in-process index (see [`crate::search_index`]): one `MAX(seq)` probe of
    /// the change log (plus a reload of the datasets changed since, if any), the search in
    /// memory, then the page's datasets from the database.
    pub async fn search(
        &self,
        viewer: Option<&Principal>,
        query: &SearchQuery,
    ) -> Result<SearchResult> {
        let terms = match query_terms(query)? {
            Ok(terms) => terms,
            Err(nothing) => return Ok(nothing),
        };
        self.search_index.refresh(&self.db).await?;
        let hits = self.search_index.query(viewer, query, &terms);
        let datasets = self
            .search_index
            .page(&hits.page, |ids| async move { self.load(&ids).await })
            .await?;
        Ok(SearchResult {
            count: hits.count,
            datasets,
            facets: hits.facets,
        })
    }

    /// Deletes change-log rows older than `keep`, always keeping the newest, and returns how
    /// many went. A process whose index is older than what is left rebuilds it on its next
    /// search, so pruning never leaves an index wrong, only costs a straggler a rebuild.
    pub async fn prune_change_log(&self, keep: std::time::Duration) -> Result<u64> {
        let cutoff = time::OffsetDateTime::now_utc()
            - time::Duration::try_from(keep).unwrap_or(time::Duration::MAX);
        let cutoff = ydx_storage::format_time(cutoff);
        let sql = "DELETE FROM catalog_changes WHERE at < $1 \
                   AND seq < (SELECT MAX(seq) FROM catalog_changes)";
        let n = with_db!(&self.db, |p| {
            sqlx::query(sql)
                .bind(&cutoff)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    /// Builds the search index now (else the first search does). For server start-up.
    pub async fn warm_search_index(&self) -> Result<()> {
        self.search_index.refresh(&self.db).await
    }

    /// Size of the search index (brought up to date first), for benchmarks and operators.
    pub async fn search_index_stats(&self) -> Result<crate::search_index::SearchIndexStats> {
        self.search_index.refresh(&self.db).await?;
        Ok(self.search_index.stats())
    }

    /// The same search in SQL: the oracle the index is tested against. Not for serving (at
    /// 100,000 datasets a query costs ~100 ms or more).
    #[doc(hidden)]
    pub async fn search_sql(
        &self,
        viewer: Option<&Principal>,
        query: &SearchQuery,
    ) -> Result<SearchResult> {
        let terms = match query_terms(query)? {
            Ok(terms) => terms,
            Err(nothing) => return Ok(nothing),
        };
        let mut sql = Sql::default();
        let join = if terms.is_empty() {
            String::new()
        } else if terms.len() == 1 {
            // One term: its postings are the matches (one row per dataset), no GROUP BY.
            let a = sql.arg(terms[0].clone());
            format!(
                " JOIN (SELECT dataset_id, weight AS score FROM catalog_terms WHERE term = {a}) m \
                 ON m.dataset_id = d.id"
            )
        } else {
            let list = sql.list(&terms);
            format!(
                " JOIN (SELECT dataset_id, CAST(SUM(weight) AS BIGINT) AS score FROM catalog_terms \
                 WHERE term IN ({list}) GROUP BY dataset_id HAVING COUNT(*) = {}) m \
                 ON m.dataset_id = d.id",
                terms.len()
            )
        };
        self.visibility(viewer, query, &mut sql);
        let f = &query.filters;
        if !f.organization.is_empty() {
            let l = sql.list(&f.organization);
            sql.clauses.push(format!("d.owner_org IN ({l})"));
        }
        if !f.license_id.is_empty() {
            let l = sql.list(&f.license_id);
            sql.clauses.push(format!("d.license_id IN ({l})"));
        }
        for (values, table, col, extra) in [
            (&f.tags, "dataset_tags", "tag", ""),
            (&f.groups, "dataset_groups", "group_name", ""),
            (&f.municipality, "dataset_spatial", "code", ""),
            (
                &f.res_format,
                "resources",
                "format",
                " AND state = 'active'",
            ),
        ] {
            for v in values {
                let v = if table == "resources" {
                    v.to_uppercase()
                } else {
                    v.clone()
                };
                let a = sql.arg(v);
                sql.clauses.push(format!(
                    "d.id IN (SELECT dataset_id FROM {table} WHERE {col} = {a}{extra})"
                ));
            }
        }
        for c in &f.conditions {
            let clause = condition_sql(c, &mut sql);
            sql.clauses.push(clause);
        }
        let from = format!("FROM datasets d{join} WHERE {}", sql.clauses.join(" AND "));

        let ids = if query.rows == 0 {
            Vec::new()
        } else {
            let page_sql = format!(
                "SELECT d.id {from} ORDER BY {} LIMIT {} OFFSET {}",
                query.sort.order_by(!terms.is_empty()),
                query.rows,
                query.start
            );
            self.id_page(&page_sql, &sql.args).await?
        };
        let (count, facets) = if query.facet_fields.is_empty() {
            let count = self
                .scalar_count(&format!("SELECT COUNT(*) {from}"), &sql.args)
                .await?;
            (count, BTreeMap::new())
        } else {
            self.count_and_facets(&from, &sql.args, query).await?
        };
        let datasets = self.load(&ids).await?;
        Ok(SearchResult {
            count,
            datasets: datasets.into_iter().map(Arc::new).collect(),
            facets,
        })
    }

    /// Adds the clauses that hide what `viewer` may not see.
    fn visibility(&self, viewer: Option<&Principal>, query: &SearchQuery, sql: &mut Sql) {
        let admin = viewer.is_some_and(Principal::is_prefecture_admin);
        let readable: Vec<String> = viewer.map(Principal::readable_org_ids).unwrap_or_default();
        let org_clause = |sql: &mut Sql| -> String {
            if admin {
                "1 = 1".to_string()
            } else if readable.is_empty() {
                "1 = 0".to_string()
            } else {
                format!("d.owner_org IN ({})", sql.list(&readable))
            }
        };
        if query.include_drafts && viewer.is_some() {
            let c = org_clause(sql);
            sql.clauses.push(format!(
                "(d.state = 'active' OR (d.state = 'draft' AND {c}))"
            ));
        } else {
            sql.clauses.push("d.state = 'active'".to_string());
        }
        if query.include_private && viewer.is_some() {
            let c = org_clause(sql);
            sql.clauses.push(format!("(d.private = 0 OR {c})"));
        } else {
            sql.clauses.push("d.private = 0".to_string());
        }
    }

    /// The count and the requested facets in one statement: the matching datasets are found
    /// once (a CTE), then one GROUP BY over their `catalog_facets` rows counts every facet.
    /// Values are ordered (count descending, then value byte-wise, as both backends' binary
    /// collations order them) and cut to `facet_limit` here.
    async fn count_and_facets(
        &self,
        from: &str,
        args: &[String],
        query: &SearchQuery,
    ) -> Result<(i64, BTreeMap<String, Vec<FacetValue>>)> {
        let wanted: Vec<&'static str> = query.facet_fields.iter().map(|f| f.as_str()).collect();
        let field_filter = if FacetField::ALL
            .iter()
            .all(|f| query.facet_fields.contains(f))
        {
            String::new()
        } else {
            // Constant names from FacetField::as_str, not user input.
            let names: Vec<String> = wanted.iter().map(|w| format!("'{w}'")).collect();
            format!(" WHERE f.field IN ({})", names.join(", "))
        };
        let sql = format!(
            "WITH v AS (SELECT d.id {from}) \
             SELECT '' AS field, '' AS value, COUNT(*) AS n FROM v \
             UNION ALL \
             SELECT f.field, f.value, COUNT(*) AS n FROM v \
             JOIN catalog_facets f ON f.dataset_id = v.id{field_filter} \
             GROUP BY f.field, f.value"
        );
        let rows: Vec<(String, String, i64)> = with_db!(&self.db, |p| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql));
            for a in args {
                q = q.bind(a.clone());
            }
            q.fetch_all(p).await?
        });
        let mut count = 0;
        let mut facets: BTreeMap<String, Vec<FacetValue>> =
            wanted.iter().map(|w| (w.to_string(), Vec::new())).collect();
        for (field, value, n) in rows {
            if field.is_empty() {
                count = n;
            } else if let Some(values) = facets.get_mut(&field) {
                values.push(FacetValue { value, count: n });
            }
        }
        for values in facets.values_mut() {
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            values.truncate(query.facet_limit);
        }
        Ok((count, facets))
    }

    async fn scalar_count(&self, sql: &str, args: &[String]) -> Result<i64> {
        let n: i64 = with_db!(&self.db, |p| {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql.to_string()));
            for a in args {
                q = q.bind(a.clone());
            }
            q.fetch_one(p).await?
        });
        Ok(n)
    }

    async fn id_page(&self, sql: &str, args: &[String]) -> Result<Vec<String>> {
        let ids: Vec<String> = with_db!(&self.db, |p| {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql.to_string()));
            for a in args {
                q = q.bind(a.clone());
            }
            q.fetch_all(p).await?
        });
        Ok(ids)
    }
}
