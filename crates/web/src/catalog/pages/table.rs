//! The table preview shared by the resource page and a series' combined table: paged,
//! sorted by a column header link, filtered by text and by exact column values — all as
//! plain links and a GET form, so it works without JavaScript.

use ydx_catalog::{TableQuery, TableQueryResult, TableSort};

use super::{Pager, kind_label, pager, url};
use crate::catalog::texts::{CatalogTexts, fill};

pub(crate) const PAGE_ROWS: usize = 50;

/// The preview's query string.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableParams {
    pub q: String,
    pub sort: Option<(String, bool)>,
    pub page: usize,
    /// (column, value): exact filters, from `f.<column>=value` (or the form's `fcol`/`fval`).
    pub filters: Vec<(String, String)>,
}

impl TableParams {
    pub fn parse(pairs: &[(String, String)]) -> TableParams {
        let mut p = TableParams {
            page: 1,
            ..TableParams::default()
        };
        let mut desc = false;
        let mut sort = None;
        let (mut fcol, mut fval) = (String::new(), String::new());
        for (k, v) in pairs {
            match k.as_str() {
                "q" => p.q = v.chars().take(200).collect(),
                "sort" if !v.is_empty() => sort = Some(v.clone()),
                "desc" => desc = v == "1",
                "page" => p.page = v.parse().unwrap_or(1).clamp(1, 1_000_000),
                "fcol" => fcol = v.clone(),
                "fval" => fval = v.clone(),
                k => {
                    if let Some(col) = k.strip_prefix("f.")
                        && !v.trim().is_empty()
                    {
                        p.add_filter(col, v);
                    }
                }
            }
        }
        if !fcol.is_empty() && !fval.trim().is_empty() {
            p.add_filter(&fcol, &fval);
        }
        p.sort = sort.map(|s| (s, desc));
        p
    }

    fn add_filter(&mut self, col: &str, v: &str) {
        self.filters.retain(|(c, _)| c != col);
        self.filters.push((col.to_string(), v.trim().to_string()));
    }

    /// The query string for `page`, with `sort` replaced when given.
    pub fn pairs(&self, page: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if !self.q.is_empty() {
            out.push(("q".to_string(), self.q.clone()));
        }
        for (c, v) in &self.filters {
            out.push((format!("f.{c}"), v.clone()));
        }
        if let Some((col, desc)) = &self.sort {
            out.push(("sort".to_string(), col.clone()));
            if *desc {
                out.push(("desc".to_string(), "1".to_string()));
            }
        }
        if page > 1 {
            out.push(("page".to_string(), page.to_string()));
        }
        out
    }

    pub fn query(&self) -> TableQuery {
        TableQuery {
            filters: self.filters.clone(),
            q: (!self.q.trim().is_empty()).then(|| self.q.clone()),
            sort: self.sort.as_ref().map(|(c, d)| TableSort {
                column: c.clone(),
                descending: *d,
            }),
            fields: None,
            limit: PAGE_ROWS,
            offset: (self.page - 1) * PAGE_ROWS,
        }
    }

    pub fn is_filtered(&self) -> bool {
        !self.q.is_empty() || !self.filters.is_empty()
    }
}

pub(crate) struct ColHead {
    pub name: String,
    pub kind: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none` (for `aria-sort`).
    pub aria_sort: &'static str,
    /// The arrow shown beside a sorted column's name, with its meaning in words.
    pub sorted_text: &'static str,
    pub sort_hint: String,
}

pub(crate) struct TableView {
    /// The element id htmx swaps, and the page anchor the links return to.
    pub id: &'static str,
    pub caption: String,
    pub action: String,
    pub columns: Vec<ColHead>,
    /// Each row: the row number, then the cells.
    pub rows: Vec<Vec<String>>,
    pub shown: String,
    pub q: String,
    pub filters: Vec<(String, String, String)>,
    pub hidden: Vec<(String, String)>,
    pub clear_href: Option<String>,
    pub pager: Pager,
}

fn cell(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

pub(crate) fn view(
    c: &CatalogTexts,
    id: &'static str,
    caption: String,
    action: &str,
    params: &TableParams,
    result: &TableQueryResult,
) -> TableView {
    let anchor = |pairs: Vec<(String, String)>| format!("{}#{id}", url(action, &pairs));
    let fields: Vec<_> = result.fields.iter().filter(|f| f.name != "_id").collect();
    let columns = fields
        .iter()
        .map(|f| {
            let current = params.sort.as_ref().filter(|(c, _)| *c == f.name);
            let mut next = params.clone();
            next.page = 1;
            // A click on the sorted column reverses it; on another column sorts ascending.
            next.sort = Some((f.name.clone(), current.is_some_and(|(_, d)| !d)));
            let (aria_sort, sorted_text) = match current {
                Some((_, false)) => ("ascending", c.sorted_asc),
                Some((_, true)) => ("descending", c.sorted_desc),
                None => ("none", ""),
            };
            ColHead {
                name: f.name.clone(),
                kind: kind_label(c, &f.kind),
                href: anchor(next.pairs(1)),
                aria_sort,
                sorted_text,
                sort_hint: fill(c.sort_by, &[("col", &f.name)]),
            }
        })
        .collect();
    let rows = result
        .records
        .iter()
        .map(|r| {
            let mut row = vec![cell(r.get("_id"))];
            row.extend(fields.iter().map(|f| cell(r.get(&f.name))));
            row
        })
        .collect();
    let offset = (params.page - 1) * PAGE_ROWS;
    let shown = fill(
        c.rows_shown,
        &[
            ("total", &result.total.to_string()),
            ("from", &(offset + 1).min(result.total).to_string()),
            ("to", &(offset + result.records.len()).to_string()),
        ],
    );
    let filters = params
        .filters
        .iter()
        .map(|(col, v)| {
            let mut p = params.clone();
            p.page = 1;
            p.filters.retain(|(c2, _)| c2 != col);
            (col.clone(), v.clone(), anchor(p.pairs(1)))
        })
        .collect();
    let mut hidden: Vec<(String, String)> = params
        .filters
        .iter()
        .map(|(col, v)| (format!("f.{col}"), v.clone()))
        .collect();
    if let Some((col, desc)) = &params.sort {
        hidden.push(("sort".into(), col.clone()));
        if *desc {
            hidden.push(("desc".into(), "1".into()));
        }
    }
    let clear_href = params.is_filtered().then(|| {
        let p = TableParams {
            sort: params.sort.clone(),
            page: 1,
            ..TableParams::default()
        };
        anchor(p.pairs(1))
    });
    TableView {
        id,
        caption,
        action: action.to_string(),
        columns,
        rows,
        shown,
        q: params.q.clone(),
        filters,
        hidden,
        clear_href,
        pager: pager(c, params.page, PAGE_ROWS, result.total, |p| {
            anchor(params.pairs(p))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_filter_joins_link_filters() {
        let pairs = vec![
            ("f.市町".to_string(), "萩市".to_string()),
            ("fcol".to_string(), "種別".to_string()),
            ("fval".to_string(), " 学校 ".to_string()),
            ("sort".to_string(), "名称".to_string()),
            ("desc".to_string(), "1".to_string()),
        ];
        let p = TableParams::parse(&pairs);
        assert_eq!(p.filters.len(), 2);
        assert_eq!(p.filters[1], ("種別".to_string(), "学校".to_string()));
        assert_eq!(p.sort, Some(("名称".to_string(), true)));
        let q = p.query();
        assert_eq!(q.limit, PAGE_ROWS);
        assert!(q.sort.is_some_and(|s| s.descending));
    }
}
