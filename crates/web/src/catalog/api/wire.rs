//! Datasets, resources, organisations and groups in CKAN's JSON shape, and back.
//!
//! ydx's own fields travel as CKAN extras so that every CKAN client round-trips them:
//! `municipality` (comma-separated 5-digit codes; not `spatial`, which ckanext-spatial
//! reserves for GeoJSON and would reject on a harvesting CKAN), `temporal_start`,
//! `temporal_end`, `frequency`, `standard` and `series`. They are accepted back as extras or
//! as top-level keys (ckanext-scheming style).

use std::sync::Arc;

use serde_json::{Map, Value, json};
use ydx_accounts::{OrgKind, Organization};
use ydx_catalog::{
    Catalog, Dataset, DatasetFields, DatasetPatch, DatasetState, Frequency, Group, Resource,
    license,
};

use super::percent_encode;
use crate::AppState;

/// Extras that carry ydx's own fields.
pub const MUNICIPALITY_EXTRA: &str = "municipality";
const OWN_EXTRAS: [&str; 6] = [
    MUNICIPALITY_EXTRA,
    "temporal_start",
    "temporal_end",
    "frequency",
    "standard",
    "series",
];

/// `object` with `parts` added. `json!` copies each value it is given through
/// `serde_json::to_value` (a deep copy of a `Value` already built), so nested arrays and
/// objects are moved in with this instead.
pub fn with_parts(
    mut object: Value,
    parts: impl IntoIterator<Item = (&'static str, Value)>,
) -> Value {
    if let Value::Object(map) = &mut object {
        for (k, v) in parts {
            map.insert(k.to_string(), v);
        }
    }
    object
}

/// What turning datasets into JSON needs besides the datasets: organisations and groups by
/// id, and the public URL. Built once per request from the lists the accounts and catalog
/// engines keep (re-read at most once a second), so it costs no query.
pub struct Directory {
    pub base: String,
    orgs: Arc<Vec<Organization>>,
    groups: Arc<Vec<Group>>,
}

impl Directory {
    pub async fn load(state: &AppState, catalog: &Catalog) -> Result<Directory, String> {
        let orgs = state.accounts.org_list().await.map_err(|e| e.to_string())?;
        let groups = catalog.shared_groups().await.map_err(|e| e.to_string())?;
        Ok(Directory {
            base: super::base_url(state).to_string(),
            orgs,
            groups,
        })
    }

    pub fn org(&self, id: &str) -> Option<&Organization> {
        self.orgs.iter().find(|o| o.id == id)
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    pub fn org_title(&self, id: &str) -> String {
        self.org(id)
            .map_or_else(|| id.to_string(), |o| o.name_ja.clone())
    }

    pub fn group_title(&self, name: &str) -> String {
        self.group(name)
            .map_or_else(|| name.to_string(), |g| g.title_ja.clone())
    }
}

/// Organisations the catalog lists: public bodies, and anyone else who has published.
pub fn publishes(org: &Organization, package_count: i64) -> bool {
    matches!(
        org.kind,
        OrgKind::Prefecture | OrgKind::PrefectureDepartment | OrgKind::Municipality
    ) || package_count > 0
}

/// An organisation as CKAN shows it.
pub fn org_json(org: &Organization, package_count: Option<i64>) -> Value {
    let mut v = json!({
        "id": org.id,
        "name": org.id,
        "title": org.name_ja,
        "display_name": org.name_ja,
        "title_en": org.name_en,
        "description": org.description,
        "image_url": "",
        "image_display_url": "",
        "created": org.created_at,
        "type": "organization",
        "is_organization": true,
        "state": "active",
        "approval_status": "approved",
        "municipality_code": org.municipality_code,
    });
    if let (Some(n), Some(m)) = (package_count, v.as_object_mut()) {
        m.insert("package_count".into(), json!(n));
    }
    v
}

/// A group as CKAN shows it.
pub fn group_json(g: &Group, package_count: Option<i64>) -> Value {
    let mut v = json!({
        "id": g.name,
        "name": g.name,
        "title": g.title_ja,
        "display_name": g.title_ja,
        "title_en": g.title_en,
        "description": g.description,
        "image_url": "",
        "image_display_url": "",
        "type": "group",
        "is_organization": false,
        "state": "active",
        "approval_status": "approved",
    });
    if let (Some(n), Some(m)) = (package_count, v.as_object_mut()) {
        m.insert("package_count".into(), json!(n));
    }
    v
}

/// The file name offered in a download URL: the resource's name with the format's extension.
pub fn download_filename(r: &Resource) -> String {
    let ext = r.format.trim().to_ascii_lowercase();
    let name = r.name.trim();
    let stem = if name.is_empty() { "data" } else { name };
    let stem: String = stem
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if ext.is_empty() || stem.to_ascii_lowercase().ends_with(&format!(".{ext}")) {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// Where the current bytes of an upload are served; a link's own URL otherwise.
pub fn resource_url(base: &str, d: &Dataset, r: &Resource) -> String {
    if r.url_type == "upload" {
        format!(
            "{base}/dataset/{}/resource/{}/download/{}",
            d.name,
            r.id,
            percent_encode(&download_filename(r))
        )
    } else {
        r.url.clone()
    }
}

/// Whether the data API (`datastore_search`) answers for the resource.
pub fn datastore_active(r: &Resource) -> bool {
    r.table.is_some() && r.url_type == "upload"
}

pub fn resource_json(base: &str, d: &Dataset, r: &Resource) -> Value {
    let fields: Option<Vec<Value>> = r.table.as_ref().map(|t| {
        t.columns
            .iter()
            .map(|c| json!({"id": c.name, "type": datastore_type(&c.kind)}))
            .collect()
    });
    let object = json!({
        "id": r.id,
        "package_id": d.id,
        "name": r.name,
        "description": r.description,
        "format": r.format,
        "mimetype": if r.mimetype.is_empty() { Value::Null } else { json!(r.mimetype) },
        "mimetype_inner": null,
        "url": resource_url(base, d, r),
        "url_type": if r.url_type.is_empty() { Value::Null } else { json!(r.url_type) },
        "size": r.size,
        "hash": r.hash,
        "position": r.position,
        "created": r.created,
        "last_modified": r.last_modified,
        "metadata_modified": r.last_modified,
        "state": "active",
        "cache_url": null,
        "resource_type": null,
        "datastore_active": datastore_active(r),
        "period": r.period,
        "version": r.version,
        "row_count": r.table.as_ref().map(|t| t.row_count),
        // A workbook has no text encoding: null, and the sheet it was read from instead.
        "encoding": r.table.as_ref().map(|t| t.encoding.clone()).filter(|e| !e.is_empty()),
        "sheet": r.table.as_ref().and_then(|t| t.sheet.clone()),
    });
    with_parts(
        object,
        [("datastore_fields", fields.map_or(Value::Null, Value::Array))],
    )
}

/// A column kind as a CKAN DataStore type.
pub fn datastore_type(kind: &str) -> &'static str {
    match kind {
        "integer" => "int",
        "decimal" | "latitude" | "longitude" => "numeric",
        "date" => "date",
        "boolean" => "bool",
        _ => "text",
    }
}

pub fn dataset_json(dir: &Directory, d: &Dataset) -> Value {
    let org = dir.org(&d.owner_org);
    let organization = match org {
        Some(o) => org_json(o, None),
        None => json!({"id": d.owner_org, "name": d.owner_org, "title": d.owner_org}),
    };
    let lic = license(&d.license_id);
    let tags: Vec<Value> = d
        .tags
        .iter()
        .map(|t| json!({"name": t, "display_name": t, "state": "active", "vocabulary_id": null}))
        .collect();
    let groups: Vec<Value> = d
        .groups
        .iter()
        .map(|g| {
            let title = dir.group_title(g);
            json!({"id": g, "name": g, "title": title, "display_name": title,
                   "description": dir.group(g).map(|x| x.description.clone()).unwrap_or_default(),
                   "image_display_url": ""})
        })
        .collect();
    let mut extras: Vec<Value> = d
        .extras
        .iter()
        .filter(|(k, _)| !OWN_EXTRAS.contains(&k.as_str()))
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    let mut own = |k: &str, v: String| {
        if !v.is_empty() {
            extras.push(json!({"key": k, "value": v}));
        }
    };
    own(MUNICIPALITY_EXTRA, d.spatial.join(","));
    own(
        "temporal_start",
        d.temporal_start.clone().unwrap_or_default(),
    );
    own("temporal_end", d.temporal_end.clone().unwrap_or_default());
    own(
        "frequency",
        d.frequency
            .map(|f| f.as_str().to_string())
            .unwrap_or_default(),
    );
    own("standard", d.standard.clone().unwrap_or_default());
    if d.series {
        own("series", "true".into());
    }
    let resources: Vec<Value> = d
        .resources
        .iter()
        .map(|r| resource_json(&dir.base, d, r))
        .collect();
    let object = json!({
        "id": d.id,
        "name": d.name,
        "title": d.title,
        "notes": d.notes,
        "owner_org": d.owner_org,
        "private": d.private,
        "state": d.state.as_str(),
        "type": "dataset",
        "license_id": d.license_id,
        "license_title": lic.map(|l| l.title_en),
        "license_url": lic.map(|l| l.url),
        "isopen": lic.is_some_and(|l| l.open),
        "author": d.author,
        "author_email": d.author_email,
        "maintainer": d.maintainer,
        "maintainer_email": d.maintainer_email,
        "version": d.version,
        "url": d.url,
        "num_resources": d.resources.len(),
        "num_tags": d.tags.len(),
        "metadata_created": d.metadata_created,
        "metadata_modified": d.metadata_modified,
        "creator_user_id": d.creator_user_id,
        "relationships_as_object": [],
        "relationships_as_subject": [],
    });
    with_parts(
        object,
        [
            ("organization", organization),
            ("tags", Value::Array(tags)),
            ("groups", Value::Array(groups)),
            ("extras", Value::Array(extras)),
            ("resources", Value::Array(resources)),
        ],
    )
}

// ---- reading CKAN input ---------------------------------------------------------------------

/// Per-field problems found reading a payload (CKAN's Validation Error body).
pub type FieldErrors = Map<String, Value>;

fn add_error(errors: &mut FieldErrors, field: &str, message: &str) {
    let list = errors
        .entry(field.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(v) = list {
        v.push(json!(message));
    }
}

/// A scalar as text: strings as they are, numbers and booleans printed; null is absent.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// CKAN's boolean conversion: true/false, "true"/"True"/"1"/"yes"/"on".
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
            "false" | "0" | "no" | "off" | "f" | "n" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Names from CKAN's list forms: `[{"name": "x"}]`, `["x"]`, or a comma-separated string.
fn names(v: &Value, keys: &[&str]) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::Object(o) => keys.iter().find_map(|k| o.get(*k).and_then(text)),
                other => text(other),
            })
            .collect(),
        Value::String(s) => s
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads a frequency from ydx's names, the EU vocabulary's terms or its URIs.
fn frequency(s: &str) -> Option<Frequency> {
    let term = s
        .trim()
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match term.as_str() {
        "cont" => Some(Frequency::Continuous),
        "irreg" => Some(Frequency::Irregular),
        "annual_2" | "annually" | "yearly" => Some(Frequency::Annual),
        t => Frequency::parse(t),
    }
}

/// ydx's own fields read from extras and top-level keys; `None` where neither says anything.
#[derive(Default)]
struct OwnFields {
    spatial: Option<Vec<String>>,
    temporal_start: Option<Option<String>>,
    temporal_end: Option<Option<String>>,
    frequency: Option<Option<Frequency>>,
    standard: Option<Option<String>>,
    series: Option<bool>,
    /// The extras that are not ydx's own, when `extras` was given.
    extras: Option<Vec<(String, String)>>,
}

fn own_fields(input: &Map<String, Value>, errors: &mut FieldErrors) -> OwnFields {
    let mut out = OwnFields::default();
    let mut given: Vec<(String, Value)> = Vec::new();
    if let Some(extras) = input.get("extras") {
        let mut rest = Vec::new();
        let items: Vec<(String, String)> = match extras {
            Value::Array(items) => items
                .iter()
                .filter_map(|i| {
                    let key = i.get("key").and_then(text)?;
                    let value = i
                        .get("value")
                        .map_or_else(String::new, |v| text(v).unwrap_or_else(|| v.to_string()));
                    Some((key, value))
                })
                .collect(),
            Value::Object(o) => o
                .iter()
                .map(|(k, v)| (k.clone(), text(v).unwrap_or_else(|| v.to_string())))
                .collect(),
            _ => Vec::new(),
        };
        for (k, v) in items {
            let own = OWN_EXTRAS.contains(&k.as_str())
                // `spatial` holding codes (not ckanext-spatial's GeoJSON) is ours too.
                || (k == "spatial" && !v.trim_start().starts_with('{'));
            if own {
                given.push((k, Value::String(v)));
            } else {
                rest.push((k, v));
            }
        }
        // Extras replace the whole list (CKAN): ydx fields missing from it are cleared.
        out.spatial = Some(Vec::new());
        out.temporal_start = Some(None);
        out.temporal_end = Some(None);
        out.frequency = Some(None);
        out.standard = Some(None);
        out.series = Some(false);
        out.extras = Some(rest);
    }
    for k in OWN_EXTRAS {
        if let Some(v) = input.get(k) {
            given.push((k.to_string(), v.clone()));
        }
    }
    for (k, v) in given {
        let s = text(&v).unwrap_or_default().trim().to_string();
        let opt = (!s.is_empty()).then(|| s.clone());
        match k.as_str() {
            "municipality" | "spatial" => {
                out.spatial = Some(match &v {
                    Value::Array(_) => names(&v, &["code", "name"]),
                    _ => s
                        .split([',', ' ', '、'])
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_string)
                        .collect(),
                });
            }
            "temporal_start" => out.temporal_start = Some(opt),
            "temporal_end" => out.temporal_end = Some(opt),
            "standard" => out.standard = Some(opt),
            "frequency" => {
                out.frequency = Some(match opt {
                    None => None,
                    Some(f) => match frequency(&f) {
                        Some(f) => Some(f),
                        None => {
                            add_error(errors, "frequency", "Unknown update frequency");
                            None
                        }
                    },
                })
            }
            "series" => match boolean(&v) {
                Some(b) => out.series = Some(b),
                None => add_error(errors, "series", "Must be true or false"),
            },
            _ => {}
        }
    }
    out
}

/// A dataset's fields from a `package_create`/`package_update` payload (missing: default).
pub fn dataset_fields(input: &Map<String, Value>) -> Result<DatasetFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let own = own_fields(input, &mut errors);
    let s = |k: &str| input.get(k).and_then(text).unwrap_or_default();
    let mut f = DatasetFields {
        name: s("name"),
        title: s("title"),
        notes: s("notes"),
        owner_org: s("owner_org"),
        license_id: s("license_id"),
        author: s("author"),
        author_email: s("author_email"),
        maintainer: s("maintainer"),
        maintainer_email: s("maintainer_email"),
        version: s("version"),
        url: s("url"),
        ..DatasetFields::default()
    };
    if let Some(v) = input.get("private") {
        match boolean(v) {
            Some(b) => f.private = b,
            None => add_error(&mut errors, "private", "Must be true or false"),
        }
    }
    if let Some(v) = input.get("state").and_then(text) {
        f.state = dataset_state(&v, &mut errors);
    }
    f.tags = tags(input);
    f.groups = input
        .get("groups")
        .map(|g| names(g, &["name", "id"]))
        .unwrap_or_default();
    f.extras = own.extras.unwrap_or_default();
    f.spatial = own.spatial.unwrap_or_default();
    f.temporal_start = own.temporal_start.flatten();
    f.temporal_end = own.temporal_end.flatten();
    f.frequency = own.frequency.flatten();
    f.standard = own.standard.flatten();
    f.series = own.series.unwrap_or(false);
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    }
}

fn dataset_state(v: &str, errors: &mut FieldErrors) -> Option<DatasetState> {
    match v.trim() {
        "" => None,
        "draft" => Some(DatasetState::Draft),
        "active" => Some(DatasetState::Active),
        _ => {
            add_error(errors, "state", "State may be draft or active");
            None
        }
    }
}

fn tags(input: &Map<String, Value>) -> Vec<String> {
    match (input.get("tags"), input.get("tag_string")) {
        (Some(t), _) => names(t, &["name", "display_name"]),
        (None, Some(t)) => names(t, &[]),
        (None, None) => Vec::new(),
    }
}

/// The change a `package_patch` payload asks for: only the keys present.
pub fn dataset_patch(input: &Map<String, Value>) -> Result<DatasetPatch, FieldErrors> {
    let mut errors = FieldErrors::new();
    let own = own_fields(input, &mut errors);
    let s = |k: &str| input.get(k).map(|v| text(v).unwrap_or_default());
    let mut p = DatasetPatch {
        name: s("name"),
        title: s("title"),
        notes: s("notes"),
        owner_org: s("owner_org"),
        license_id: s("license_id"),
        author: s("author"),
        author_email: s("author_email"),
        maintainer: s("maintainer"),
        maintainer_email: s("maintainer_email"),
        version: s("version"),
        url: s("url"),
        ..DatasetPatch::default()
    };
    if let Some(v) = input.get("private") {
        match boolean(v) {
            Some(b) => p.private = Some(b),
            None => add_error(&mut errors, "private", "Must be true or false"),
        }
    }
    if let Some(v) = input.get("state").and_then(text) {
        p.state = dataset_state(&v, &mut errors);
    }
    if input.contains_key("tags") || input.contains_key("tag_string") {
        p.tags = Some(tags(input));
    }
    if let Some(g) = input.get("groups") {
        p.groups = Some(names(g, &["name", "id"]));
    }
    p.extras = own.extras;
    p.spatial = own.spatial;
    p.temporal_start = own.temporal_start;
    p.temporal_end = own.temporal_end;
    p.frequency = own.frequency;
    p.standard = own.standard;
    p.series = own.series;
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors)
    }
}

/// Renames engine field names to the names CKAN clients sent.
pub fn ckan_field_name(field: &str) -> &str {
    match field {
        "spatial" => MUNICIPALITY_EXTRA,
        other => other,
    }
}
