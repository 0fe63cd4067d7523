//! CKAN's Action API v3 at `/api/3/action/{action}` and `/api/action/{action}`, so that
//! ckanapi, harvesters and other CKAN tooling work unchanged.
//!
//! The envelope and errors are CKAN's exactly: `{help, success, result}`; errors carry
//! `error.__type` ("Not Found Error" 404, "Authorization Error" 403, "Validation Error" 409
//! with per-field lists, "Search Query Error" 400), and an unknown action is a 400 whose body
//! is a bare JSON string, as CKAN sends it. Messages are English: CKAN clients show them as
//! they come.

use std::collections::HashMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::{Map, Value, json};
use ydx_accounts::Principal;
use ydx_catalog::search::MAX_ROWS;
use ydx_catalog::{
    Catalog, CatalogError, Dataset, FacetField, ResourceFields, ResourcePatch, ResourceSource,
    SearchFilters, SearchQuery, SortOrder, TableQuery, TableSort, datastore,
};

use super::fq::{Fq, parse_fq};
use super::wire::{self, Directory, FieldErrors, text};
use super::{CallerError, caller};
use crate::AppState;

/// Every action this API answers, with whether it changes anything (CKAN refuses GET for
/// those) and a line for `help_show`.
const ACTIONS: &[(&str, bool, &str)] = &[
    (
        "package_search",
        false,
        "Searches datasets: q, fq, fq_list, rows, start, sort, facet.field, facet.limit, \
         include_private, include_drafts. fq (and q written as filters) takes Solr's filter \
         syntax: field:value and field:\"quoted value\" terms (all required) over organization, \
         tags, groups, res_format, license_id, municipality, name, id; -field:value or NOT \
         field:value to exclude; field:(a OR b) or field:a OR field:b for alternatives of one \
         field; metadata_modified and metadata_created ranges [X TO Y] (braces exclusive, * \
         open) of ISO dates or date-times (Z, fractions) or NOW with date math (NOW-7DAYS, \
         NOW/DAY). Wildcards, fuzzy ~, boosts ^ and OR across fields are refused with a \
         Search Query Error.",
    ),
    ("package_show", false, "Returns a dataset by id or name."),
    (
        "package_list",
        false,
        "Names of the public datasets: limit, offset.",
    ),
    (
        "current_package_list_with_resources",
        false,
        "Public datasets, most recently modified first: limit, offset.",
    ),
    (
        "organization_list",
        false,
        "Organisations: all_fields, sort, limit, offset, organizations.",
    ),
    (
        "organization_show",
        false,
        "An organisation: id, include_datasets.",
    ),
    ("group_list", false, "Groups (themes): all_fields."),
    ("group_show", false, "A group: id, include_datasets."),
    (
        "tag_list",
        false,
        "Tags of public datasets: query, all_fields.",
    ),
    ("resource_show", false, "A resource by id."),
    ("status_show", false, "What this site is."),
    ("site_read", false, "True: the site may be read."),
    ("help_show", false, "Help for an action: name."),
    (
        "datastore_search",
        false,
        "Queries a tabular resource: resource_id, filters, q, sort, fields, limit, offset.",
    ),
    (
        "package_create",
        true,
        "Creates a dataset (API token of the owning organisation).",
    ),
    (
        "package_update",
        true,
        "Replaces a dataset's fields; resources given are kept, changed or added, others deleted.",
    ),
    ("package_patch", true, "Changes only the fields given."),
    (
        "package_delete",
        true,
        "Deletes a dataset (an administrator can restore it).",
    ),
    (
        "resource_create",
        true,
        "Adds a resource: multipart `upload` file, or `url`.",
    ),
    (
        "resource_update",
        true,
        "Uploads a new version (`upload`) and/or changes name, description, format, period, url.",
    ),
    ("resource_patch", true, "Like resource_update."),
    ("resource_delete", true, "Deletes a resource."),
];

/// Largest facet list returned when a client asks for all (`facet.limit=-1`).
const FACET_LIMIT_ALL: usize = 10_000;

/// A CKAN error as the API sends it.
#[derive(Debug)]
pub enum CkanError {
    NotFound(String),
    Authorization(String),
    Validation(FieldErrors),
    SearchQuery(String),
    /// CKAN's bare `"Bad request - …"` string body.
    BadRequest(String),
    /// Logged; the client is told nothing more.
    Internal(String),
}

impl CkanError {
    fn missing(field: &str) -> CkanError {
        CkanError::validation(field, "Missing value")
    }

    pub fn validation(field: &str, message: &str) -> CkanError {
        let mut m = Map::new();
        m.insert(field.to_string(), json!([message]));
        CkanError::Validation(m)
    }

    fn internal(e: impl std::fmt::Display) -> CkanError {
        CkanError::Internal(e.to_string())
    }
}

impl From<CatalogError> for CkanError {
    fn from(e: CatalogError) -> CkanError {
        match e {
            CatalogError::NotFound { kind, .. } => CkanError::NotFound(match kind {
                "resource" | "resource version" => "Resource was not found.".into(),
                _ => "Not found".into(),
            }),
            CatalogError::Forbidden(m) => CkanError::Authorization(format!("Access denied: {m}")),
            CatalogError::Validation(v) => {
                let mut m = Map::new();
                for (field, errors) in v.fields {
                    let list: Vec<Value> = errors.into_iter().map(|e| json!(e.message)).collect();
                    m.insert(wire::ckan_field_name(&field).to_string(), json!(list));
                }
                CkanError::Validation(m)
            }
            CatalogError::BadFile { line, message } => CkanError::validation(
                "upload",
                &if line > 0 {
                    format!("line {line}: {message}")
                } else {
                    message
                },
            ),
            e @ CatalogError::TooLarge { .. } => CkanError::validation("upload", &e.to_string()),
            CatalogError::BadQuery(m) => CkanError::SearchQuery(m),
            CatalogError::Busy(m) => CkanError::validation("id", &m),
            CatalogError::NotTabular(id) => {
                CkanError::NotFound(format!("Resource \"{id}\" was not found."))
            }
            other => CkanError::internal(other),
        }
    }
}

impl From<CallerError> for CkanError {
    fn from(e: CallerError) -> CkanError {
        match e {
            CallerError::BadToken => CkanError::Authorization(
                "Access denied: the API token is invalid or revoked".into(),
            ),
            CallerError::Internal(m) => CkanError::Internal(m),
        }
    }
}

/// The `help` link of every response.
fn help_url(state: &AppState, action: &str) -> String {
    format!(
        "{}/api/3/action/help_show?name={}",
        super::base_url(state),
        super::percent_encode(action)
    )
}

/// What an action answers: a value, or (`package_search`, the busiest action) the records
/// it is written from, with no `Value` tree built in between.
enum Answer {
    Value(Value),
    Search(Box<SearchAnswer>),
}

/// CKAN's envelope of a successful action.
#[derive(Serialize)]
struct Success<'a, T: Serialize> {
    help: &'a str,
    success: bool,
    result: &'a T,
}

fn envelope(help: String, result: Result<Answer, CkanError>) -> Response {
    let result = result.and_then(|answer| {
        let written = match &answer {
            Answer::Value(result) => serde_json::to_vec(&Success {
                help: &help,
                success: true,
                result,
            }),
            Answer::Search(result) => serde_json::to_vec(&Success {
                help: &help,
                success: true,
                result: result.as_ref(),
            }),
        };
        written.map_err(CkanError::internal)
    });
    let (status, body) = match result {
        Ok(body) => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
        }
        Err(CkanError::BadRequest(m)) => {
            return (StatusCode::BAD_REQUEST, axum::Json(json!(m))).into_response();
        }
        Err(e) => {
            let (status, kind, error) = match e {
                CkanError::NotFound(m) => (StatusCode::NOT_FOUND, "Not Found Error", json!(m)),
                CkanError::Authorization(m) => {
                    (StatusCode::FORBIDDEN, "Authorization Error", json!(m))
                }
                CkanError::Validation(fields) => {
                    let mut error = fields;
                    error.insert("__type".into(), json!("Validation Error"));
                    return (
                        StatusCode::CONFLICT,
                        axum::Json(json!({"help": help, "success": false, "error": error})),
                    )
                        .into_response();
                }
                CkanError::SearchQuery(m) => (
                    StatusCode::BAD_REQUEST,
                    "Search Query Error",
                    json!(format!("Search Query is invalid: {m}")),
                ),
                CkanError::Internal(cause) => {
                    tracing::error!(%cause, "CKAN action failed");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Internal Server Error",
                        json!("Internal server error; the cause has been logged"),
                    )
                }
                CkanError::BadRequest(_) => (StatusCode::BAD_REQUEST, "Bad Request", json!("")),
            };
            (
                status,
                json!({"help": help, "success": false,
                       "error": {"__type": kind, "message": error}}),
            )
        }
    };
    (status, axum::Json(body)).into_response()
}

/// An action's input: CKAN's data dict, and an uploaded file for resource writes.
pub struct Params {
    map: Map<String, Value>,
    upload: Option<(String, Vec<u8>)>,
}

impl Params {
    pub fn from_map(map: Map<String, Value>) -> Params {
        Params { map, upload: None }
    }

    fn str(&self, k: &str) -> Option<String> {
        self.map.get(k).and_then(text)
    }

    fn non_empty(&self, k: &str) -> Option<String> {
        self.str(k).filter(|s| !s.trim().is_empty())
    }

    fn required(&self, k: &str) -> Result<String, CkanError> {
        self.non_empty(k).ok_or_else(|| CkanError::missing(k))
    }

    fn bool(&self, k: &str) -> Result<Option<bool>, CkanError> {
        match self.map.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => wire::boolean(v)
                .map(Some)
                .ok_or_else(|| CkanError::validation(k, "Must be true or false")),
        }
    }

    fn int(&self, k: &str) -> Result<Option<i64>, CkanError> {
        match self.map.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(v) => text(v)
                .and_then(|s| s.trim().parse::<i64>().ok())
                .map(Some)
                .ok_or_else(|| CkanError::validation(k, "Invalid integer")),
        }
    }

    /// A natural number (CKAN's `natural_number_validator`).
    fn natural(&self, k: &str) -> Result<Option<usize>, CkanError> {
        match self.int(k)? {
            None => Ok(None),
            Some(n) if n >= 0 => Ok(usize::try_from(n).ok()),
            Some(_) => Err(CkanError::validation(k, "Must be a natural number")),
        }
    }

    /// A list: a JSON array, a string holding one, or a comma-separated string.
    fn list(&self, k: &str) -> Result<Option<Vec<String>>, CkanError> {
        let bad = || CkanError::validation(k, "Must be a list");
        match self.map.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items.iter().filter_map(text).collect())),
            Some(Value::String(s)) if s.trim_start().starts_with('[') => {
                let v: Vec<Value> = serde_json::from_str(s).map_err(|_| bad())?;
                Ok(Some(v.iter().filter_map(text).collect()))
            }
            Some(Value::String(s)) => Ok(Some(
                s.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect(),
            )),
            Some(_) => Err(bad()),
        }
    }
}

/// Reads the data dict: query parameters for GET; a JSON object, a form or a multipart form
/// (with an `upload` file) for POST.
async fn read_params(state: &AppState, req: Request) -> Result<Params, CkanError> {
    if req.method() == Method::GET {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(req.uri().query().unwrap_or("")).map_err(|e| {
                CkanError::BadRequest(format!("Bad request - Invalid query string: {e}"))
            })?;
        return Ok(Params::from_map(pairs_to_map(pairs)));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|e| CkanError::BadRequest(format!("Bad request - {}", e.body_text())))?;
        let mut map = Map::new();
        let mut upload = None;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| CkanError::BadRequest(format!("Bad request - {}", e.body_text())))?
        {
            let name = field.name().unwrap_or("").to_string();
            let filename = field.file_name().map(str::to_string);
            let bytes = field
                .bytes()
                .await
                .map_err(|e| CkanError::BadRequest(format!("Bad request - {}", e.body_text())))?;
            match filename {
                Some(f) if name == "upload" => upload = Some((f, bytes.to_vec())),
                Some(_) => {}
                None => {
                    let value = String::from_utf8_lossy(&bytes).into_owned();
                    map.insert(name, Value::String(value));
                }
            }
        }
        return Ok(Params { map, upload });
    }
    let body = Bytes::from_request(req, state)
        .await
        .map_err(|e| CkanError::BadRequest(format!("Bad request - {}", e.body_text())))?;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
            .map_err(|e| CkanError::BadRequest(format!("Bad request - Invalid form: {e}")))?;
        return Ok(Params::from_map(pairs_to_map(pairs)));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Params::from_map(Map::new()));
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => Ok(Params::from_map(map)),
        Ok(_) => Err(CkanError::BadRequest(
            "Bad request - JSON Error: Request data JSON decoded to a non-dict".into(),
        )),
        Err(e) => Err(CkanError::BadRequest(format!(
            "Bad request - JSON Error: Error decoding JSON data. Error: {e}"
        ))),
    }
}

/// Query or form pairs as a data dict; a repeated key becomes a list (as CKAN reads them).
fn pairs_to_map(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in pairs {
        match map.get_mut(&k) {
            Some(Value::Array(list)) => list.push(Value::String(v)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v)]);
            }
            None => {
                map.insert(k, Value::String(v));
            }
        }
    }
    map
}

/// `GET|POST /api/3/action/{action}`.
pub async fn call_action(
    State(state): State<AppState>,
    Extension(catalog): Extension<Catalog>,
    Path(action): Path<String>,
    req: Request,
) -> Response {
    let Some(&(name, writes, _)) = ACTIONS.iter().find(|(n, _, _)| *n == action) else {
        return envelope(
            String::new(),
            Err(CkanError::BadRequest(format!(
                "Bad request - Action name not known: {}",
                action.chars().take(100).collect::<String>()
            ))),
        );
    };
    let help = help_url(&state, name);
    if writes && req.method() == Method::GET {
        return envelope(
            help,
            Err(CkanError::BadRequest(
                "Bad request - JSON Error: Invalid request. Please use POST method for your request"
                    .into(),
            )),
        );
    }
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    let headers = req.headers().clone();
    let result = async {
        let viewer = write_safe_caller(&state, &headers, writes, is_json).await?;
        let params = read_params(&state, req).await?;
        let ctx = Ctx {
            state: &state,
            catalog: &catalog,
            viewer: viewer.as_ref(),
        };
        ctx.run(name, params).await
    }
    .await;
    envelope(help, result)
}

/// The caller of an action. A write accepts a session only with a JSON body: a cross-site
/// form cannot send one, so a signed-in person's browser cannot be made to write.
async fn write_safe_caller(
    state: &AppState,
    headers: &HeaderMap,
    writes: bool,
    is_json: bool,
) -> Result<Option<Principal>, CkanError> {
    let p = caller(state, headers).await?;
    let by_token = crate::auth::api_token(headers).is_some();
    if writes && !by_token && !is_json {
        return Ok(None);
    }
    Ok(p)
}

struct Ctx<'a> {
    state: &'a AppState,
    catalog: &'a Catalog,
    viewer: Option<&'a Principal>,
}

impl Ctx<'_> {
    async fn run(&self, action: &str, p: Params) -> Result<Answer, CkanError> {
        let value = match action {
            "package_search" => return self.package_search(&p).await,
            "package_show" => self.package_show(&p).await,
            "package_list" => self.package_list(&p).await,
            "current_package_list_with_resources" => self.current_packages(&p).await,
            "organization_list" => self.organization_list(&p).await,
            "organization_show" => self.organization_show(&p).await,
            "group_list" => self.group_list(&p).await,
            "group_show" => self.group_show(&p).await,
            "tag_list" => self.tag_list(&p).await,
            "resource_show" => self.resource_show(&p).await,
            "status_show" => Ok(self.status_show()),
            "site_read" => Ok(json!(true)),
            "help_show" => help_show(&p),
            "datastore_search" => self.datastore_search(&p).await,
            "package_create" => self.package_create(&p).await,
            "package_update" => self.package_update(&p).await,
            "package_patch" => self.package_patch(&p).await,
            "package_delete" => self.package_delete(&p).await,
            "resource_create" => self.resource_create(p).await,
            "resource_update" | "resource_patch" => self.resource_update(p).await,
            "resource_delete" => self.resource_delete(&p).await,
            other => Err(CkanError::BadRequest(format!(
                "Bad request - Action name not known: {other}"
            ))),
        };
        value.map(Answer::Value)
    }

    async fn directory(&self) -> Result<Directory, CkanError> {
        Directory::load(self.state, self.catalog)
            .await
            .map_err(CkanError::Internal)
    }

    /// The principal of a write, or CKAN's refusal for anonymous callers.
    fn writer(&self, action: &str) -> Result<&Principal, CkanError> {
        self.viewer.ok_or_else(|| {
            CkanError::Authorization(format!(
                "Access denied: Action {action} requires an authenticated user"
            ))
        })
    }

    // ---- reads ------------------------------------------------------------------------

    /// Answered with the records themselves (see [`SearchAnswer`]).
    async fn package_search(&self, p: &Params) -> Result<Answer, CkanError> {
        let (query, nothing) = search_query(p)?;
        let dir = self.directory().await?;
        let result = if nothing {
            None
        } else {
            Some(self.catalog.search(self.viewer, &query).await?)
        };
        let (count, datasets, facets) = match result {
            Some(r) => (r.count, r.datasets, r.facets),
            None => (0, Vec::new(), Default::default()),
        };
        Ok(Answer::Search(Box::new(SearchAnswer {
            dir,
            count,
            sort: p
                .str("sort")
                .unwrap_or_else(|| "score desc, metadata_modified desc".into()),
            fields: query.facet_fields,
            facets,
            datasets,
        })))
    }

    async fn package_show(&self, p: &Params) -> Result<Value, CkanError> {
        let id = p
            .non_empty("id")
            .or_else(|| p.non_empty("name_or_id"))
            .ok_or_else(|| CkanError::missing("id"))?;
        let d = self.catalog.show(self.viewer, &id).await?;
        let dir = self.directory().await?;
        let mut out = wire::dataset_json(&dir, &d);
        // CKAN's tracking: page views in all and in the recent window (ours: 30 days).
        if p.bool("include_tracking")?.unwrap_or(false)
            && let Value::Object(o) = &mut out
        {
            let u = self.catalog.dataset_usage(&d.id).await?;
            o.insert(
                "tracking_summary".into(),
                json!({"total": u.views_total, "recent": u.views_recent}),
            );
            o.insert(
                "download_summary".into(),
                json!({"total": u.downloads_total, "recent": u.downloads_recent}),
            );
        }
        Ok(out)
    }

    async fn package_list(&self, p: &Params) -> Result<Value, CkanError> {
        let limit = p.natural("limit")?.map(|n| n as i64);
        let offset = p.natural("offset")?.unwrap_or(0) as i64;
        Ok(json!(self.catalog.package_list(limit, offset).await?))
    }

    async fn current_packages(&self, p: &Params) -> Result<Value, CkanError> {
        let query = SearchQuery {
            rows: p.natural("limit")?.unwrap_or(MAX_ROWS).min(MAX_ROWS),
            start: p.natural("offset")?.unwrap_or(0),
            sort: SortOrder::ModifiedDesc,
            facet_fields: Vec::new(),
            ..SearchQuery::default()
        };
        let r = self.catalog.search(self.viewer, &query).await?;
        let dir = self.directory().await?;
        Ok(json!(
            r.datasets
                .iter()
                .map(|d| wire::dataset_json(&dir, d))
                .collect::<Vec<_>>()
        ))
    }

    async fn org_counts(&self) -> Result<HashMap<String, i64>, CkanError> {
        Ok(self
            .catalog
            .organization_counts()
            .await?
            .into_iter()
            .collect())
    }

    async fn organization_list(&self, p: &Params) -> Result<Value, CkanError> {
        let counts = self.org_counts().await?;
        let wanted = p.list("organizations")?;
        let mut orgs: Vec<_> = self
            .state
            .accounts
            .orgs(None)
            .await
            .map_err(CkanError::internal)?
            .into_iter()
            .filter(|o| wire::publishes(o, counts.get(&o.id).copied().unwrap_or(0)))
            .filter(|o| wanted.as_ref().is_none_or(|w| w.contains(&o.id)))
            .collect();
        let sort = p.str("sort").unwrap_or_default().to_ascii_lowercase();
        match sort.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["package_count", rest @ ..] => {
                orgs.sort_by_key(|o| counts.get(&o.id).copied().unwrap_or(0));
                if rest.first() != Some(&"asc") {
                    orgs.reverse();
                }
            }
            ["title", rest @ ..] => {
                orgs.sort_by(|a, b| a.name_ja.cmp(&b.name_ja));
                if rest.first() == Some(&"desc") {
                    orgs.reverse();
                }
            }
            [_, "desc"] => orgs.sort_by(|a, b| b.id.cmp(&a.id)),
            _ => orgs.sort_by(|a, b| a.id.cmp(&b.id)),
        }
        let offset = p.natural("offset")?.unwrap_or(0);
        let limit = p.natural("limit")?.unwrap_or(usize::MAX);
        let page = orgs.into_iter().skip(offset).take(limit);
        if p.bool("all_fields")?.unwrap_or(false) {
            Ok(json!(
                page.map(|o| {
                    let n = counts.get(&o.id).copied().unwrap_or(0);
                    wire::org_json(&o, Some(n))
                })
                .collect::<Vec<_>>()
            ))
        } else {
            Ok(json!(page.map(|o| o.id).collect::<Vec<_>>()))
        }
    }

    /// Datasets of one organisation or group, for `include_datasets`.
    async fn datasets_of(&self, filters: SearchFilters) -> Result<Vec<Value>, CkanError> {
        let query = SearchQuery {
            filters,
            rows: MAX_ROWS,
            sort: SortOrder::NameAsc,
            facet_fields: Vec::new(),
            ..SearchQuery::default()
        };
        let r = self.catalog.search(self.viewer, &query).await?;
        let dir = self.directory().await?;
        Ok(r.datasets
            .iter()
            .map(|d| wire::dataset_json(&dir, d))
            .collect())
    }

    async fn organization_show(&self, p: &Params) -> Result<Value, CkanError> {
        let id = p.required("id")?;
        let org = self
            .state
            .accounts
            .org(&id)
            .await
            .map_err(CkanError::internal)?
            .ok_or_else(|| CkanError::NotFound("Organization not found".into()))?;
        let n = self.org_counts().await?.get(&org.id).copied().unwrap_or(0);
        let mut v = wire::org_json(&org, Some(n));
        if p.bool("include_datasets")?.unwrap_or(false)
            && let Some(m) = v.as_object_mut()
        {
            let filters = SearchFilters {
                organization: vec![org.id.clone()],
                ..SearchFilters::default()
            };
            m.insert("packages".into(), json!(self.datasets_of(filters).await?));
        }
        Ok(v)
    }

    async fn group_list(&self, p: &Params) -> Result<Value, CkanError> {
        let counts: HashMap<String, i64> = self.catalog.group_counts().await?.into_iter().collect();
        let groups = self.catalog.group_list().await?;
        if p.bool("all_fields")?.unwrap_or(false) {
            Ok(json!(
                groups
                    .iter()
                    .map(|g| wire::group_json(g, Some(counts.get(&g.name).copied().unwrap_or(0))))
                    .collect::<Vec<_>>()
            ))
        } else {
            Ok(json!(
                groups.into_iter().map(|g| g.name).collect::<Vec<_>>()
            ))
        }
    }

    async fn group_show(&self, p: &Params) -> Result<Value, CkanError> {
        let id = p.required("id")?;
        let g = self
            .catalog
            .group(&id)
            .await?
            .ok_or_else(|| CkanError::NotFound("Group not found".into()))?;
        let counts: HashMap<String, i64> = self.catalog.group_counts().await?.into_iter().collect();
        let mut v = wire::group_json(&g, Some(counts.get(&g.name).copied().unwrap_or(0)));
        if p.bool("include_datasets")?.unwrap_or(false)
            && let Some(m) = v.as_object_mut()
        {
            let filters = SearchFilters {
                groups: vec![g.name.clone()],
                ..SearchFilters::default()
            };
            m.insert("packages".into(), json!(self.datasets_of(filters).await?));
        }
        Ok(v)
    }

    async fn tag_list(&self, p: &Params) -> Result<Value, CkanError> {
        let query = p.str("query").or_else(|| p.str("q"));
        let tags = self.catalog.tag_list(query.as_deref()).await?;
        if p.bool("all_fields")?.unwrap_or(false) {
            Ok(json!(
                tags.iter()
                    .map(|t| json!({"name": t, "display_name": t, "vocabulary_id": null}))
                    .collect::<Vec<_>>()
            ))
        } else {
            Ok(json!(tags))
        }
    }

    async fn resource_show(&self, p: &Params) -> Result<Value, CkanError> {
        let id = p.required("id")?;
        let (d, r) = self.catalog.resource(self.viewer, &id).await?;
        Ok(wire::resource_json(super::base_url(self.state), &d, &r))
    }

    fn status_show(&self) -> Value {
        json!({
            "site_title": "山口県オープンデータカタログ",
            "site_description": "Yamaguchi Prefecture Open Data Catalog",
            "site_url": super::base_url(self.state),
            "ckan_version": "2.10.4",
            "ydx_version": env!("CARGO_PKG_VERSION"),
            "error_emails_to": null,
            "locale_default": "ja",
            "extensions": ["datastore", "dcat", "ydx"],
        })
    }

    async fn datastore_search(&self, p: &Params) -> Result<Value, CkanError> {
        let resource_id = p
            .non_empty("resource_id")
            .or_else(|| p.non_empty("id"))
            .ok_or_else(|| CkanError::missing("resource_id"))?;
        let table = self
            .catalog
            .resource_table(self.viewer, &resource_id)
            .await?;
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let known = |c: &str| columns.contains(&c);
        let mut q = TableQuery {
            limit: p.natural("limit")?.unwrap_or(100).min(datastore::MAX_LIMIT),
            offset: p.natural("offset")?.unwrap_or(0),
            ..TableQuery::default()
        };
        if let Some(filters) = self.json_param(p, "filters")? {
            let Value::Object(filters) = filters else {
                return Err(CkanError::validation("filters", "Not a JSON object"));
            };
            for (k, v) in filters {
                if !known(&k) {
                    return Err(CkanError::validation(
                        "filters",
                        &format!("field \"{k}\" not in table"),
                    ));
                }
                let value = match &v {
                    Value::Array(items) if items.len() == 1 => text(&items[0]),
                    Value::Array(_) => {
                        return Err(CkanError::validation(
                            "filters",
                            "a list of several values is not supported; query each value",
                        ));
                    }
                    other => text(other),
                };
                q.filters.push((k, value.unwrap_or_default()));
            }
        }
        match p.map.get("q") {
            Some(Value::Object(_)) => {
                return Err(CkanError::validation(
                    "q",
                    "per-field full text is not supported; use filters",
                ));
            }
            Some(v) => q.q = text(v).filter(|s| !s.trim().is_empty()),
            None => {}
        }
        if let Some(sort) = p.non_empty("sort") {
            let s = TableSort::parse(&sort)
                .ok_or_else(|| CkanError::validation("sort", "Invalid sort"))?;
            if !known(&s.column) && s.column != "_id" {
                return Err(CkanError::validation(
                    "sort",
                    &format!("field \"{}\" not in table", s.column),
                ));
            }
            // `_id` is file order, which is the order without a sort.
            q.sort = (s.column != "_id").then_some(s);
        }
        if let Some(fields) = p.list("fields")? {
            for f in &fields {
                if f != "_id" && !known(f) {
                    return Err(CkanError::validation(
                        "fields",
                        &format!("field \"{f}\" not in table"),
                    ));
                }
            }
            q.fields = Some(fields);
        }
        let result = table.query(&q).map_err(|e| match e {
            CatalogError::BadQuery(m) => CkanError::validation("query", &m),
            other => other.into(),
        })?;
        let fields: Vec<Value> = result
            .fields
            .iter()
            .map(|c| json!({"id": c.name, "type": wire::datastore_type(&c.kind)}))
            .collect();
        let links = datastore_links(p, &resource_id, q.offset, q.limit);
        let records_format = p.str("records_format").unwrap_or_else(|| "objects".into());
        let records = match records_format.as_str() {
            "objects" => json!(result.records),
            "lists" => json!(
                result
                    .records
                    .iter()
                    .map(|r| result
                        .fields
                        .iter()
                        .map(|f| r.get(&f.name).cloned().unwrap_or(Value::Null))
                        .collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            ),
            _ => {
                return Err(CkanError::validation(
                    "records_format",
                    "Must be objects or lists",
                ));
            }
        };
        Ok(json!({
            "include_total": true,
            "resource_id": resource_id,
            "fields": fields,
            "records_format": records_format,
            "records": records,
            "limit": q.limit,
            "offset": q.offset,
            "total": result.total,
            "total_was_estimated": false,
            "_links": links,
        }))
    }

    /// A parameter that is JSON: an object in a JSON body, or a string holding JSON.
    fn json_param(&self, p: &Params, k: &str) -> Result<Option<Value>, CkanError> {
        match p.map.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|_| CkanError::validation(k, "Cannot parse JSON")),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    // ---- writes -----------------------------------------------------------------------

    async fn package_create(&self, p: &Params) -> Result<Value, CkanError> {
        let actor = self.writer("package_create")?;
        let fields = wire::dataset_fields(&p.map).map_err(CkanError::Validation)?;
        let links = resource_links(p.map.get("resources"))?;
        let d = self.catalog.create_dataset(actor, fields).await?;
        for (fields, url) in links {
            self.catalog
                .add_resource(actor, &d.id, fields, ResourceSource::Link { url })
                .await?;
        }
        self.show_json(actor, &d.id).await
    }

    async fn show_json(&self, actor: &Principal, id: &str) -> Result<Value, CkanError> {
        let d = self.catalog.show(Some(actor), id).await?;
        Ok(wire::dataset_json(&self.directory().await?, &d))
    }

    async fn package_update(&self, p: &Params) -> Result<Value, CkanError> {
        let actor = self.writer("package_update")?;
        let id = p
            .non_empty("id")
            .or_else(|| p.non_empty("name"))
            .ok_or_else(|| CkanError::missing("id"))?;
        let mut fields = wire::dataset_fields(&p.map).map_err(CkanError::Validation)?;
        let before = self.catalog.show(Some(actor), &id).await?;
        if fields.name.is_empty() {
            fields.name = before.name.clone();
        }
        let d = self
            .catalog
            .update_dataset(actor, &before.id, fields)
            .await?;
        if let Some(list) = p.map.get("resources") {
            self.sync_resources(actor, &d, list).await?;
        }
        self.show_json(actor, &d.id).await
    }

    /// CKAN's `package_update` resources: those given are kept and changed, new links are
    /// added, and the ones left out are deleted.
    async fn sync_resources(
        &self,
        actor: &Principal,
        d: &Dataset,
        list: &Value,
    ) -> Result<(), CkanError> {
        let Value::Array(items) = list else {
            return Err(CkanError::validation("resources", "Must be a list"));
        };
        let mut keep = Vec::new();
        let mut new_links = Vec::new();
        for item in items {
            let Value::Object(r) = item else {
                return Err(CkanError::validation(
                    "resources",
                    "Must be a list of dicts",
                ));
            };
            let existing = r
                .get("id")
                .and_then(text)
                .and_then(|id| d.resources.iter().find(|x| x.id == id));
            match existing {
                Some(x) => {
                    keep.push(x.id.clone());
                    let patch = resource_patch(r, x);
                    if patch != ResourcePatch::default() {
                        self.catalog.patch_resource(actor, &x.id, patch).await?;
                    }
                }
                None => new_links.push(Value::Object(r.clone())),
            }
        }
        let links = resource_links(Some(&Value::Array(new_links)))?;
        for r in &d.resources {
            if !keep.contains(&r.id) {
                self.catalog.delete_resource(actor, &r.id).await?;
            }
        }
        for (fields, url) in links {
            self.catalog
                .add_resource(actor, &d.id, fields, ResourceSource::Link { url })
                .await?;
        }
        Ok(())
    }

    async fn package_patch(&self, p: &Params) -> Result<Value, CkanError> {
        let actor = self.writer("package_patch")?;
        let id = p
            .non_empty("id")
            .or_else(|| p.non_empty("name"))
            .ok_or_else(|| CkanError::missing("id"))?;
        let mut map = p.map.clone();
        map.remove("id");
        // `name` only identifies the dataset when no `id` is given.
        if p.non_empty("id").is_none() {
            map.remove("name");
        }
        let patch = wire::dataset_patch(&map).map_err(CkanError::Validation)?;
        let d = self.catalog.patch_dataset(actor, &id, patch).await?;
        if let Some(list) = p.map.get("resources") {
            self.sync_resources(actor, &d, list).await?;
        }
        self.show_json(actor, &d.id).await
    }

    async fn package_delete(&self, p: &Params) -> Result<Value, CkanError> {
        let actor = self.writer("package_delete")?;
        let id = p.required("id")?;
        self.catalog.delete_dataset(actor, &id).await?;
        Ok(Value::Null)
    }

    async fn resource_create(&self, mut p: Params) -> Result<Value, CkanError> {
        let actor = self.writer("resource_create")?;
        let package_id = p.required("package_id")?;
        let fields = ResourceFields {
            name: p.str("name").unwrap_or_default(),
            description: p.str("description").unwrap_or_default(),
            format: p.str("format").unwrap_or_default(),
            period: p.non_empty("period"),
        };
        let source = match p.upload.take() {
            Some((filename, bytes)) => ResourceSource::Upload { bytes, filename },
            None => ResourceSource::Link {
                url: p.required("url")?,
            },
        };
        let r = self
            .catalog
            .add_resource(actor, &package_id, fields, source)
            .await?;
        let (d, r) = self.catalog.resource(Some(actor), &r.id).await?;
        Ok(wire::resource_json(super::base_url(self.state), &d, &r))
    }

    async fn resource_update(&self, mut p: Params) -> Result<Value, CkanError> {
        let actor = self.writer("resource_update")?;
        let id = p.required("id")?;
        let (_, before) = self.catalog.resource(Some(actor), &id).await?;
        let mut current = before.clone();
        if let Some((filename, bytes)) = p.upload.take() {
            let format = p.non_empty("format");
            current = self
                .catalog
                .upload_version(actor, &id, bytes, &filename, format.as_deref())
                .await?;
        }
        let mut patch = resource_patch(&p.map, &current);
        if current.url_type == "upload" {
            patch.url = None;
        }
        if patch != ResourcePatch::default() {
            self.catalog.patch_resource(actor, &id, patch).await?;
        }
        let (d, r) = self.catalog.resource(Some(actor), &id).await?;
        Ok(wire::resource_json(super::base_url(self.state), &d, &r))
    }

    async fn resource_delete(&self, p: &Params) -> Result<Value, CkanError> {
        let actor = self.writer("resource_delete")?;
        let id = p.required("id")?;
        self.catalog.delete_resource(actor, &id).await?;
        Ok(Value::Null)
    }
}

fn help_show(p: &Params) -> Result<Value, CkanError> {
    let name = p.required("name")?;
    ACTIONS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, help)| json!(help))
        .ok_or_else(|| CkanError::NotFound("Action function not found".into()))
}

/// What changes in a resource given a CKAN resource dict: only the fields that differ, so a
/// client sending back what `resource_show` returned changes nothing. A link's URL changes
/// only for links; for uploads the URL is ours.
fn resource_patch(r: &Map<String, Value>, x: &ydx_catalog::Resource) -> ResourcePatch {
    let changed =
        |k: &str, current: &str| r.get(k).and_then(text).filter(|v| v.as_str() != current);
    let mut patch = ResourcePatch {
        name: changed("name", &x.name),
        description: changed("description", &x.description),
        format: changed("format", &x.format).filter(|f| !f.trim().is_empty()),
        ..ResourcePatch::default()
    };
    if let Some(v) = r.get("period") {
        let period = text(v).filter(|s| !s.trim().is_empty());
        if period != x.period {
            patch.period = Some(period);
        }
    }
    if x.url_type != "upload"
        && let Some(url) = changed("url", &x.url)
    {
        patch.url = Some(url);
    }
    patch
}

/// Link resources given inline in `package_create`/`package_update`, checked before anything
/// is written (CKAN's nested error shape: one dict per resource).
fn resource_links(list: Option<&Value>) -> Result<Vec<(ResourceFields, String)>, CkanError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = list else {
        return Err(CkanError::validation("resources", "Must be a list"));
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut any = false;
    for item in items {
        let r = item.as_object().cloned().unwrap_or_default();
        let url = r.get("url").and_then(text).unwrap_or_default();
        let mut e = Map::new();
        if url.trim().is_empty() {
            e.insert("url".into(), json!(["Missing value"]));
        } else if !(url.starts_with("http://") || url.starts_with("https://")) {
            e.insert("url".into(), json!(["Must start with http:// or https://"]));
        }
        any |= !e.is_empty();
        errors.push(Value::Object(e));
        out.push((
            ResourceFields {
                name: r.get("name").and_then(text).unwrap_or_default(),
                description: r.get("description").and_then(text).unwrap_or_default(),
                format: r.get("format").and_then(text).unwrap_or_default(),
                period: r
                    .get("period")
                    .and_then(text)
                    .filter(|s| !s.trim().is_empty()),
            },
            url.trim().to_string(),
        ));
    }
    if any {
        let mut m = Map::new();
        m.insert("resources".into(), Value::Array(errors));
        return Err(CkanError::Validation(m));
    }
    Ok(out)
}

/// The label of a facet value for people.
pub(super) fn facet_label(dir: &Directory, field: FacetField, value: &str) -> String {
    match field {
        FacetField::Organization => dir.org_title(value),
        FacetField::Groups => dir.group_title(value),
        FacetField::Municipality => ydx_region::MUNICIPALITIES
            .iter()
            .find(|m| m.code == value)
            .map_or_else(|| value.to_string(), |m| m.name_ja.to_string()),
        FacetField::LicenseId => {
            ydx_catalog::license(value).map_or_else(|| value.to_string(), |l| l.title_ja.into())
        }
        FacetField::Tags | FacetField::ResFormat => value.to_string(),
    }
}

/// `package_search`'s result, written from the search's records: the counts per facet value,
/// the same as CKAN's `search_facets` items with labels, and the page of datasets.
struct SearchAnswer {
    dir: Directory,
    count: i64,
    sort: String,
    /// The facet fields asked for, in order (each once, see [`search_query`]).
    fields: Vec<FacetField>,
    facets: std::collections::BTreeMap<String, Vec<ydx_catalog::FacetValue>>,
    datasets: Vec<std::sync::Arc<ydx_catalog::Dataset>>,
}

impl SearchAnswer {
    fn fields(&self) -> impl Iterator<Item = (FacetField, &[ydx_catalog::FacetValue])> + '_ {
        self.fields.iter().map(|f| {
            let values = self.facets.get(f.as_str()).map_or(&[][..], Vec::as_slice);
            (*f, values)
        })
    }
}

impl Serialize for SearchAnswer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Counts<'a>(&'a [ydx_catalog::FacetValue]);
        impl Serialize for Counts<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().map(|v| (&v.value, v.count)))
            }
        }
        struct Facets<'a>(&'a SearchAnswer);
        impl Serialize for Facets<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.fields().map(|(f, v)| (f.as_str(), Counts(v))))
            }
        }
        #[derive(Serialize)]
        struct Item<'a> {
            name: &'a str,
            display_name: String,
            count: i64,
        }
        struct Items<'a>(&'a Directory, FacetField, &'a [ydx_catalog::FacetValue]);
        impl Serialize for Items<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let Items(dir, field, values) = *self;
                s.collect_seq(values.iter().map(|v| Item {
                    name: &v.value,
                    display_name: facet_label(dir, field, &v.value),
                    count: v.count,
                }))
            }
        }
        #[derive(Serialize)]
        struct SearchFacet<'a> {
            title: &'static str,
            items: Items<'a>,
        }
        struct SearchFacets<'a>(&'a SearchAnswer);
        impl Serialize for SearchFacets<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let dir = &self.0.dir;
                s.collect_map(self.0.fields().map(|(f, v)| {
                    let facet = SearchFacet {
                        title: f.as_str(),
                        items: Items(dir, f, v),
                    };
                    (f.as_str(), facet)
                }))
            }
        }
        struct Results<'a>(&'a Directory, &'a [std::sync::Arc<ydx_catalog::Dataset>]);
        impl Serialize for Results<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.1.iter().map(|d| wire::DatasetJson {
                    dir: self.0,
                    dataset: d,
                }))
            }
        }
        let mut m = s.serialize_struct("SearchResult", 5)?;
        m.serialize_field("count", &self.count)?;
        m.serialize_field("sort", &self.sort)?;
        m.serialize_field("facets", &Facets(self))?;
        m.serialize_field("search_facets", &SearchFacets(self))?;
        m.serialize_field("results", &Results(&self.dir, &self.datasets))?;
        m.end()
    }
}

/// `_links` of a `datastore_search` answer: this query from the start and the next page.
fn datastore_links(p: &Params, resource_id: &str, offset: usize, limit: usize) -> Value {
    let mut kept: Vec<(String, String)> = Vec::new();
    for k in ["q", "filters", "sort", "fields", "records_format"] {
        if let Some(v) = p.map.get(k) {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Array(items) if k == "fields" => {
                    items.iter().filter_map(text).collect::<Vec<_>>().join(",")
                }
                other => other.to_string(),
            };
            kept.push((k.to_string(), s));
        }
    }
    let url = |offset: Option<usize>| {
        let mut pairs = kept.clone();
        pairs.push(("resource_id".into(), resource_id.to_string()));
        pairs.push(("limit".into(), limit.to_string()));
        if let Some(o) = offset {
            pairs.push(("offset".into(), o.to_string()));
        }
        format!(
            "/api/3/action/datastore_search?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    json!({"start": url(None), "next": url(Some(offset + limit))})
}

/// Reads `package_search` parameters. The second value is true when a filter can match
/// nothing (e.g. `dataset_type:harvest`), so the search is skipped.
pub fn search_query(p: &Params) -> Result<(SearchQuery, bool), CkanError> {
    let mut query = SearchQuery {
        facet_fields: Vec::new(),
        ..SearchQuery::default()
    };
    let mut nothing = false;
    let mut q = p.str("q").unwrap_or_default().trim().to_string();
    // `q=tags:防災` is a filter written in q, as Solr reads it.
    if q.contains(':')
        && q != "*:*"
        && let Ok(Fq {
            filters,
            nothing: n,
        }) = parse_fq(&q)
    {
        merge_filters(&mut query.filters, filters);
        nothing |= n;
        q.clear();
    }
    query.q = q;
    let mut fqs = Vec::new();
    if let Some(fq) = p.non_empty("fq") {
        fqs.push(fq);
    }
    if let Some(list) = p.list("fq_list")? {
        fqs.extend(list);
    }
    for fq in fqs {
        let parsed = parse_fq(&fq).map_err(CkanError::SearchQuery)?;
        merge_filters(&mut query.filters, parsed.filters);
        nothing |= parsed.nothing;
    }
    // CKAN clamps rows to its maximum (`ckan.search.rows_max`) rather than refusing.
    query.rows = p.natural("rows")?.unwrap_or(10).min(MAX_ROWS);
    query.start = p.natural("start")?.unwrap_or(0);
    if let Some(sort) = p.non_empty("sort") {
        query.sort = SortOrder::parse_ckan(&sort)
            .ok_or_else(|| CkanError::SearchQuery(format!("cannot sort by {sort:?}")))?;
    }
    let faceting = p.bool("facet")?.unwrap_or(true);
    if faceting && let Some(fields) = p.list("facet.field")? {
        // Fields ydx does not count are left out, as Solr answers unknown fields with nothing;
        // a field asked for twice is counted (and answered) once.
        for field in fields.iter().filter_map(|f| FacetField::parse(f)) {
            if !query.facet_fields.contains(&field) {
                query.facet_fields.push(field);
            }
        }
    }
    query.facet_limit = match p.int("facet.limit")? {
        None => 50,
        Some(n) if n < 0 => FACET_LIMIT_ALL,
        Some(n) => usize::try_from(n).unwrap_or(50),
    };
    query.include_private = p.bool("include_private")?.unwrap_or(false);
    query.include_drafts = p.bool("include_drafts")?.unwrap_or(false);
    Ok((query, nothing))
}

fn merge_filters(into: &mut SearchFilters, from: SearchFilters) {
    into.organization.extend(from.organization);
    into.municipality.extend(from.municipality);
    into.tags.extend(from.tags);
    into.groups.extend(from.groups);
    into.res_format.extend(from.res_format);
    into.license_id.extend(from.license_id);
    into.conditions.extend(from.conditions);
}
