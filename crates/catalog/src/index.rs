//! The search index: which terms each dataset has, with a weight per field.
//!
//! Terms come from `ydx_text::index_terms` (a dictionary tokenizer), and are stored in the
//! plain table `catalog_terms(term, dataset_id, weight)`, one row per (term, dataset) with the
//! summed weight of the fields the term occurs in. The same Rust code decides the terms and
//! the same SQL queries them on SQLite and PostgreSQL, so both give the same results.
//!
//! Weights: the title weighs more than every other field together (100 > 5+3+3+2+2+1), so
//! ranking by summed weight always puts title matches first, as the catalog promises; among
//! title matches the other fields break the tie.

use std::collections::{BTreeSet, HashMap, HashSet};

use sqlx::AssertSqlSafe;
use ydx_storage::{Tx, with_tx};

use crate::error::Result;
use crate::model::Dataset;
use crate::store::placeholders;

pub const WEIGHT_TITLE: i64 = 100;
pub const WEIGHT_TAG: i64 = 5;
pub const WEIGHT_ORGANIZATION: i64 = 3;
pub const WEIGHT_MUNICIPALITY: i64 = 3;
pub const WEIGHT_RESOURCE: i64 = 2;
pub const WEIGHT_COLUMN: i64 = 2;
pub const WEIGHT_NOTES: i64 = 1;

/// Rows per INSERT statement (3 parameters each, well under SQLite's 32766 limit).
const ROWS_PER_INSERT: usize = 300;

/// The weighted terms of a dataset. `org_names` are the owner's names (Japanese, English).
pub fn dataset_terms(d: &Dataset, org_names: &[&str]) -> Vec<(String, i64)> {
    let mut weights: HashMap<String, i64> = HashMap::new();
    let mut add = |texts: &[&str], weight: i64| {
        // A field counts once per term, however often the term occurs in it.
        let mut seen = HashSet::new();
        for text in texts {
            for t in ydx_text::index_terms(text) {
                if seen.insert(t.clone()) {
                    *weights.entry(t).or_default() += weight;
                }
            }
        }
    };
    add(&[&d.title], WEIGHT_TITLE);
    let tags: Vec<&str> = d.tags.iter().map(String::as_str).collect();
    add(&tags, WEIGHT_TAG);
    add(org_names, WEIGHT_ORGANIZATION);
    let municipalities: Vec<&str> = d
        .spatial
        .iter()
        .filter_map(|c| {
            ydx_region::MUNICIPALITIES
                .iter()
                .find(|m| m.code == c.as_str())
        })
        .flat_map(|m| [m.name_ja, m.name_en])
        .collect();
    add(&municipalities, WEIGHT_MUNICIPALITY);
    let resources: Vec<&str> = d
        .resources
        .iter()
        .flat_map(|r| [r.name.as_str(), r.description.as_str()])
        .collect();
    add(&resources, WEIGHT_RESOURCE);
    let columns: Vec<&str> = d
        .resources
        .iter()
        .filter_map(|r| r.table.as_ref())
        .flat_map(|t| t.columns.iter().map(|c| c.name.as_str()))
        .collect();
    add(&columns, WEIGHT_COLUMN);
    add(&[&d.notes], WEIGHT_NOTES);
    let mut out: Vec<(String, i64)> = weights.into_iter().collect();
    out.sort();
    out
}

/// Replaces the dataset's rows in `catalog_terms`.
pub async fn write_terms(tx: &mut Tx, dataset_id: &str, terms: &[(String, i64)]) -> Result<()> {
    with_tx!(tx, |c| {
        sqlx::query("DELETE FROM catalog_terms WHERE dataset_id = $1")
            .bind(dataset_id)
            .execute(&mut *c)
            .await?;
        for chunk in terms.chunks(ROWS_PER_INSERT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 3 + 1, 3)))
                .collect();
            let sql = format!(
                "INSERT INTO catalog_terms (term, dataset_id, weight) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (term, weight) in chunk {
                q = q
                    .bind(term.clone())
                    .bind(dataset_id.to_string())
                    .bind(*weight);
            }
            q.execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// The facet values of a dataset as `catalog_facets` rows `(field, value)`, named as in
/// [`crate::search::FacetField::as_str`]: its organisation, licence (unless unspecified), tags,
/// groups, municipalities, and the distinct formats of its active resources (unless empty).
/// `d.resources` are the active ones (as every load returns them).
pub fn dataset_facets(d: &Dataset) -> Vec<(&'static str, String)> {
    let mut out: BTreeSet<(&'static str, String)> = BTreeSet::new();
    out.insert(("organization", d.owner_org.clone()));
    if !d.license_id.is_empty() {
        out.insert(("license_id", d.license_id.clone()));
    }
    for t in &d.tags {
        out.insert(("tags", t.clone()));
    }
    for g in &d.groups {
        out.insert(("groups", g.clone()));
    }
    for c in &d.spatial {
        out.insert(("municipality", c.clone()));
    }
    for r in &d.resources {
        if !r.format.is_empty() {
            out.insert(("res_format", r.format.clone()));
        }
    }
    out.into_iter().collect()
}

/// Replaces the dataset's rows in `catalog_facets` (called with [`write_terms`] on every
/// write, in the same transaction).
pub async fn write_facets(tx: &mut Tx, d: &Dataset) -> Result<()> {
    let rows = dataset_facets(d);
    with_tx!(tx, |c| {
        sqlx::query("DELETE FROM catalog_facets WHERE dataset_id = $1")
            .bind(&d.id)
            .execute(&mut *c)
            .await?;
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 3 + 1, 3)))
                .collect();
            let sql = format!(
                "INSERT INTO catalog_facets (dataset_id, field, value) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (field, value) in chunk {
                q = q.bind(d.id.clone()).bind(*field).bind(value.clone());
            }
            q.execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// Appends the dataset to the `catalog_changes` log (called from the reindex step of every
/// write, in the same transaction) and returns the row's `seq`, so every process's search
/// index reloads it before its next search (see [`crate::search_index`]). On PostgreSQL the
/// log is locked first (until commit): writers append one at a time, so sequence numbers
/// become visible in commit order and a reader that has seen `seq` n has seen every smaller
/// one; and listening processes are notified, at commit.
pub async fn log_change(tx: &mut Tx, dataset_id: &str) -> Result<i64> {
    let postgres = tx.backend() == ydx_storage::Backend::Postgres;
    let now = ydx_storage::now();
    let seq = with_tx!(tx, |c| {
        if postgres {
            sqlx::query("LOCK TABLE catalog_changes IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *c)
                .await?;
            // The schema as payload: listeners on other schemas of the database ignore it.
            sqlx::query("SELECT pg_notify($1, current_schema())")
                .bind(crate::search_index::CHANNEL)
                .execute(&mut *c)
                .await?;
        }
        sqlx::query_scalar(
            "INSERT INTO catalog_changes (dataset_id, at) VALUES ($1, $2) RETURNING seq",
        )
        .bind(dataset_id)
        .bind(&now)
        .fetch_one(&mut *c)
        .await?
    });
    Ok(seq)
}
