//! The data API over tabular resources and series (JSON or CSV), and a plain JSON dataset
//! search. Documented in `/api/openapi.json`. Errors are `{error, message}` with the message
//! in Japanese and English.

use std::collections::BTreeMap;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use ydx_catalog::datastore::MAX_LIMIT;
use ydx_catalog::search::MAX_ROWS;
use ydx_catalog::{
    Catalog, CatalogError, FacetField, SearchFilters, SearchQuery, SortOrder, TableQuery,
    TableQueryResult, TableSort,
};

use super::wire::{self, Directory};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::ApiError;

/// Query parameters of the data API. Any other parameter is a column filter
/// (`?市町名=萩市`), exact after trimming spaces.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DataParams {
    /// Full text: rows containing this text in any cell (full-width and half-width forms
    /// match: ＡＥＤ = AED).
    q: Option<String>,
    /// Column filters as a JSON object, e.g. `{"市町名":"萩市"}`.
    filters: Option<String>,
    /// One column, optionally followed by ` desc` (or prefixed with `-`).
    sort: Option<String>,
    /// Columns to return, comma-separated (default: all).
    fields: Option<String>,
    /// Rows per page (default 100, at most 32000).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
    /// Rows to skip.
    #[param(value_type = Option<u32>)]
    offset: Option<String>,
    /// `json` (default) or `csv` (UTF-8 with a header row).
    format: Option<String>,
}

const DATA_PARAMS: [&str; 7] = [
    "q", "filters", "sort", "fields", "limit", "offset", "format",
];

/// One column of a result.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataField {
    name: String,
    /// integer, decimal, date, latitude, longitude, boolean or text.
    #[serde(rename = "type")]
    kind: String,
}

/// A page of rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataPage {
    /// `_id` (1-based row number in the file; for a series, within the whole series) then
    /// the columns returned.
    fields: Vec<DataField>,
    /// Rows matching, over all pages.
    total: usize,
    limit: usize,
    offset: usize,
    #[schema(value_type = Vec<Object>)]
    records: Vec<Map<String, Value>>,
    /// The next and previous pages, when there are any.
    next: Option<String>,
    prev: Option<String>,
}

/// A data API request: the query, whether CSV was asked for, and the parameters as given
/// (to build the links to other pages).
struct DataRequest {
    query: TableQuery,
    csv: bool,
    pairs: Vec<(String, String)>,
}

/// Splits a raw query string into the data API's parameters and column filters.
fn data_query(raw: Option<&str>) -> Result<DataRequest, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|_| {
            bad(
                "クエリ文字列を読めません",
                "the query string cannot be read",
            )
        })?;
    let mut known = Map::new();
    let mut filters = Vec::new();
    for (k, v) in &pairs {
        if DATA_PARAMS.contains(&k.as_str()) {
            known.insert(k.clone(), Value::String(v.clone()));
        } else {
            filters.push((k.clone(), v.clone()));
        }
    }
    let p: DataParams = serde_json::from_value(Value::Object(known)).unwrap_or_default();
    let number = |v: &Option<String>, name: &str, default: usize| -> Result<usize, ApiError> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => s.parse().map_err(|_| {
                bad(
                    &format!("{name} は0以上の整数で指定してください"),
                    &format!("{name} must be a non-negative integer"),
                )
            }),
        }
    };
    let mut q = TableQuery {
        limit: number(&p.limit, "limit", 100)?,
        offset: number(&p.offset, "offset", 0)?,
        q: p.q.filter(|s| !s.trim().is_empty()),
        filters,
        ..TableQuery::default()
    };
    if q.limit > MAX_LIMIT {
        return Err(bad(
            &format!("limit は{MAX_LIMIT}以下にしてください"),
            &format!("limit must be at most {MAX_LIMIT}"),
        ));
    }
    if let Some(f) = p.filters.filter(|s| !s.trim().is_empty()) {
        let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&f) else {
            return Err(bad(
                "filters はJSONオブジェクトで指定してください",
                "filters must be a JSON object",
            ));
        };
        for (k, v) in m {
            q.filters.push((k, wire::text(&v).unwrap_or_default()));
        }
    }
    if let Some(s) = p.sort.filter(|s| !s.trim().is_empty()) {
        q.sort = match s.trim().strip_prefix('-') {
            Some(col) => Some(TableSort {
                column: col.trim().to_string(),
                descending: true,
            }),
            None => TableSort::parse(&s),
        };
    }
    if let Some(f) = p.fields.filter(|s| !s.trim().is_empty()) {
        q.fields = Some(
            f.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
        );
    }
    let csv = match p.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(bad(
                "format は json か csv です",
                "format must be json or csv",
            ));
        }
    };
    Ok(DataRequest {
        query: q,
        csv,
        pairs,
    })
}

fn bad(ja: &str, en: &str) -> ApiError {
    ApiError::BadRequest(format!("{ja} / {en}"))
}

fn data_error(e: CatalogError) -> ApiError {
    match e {
        CatalogError::NotTabular(_) => bad(
            "このリソースは表形式のデータではありません",
            "this resource has no tabular data",
        ),
        CatalogError::BadQuery(m) => bad("検索条件が正しくありません", &m),
        other => crate::catalog::api_error(other),
    }
}

/// The answer as JSON or CSV, with links to the neighbouring pages.
fn data_response(
    path: &str,
    pairs: &[(String, String)],
    q: &TableQuery,
    result: TableQueryResult,
    csv: bool,
    name: &str,
) -> Response {
    if csv {
        return csv_response(&result, name);
    }
    let link = |offset: usize| {
        let mut p: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "offset")
            .cloned()
            .collect();
        p.push(("offset".into(), offset.to_string()));
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(&p).unwrap_or_default()
        )
    };
    let next = (q.offset + q.limit < result.total).then(|| link(q.offset + q.limit));
    let prev = (q.offset > 0).then(|| link(q.offset.saturating_sub(q.limit)));
    Json(DataPage {
        fields: result
            .fields
            .into_iter()
            .map(|c| DataField {
                name: c.name,
                kind: c.kind,
            })
            .collect(),
        total: result.total,
        limit: q.limit,
        offset: q.offset,
        records: result.records,
        next,
        prev,
    })
    .into_response()
}

/// CSV (RFC 4180, UTF-8, CRLF) of the returned columns, without `_id`.
fn csv_response(result: &TableQueryResult, name: &str) -> Response {
    let columns: Vec<&str> = result
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| *n != "_id")
        .collect();
    let mut out = String::new();
    push_row(&mut out, columns.iter().map(|c| (*c).to_string()));
    for r in &result.records {
        push_row(
            &mut out,
            columns.iter().map(|c| match r.get(*c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            }),
        );
    }
    let mut res = out.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&super::download::content_disposition(&format!(
        "{name}.csv"
    ))) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// Rows of a tabular resource (CSV/TSV/XLSX upload): filters, full text, sort, fields, paging,
/// JSON or CSV.
#[utoipa::path(get, path = "/api/catalog/resources/{id}/data", tag = "catalog",
    params(("id" = String, Path, description = "Resource id"), DataParams),
    responses(
        (status = 200, description = "A page of rows (JSON), or CSV with format=csv",
            content((DataPage = "application/json"), (String = "text/csv"))),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_resource_data(
    Extension(catalog): Extension<Catalog>,
    ApiCaller(viewer): ApiCaller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let DataRequest {
        query: q,
        csv,
        pairs,
    } = data_query(raw.as_deref())?;
    let result = catalog
        .table_query(viewer.as_ref(), &id, &q)
        .await
        .map_err(data_error)?;
    let path = format!("/api/catalog/resources/{id}/data");
    Ok(data_response(&path, &pairs, &q, result, csv, &id))
}

/// Rows of every year of a series dataset as one table, oldest period first, with a
/// `period` column first.
#[utoipa::path(get, path = "/api/catalog/datasets/{name}/series/data", tag = "catalog",
    params(("name" = String, Path, description = "Dataset name or id"), DataParams),
    responses(
        (status = 200, description = "A page of rows (JSON), or CSV with format=csv",
            content((DataPage = "application/json"), (String = "text/csv"))),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_series_data(
    Extension(catalog): Extension<Catalog>,
    ApiCaller(viewer): ApiCaller,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let DataRequest {
        query: q,
        csv,
        pairs,
    } = data_query(raw.as_deref())?;
    let result = catalog
        .series_table_query(viewer.as_ref(), &name, &q)
        .await
        .map_err(data_error)?;
    let path = format!("/api/catalog/datasets/{name}/series/data");
    Ok(data_response(&path, &pairs, &q, result, csv, &name))
}

/// Query parameters of the dataset search. List parameters take comma-separated values or
/// repeat; several values of one field must all match (organization, license_id: any).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Japanese full text: partial words match (「避難」 finds 「指定緊急避難場所」).
    q: Option<String>,
    organization: Option<String>,
    /// 5-digit municipality codes.
    municipality: Option<String>,
    tags: Option<String>,
    groups: Option<String>,
    res_format: Option<String>,
    license_id: Option<String>,
    /// relevance (default), name, -name, title, modified (newest first), -modified, created;
    /// CKAN's `metadata_modified desc` forms are accepted too.
    sort: Option<String>,
    /// Results per page (default 20, at most 1000).
    #[param(value_type = Option<u32>)]
    rows: Option<String>,
    #[param(value_type = Option<u32>)]
    start: Option<String>,
    /// Also the private datasets and drafts the caller may see.
    #[param(value_type = Option<bool>)]
    include_private: Option<String>,
}

/// A facet value with its label for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetOut {
    value: String,
    label: String,
    count: i64,
}

/// Datasets found, in CKAN's dataset shape, and counts per facet.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOut {
    count: i64,
    #[schema(value_type = Vec<Object>)]
    results: Vec<Value>,
    /// organization, municipality, tags, groups, res_format, license_id.
    facets: BTreeMap<String, Vec<FacetOut>>,
}

/// Dataset search in plain JSON (CKAN's package_search without the envelope).
#[utoipa::path(get, path = "/api/catalog/search", tag = "catalog", params(SearchParams),
    responses((status = 200, body = SearchOut), (status = 400, body = crate::error::ErrorBody)))]
pub async fn search_datasets(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    ApiCaller(viewer): ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchOut>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| {
            bad(
                "クエリ文字列を読めません",
                "the query string cannot be read",
            )
        })?;
    let mut joined: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        joined.entry(k).or_default().push(v);
    }
    let map: Map<String, Value> = joined
        .into_iter()
        .map(|(k, v)| (k, Value::String(v.join(","))))
        .collect();
    let p: SearchParams = serde_json::from_value(Value::Object(map)).unwrap_or_default();
    let list = |v: &Option<String>| -> Vec<String> {
        v.as_deref()
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let number = |v: &Option<String>, default: usize| -> Result<usize, ApiError> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => s.parse().map_err(|_| {
                bad(
                    "rows と start は0以上の整数です",
                    "rows and start must be non-negative integers",
                )
            }),
        }
    };
    let sort = match p.sort.as_deref().map(str::trim).unwrap_or("") {
        "" | "relevance" => SortOrder::Relevance,
        "name" => SortOrder::NameAsc,
        "-name" => SortOrder::NameDesc,
        "title" => SortOrder::TitleAsc,
        "-title" => SortOrder::TitleDesc,
        "modified" => SortOrder::ModifiedDesc,
        "-modified" => SortOrder::ModifiedAsc,
        "created" => SortOrder::CreatedDesc,
        other => SortOrder::parse_ckan(other).ok_or_else(|| {
            bad(
                "sort に指定できない値です",
                "sort must be relevance, name, -name, title, -title, modified, -modified or created",
            )
        })?,
    };
    let include_private = p
        .include_private
        .as_deref()
        .and_then(|s| wire::boolean(&Value::String(s.to_string())))
        .unwrap_or(false);
    let query = SearchQuery {
        q: p.q.clone().unwrap_or_default(),
        filters: SearchFilters {
            organization: list(&p.organization),
            municipality: list(&p.municipality),
            tags: list(&p.tags),
            groups: list(&p.groups),
            res_format: list(&p.res_format),
            license_id: list(&p.license_id),
            conditions: Vec::new(),
        },
        sort,
        rows: number(&p.rows, 20)?.min(MAX_ROWS),
        start: number(&p.start, 0)?,
        include_private,
        include_drafts: include_private,
        facet_fields: FacetField::ALL.to_vec(),
        facet_limit: 50,
    };
    let r = catalog
        .search(viewer.as_ref(), &query)
        .await
        .map_err(data_error)?;
    let dir = Directory::load(&state, &catalog)
        .await
        .map_err(ApiError::Internal)?;
    let facets = r
        .facets
        .into_iter()
        .map(|(field, values)| {
            let f = FacetField::parse(&field);
            let values = values
                .into_iter()
                .map(|v| FacetOut {
                    label: f.map_or_else(
                        || v.value.clone(),
                        |f| super::ckan::facet_label(&dir, f, &v.value),
                    ),
                    value: v.value,
                    count: v.count,
                })
                .collect();
            (field, values)
        })
        .collect();
    Ok(Json(SearchOut {
        count: r.count,
        results: r
            .datasets
            .iter()
            .map(|d| wire::dataset_json(&dir, d))
            .collect(),
        facets,
    }))
}
